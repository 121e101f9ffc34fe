#!/usr/bin/env node
// A raw CloudQuery protocol v3 gRPC client built on the SDK's protocol package
// (@cloudquery/plugin-pb-javascript) and Apache Arrow JS 15 (tests/peers).
//
//   node cq-client.mjs source <address> [spec-json]
//       GetName, GetVersion, GetSpecSchema, Init, GetTables, Sync, Close against a
//       source; prints {name, version, tables, migrate, rows, errors}.
//   node cq-client.mjs dest-sqlite <address> <sqlite-file>
//       Init {"connection_string": file}, then two Write streams: migrate_table +
//       insert (3 rows at T1); insert (2 rows at T2) + delete_stale(T2); Close.
//       Prints {ok, name, version, ...}.
//   node cq-client.mjs dest-jsonl <address> <file>
//       The same Write sequence against cq-destination-js (spec {"path": file}).
// <address>: host:port (tcp) or unix:/path. Exit code 0 on success, 1 on error
// (the JSON then has "error").
import { createRequire } from 'node:module';
import * as arrow from 'apache-arrow';

const require = createRequire(import.meta.url);
const { pluginV3 } = require('@cloudquery/plugin-pb-javascript');
const grpc = require('@grpc/grpc-js');
const pb = pluginV3.cloudquery.plugin.v3;

const MAX = 200 * 1024 * 1024;
const deadline = (s = 30) => ({ deadline: new Date(Date.now() + s * 1000) });

function client(address) {
  return new pb.PluginClient(address, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX, 'grpc.max_send_message_length': MAX,
  });
}
const unary = (c, method, req) => new Promise((resolve, reject) =>
  c[method](req, new grpc.Metadata(), deadline(), (err, res) => (err ? reject(Object.assign(err, { rpc: method })) : resolve(res))));

// ---- JSON-friendly view of Arrow values ----
const hex = (u8) => Buffer.from(u8).toString('hex');
function jsonValue(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return hex(v);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'object' && typeof v.toArray === 'function' && !(v instanceof Map)) {
    // List element vector or struct row
    if (typeof v.toJSON === 'function' && !Array.isArray(v.toArray())) return jsonValue(v.toJSON());
    return Array.from(v.toArray(), jsonValue);
  }
  if (Array.isArray(v)) return v.map(jsonValue);
  if (typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(typeof v.toJSON === 'function' ? v.toJSON() : v)) o[k] = jsonValue(x);
    return o;
  }
  return v;
}
// Raw storage values for types Arrow JS converts lossy (timestamps -> ms numbers, dates -> ms).
function rawColumn(vec) {
  const t = vec.type;
  const out = [];
  for (let i = 0; i < vec.length; i++) {
    if (!vec.isValid(i)) { out.push(null); continue; }
    if (arrow.DataType.isTimestamp(t) || (arrow.DataType.isDate(t) && t.unit === arrow.DateUnit.MILLISECOND)) {
      // 64-bit storage: read the two int32 halves of the chunk that holds row i.
      let row = i, data;
      for (const d of vec.data) { if (row < d.length) { data = d; break; } row -= d.length; }
      if (data.values instanceof BigInt64Array) { out.push(data.values[data.offset + row].toString()); continue; }
      const lo = BigInt(data.values[2 * (data.offset + row)] >>> 0), hi = BigInt(data.values[2 * (data.offset + row) + 1]);
      out.push(((hi << 32n) | lo).toString());
    } else if (arrow.DataType.isDate(t)) {
      let row = i, data;
      for (const d of vec.data) { if (row < d.length) { data = d; break; } row -= d.length; }
      out.push(data.values[data.offset + row]);
    } else out.push(jsonValue(vec.get(i)));
  }
  return out;
}
export function describeSchema(schema) {
  return {
    metadata: Object.fromEntries(schema.metadata),
    fields: schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable, metadata: Object.fromEntries(f.metadata) })),
  };
}
export function describeRecord(bytes) {
  const t = arrow.tableFromIPC(bytes);
  const cols = {};
  for (const f of t.schema.fields) cols[f.name] = rawColumn(t.getChild(f.name));
  return { table: t.schema.metadata.get('cq:table_name'), num_rows: t.numRows, batches: t.batches.length, columns: cols, schema: describeSchema(t.schema) };
}

async function runSource(address, specJson) {
  const c = client(address);
  const out = {};
  out.name = (await unary(c, 'GetName', new pb.GetName.Request())).name;
  out.version = (await unary(c, 'GetVersion', new pb.GetVersion.Request())).version;
  out.spec_schema = (await unary(c, 'GetSpecSchema', new pb.GetSpecSchema.Request())).json_schema ?? null;
  await unary(c, 'Init', new pb.Init.Request({ spec: new TextEncoder().encode(specJson ?? 'null'), invocation_id: 'cq-client' }));
  const tables = (await unary(c, 'GetTables', new pb.GetTables.Request({ tables: ['*'] }))).tables;
  out.tables = tables.map((b) => describeSchema(arrow.tableFromIPC(b).schema));
  out.migrate = [];
  out.rows = {};
  out.insert_messages = {};
  out.errors = [];
  out.order = [];
  await new Promise((resolve, reject) => {
    const call = c.Sync(new pb.Sync.Request({ tables: ['*'], withErrorMessages: true }), new grpc.Metadata(), deadline(60));
    call.on('data', (m) => {
      out.order.push(m.message);
      if (m.message === 'migrate_table') out.migrate.push(arrow.tableFromIPC(m.migrate_table.table).schema.metadata.get('cq:table_name'));
      else if (m.message === 'insert') {
        const r = describeRecord(m.insert.record);
        out.insert_messages[r.table] = (out.insert_messages[r.table] ?? 0) + 1;
        const acc = (out.rows[r.table] ??= { schema: r.schema, columns: {} });
        for (const [k, v] of Object.entries(r.columns)) (acc.columns[k] ??= []).push(...v);
      } else if (m.message === 'error') out.errors.push({ table: m.error.table_name, error: m.error.error });
    });
    call.on('error', reject);
    call.on('end', resolve);
  });
  // compress the order to runs: [["migrate_table",3],["insert",11]]
  out.order = out.order.reduce((a, k) => (a.length && a[a.length - 1][0] === k ? a[a.length - 1][1]++ : a.push([k, 1]), a), []);
  await unary(c, 'Close', new pb.Close.Request());
  c.close();
  return out;
}

// ---- destination driving ----
const F = (name, type, { pk = false, nullable = true, unique = false, ext } = {}) => {
  const md = new Map([
    ['cq:extension:primary_key', pk ? 'true' : 'false'],
    ['cq:extension:unique', unique ? 'true' : 'false'],
    ['cq:extension:incremental', 'false'],
  ]);
  if (ext) { md.set('ARROW:extension:name', ext); md.set('ARROW:extension:metadata', `${ext}-serialized`); }
  return new arrow.Field(name, type, nullable, md);
};
const TABLE = 'js_client_rows';
export function clientSchema() {
  const fields = [
    F('_cq_sync_time', new arrow.TimestampMicrosecond('UTC')),
    F('_cq_source_name', new arrow.Utf8()),
    F('_cq_id', new arrow.FixedSizeBinary(16), { nullable: false, unique: true, ext: 'uuid' }),
    F('_cq_parent_id', new arrow.FixedSizeBinary(16), { ext: 'uuid' }),
    F('id', new arrow.Int64(), { pk: true, nullable: false }),
    F('name', new arrow.Utf8()),
    F('score', new arrow.Float64()),
    F('active', new arrow.Bool()),
    F('small', new arrow.Int16()),
    F('data', new arrow.Binary(), { ext: 'json' }),
    F('tags', new arrow.List(new arrow.Field('item', new arrow.Utf8(), true))),
  ];
  return new arrow.Schema(fields, new Map([
    ['cq:table_name', TABLE], ['cq:table_title', 'JS Client Rows'], ['cq:table_description', 'written by cq-client.mjs'],
    ['cq:extension:constraint_name', ''],
  ]));
}
const uuidBytes = (s) => Uint8Array.from(Buffer.from(s.replaceAll('-', ''), 'hex'));
const enc = (s) => new TextEncoder().encode(s);
export const CLIENT_ROWS = [
  { id: 1n, name: 'alpha', score: 1.5, active: true, small: -7, data: '{"k":"v"}', tags: ['a', 'b'], cq_id: '11111111-1111-4111-8111-111111111111' },
  { id: 2n, name: 'beta ✓', score: null, active: false, small: 32767, data: '[1,2]', tags: [], cq_id: '22222222-2222-4222-8222-222222222222' },
  { id: 3n, name: null, score: -0.5, active: null, small: null, data: null, tags: null, cq_id: '33333333-3333-4333-8333-333333333333' },
];
function recordBytes(schema, rows, syncMicros, source) {
  const vec = (i, vals) => arrow.vectorFromArray(vals, schema.fields[i].type);
  const cols = [
    arrow.makeVector(arrow.makeData({ type: schema.fields[0].type, length: rows.length, nullCount: 0, data: new BigInt64Array(rows.map(() => syncMicros)) })),
    vec(1, rows.map(() => source)),
    vec(2, rows.map((r) => uuidBytes(r.cq_id))),
    vec(3, rows.map(() => null)),
    vec(4, rows.map((r) => r.id)),
    vec(5, rows.map((r) => r.name)),
    vec(6, rows.map((r) => r.score)),
    vec(7, rows.map((r) => r.active)),
    vec(8, rows.map((r) => r.small)),
    vec(9, rows.map((r) => (r.data === null ? null : enc(r.data)))),
    vec(10, rows.map((r) => r.tags)),
  ];
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows.length, nullCount: 0, children: cols.map((v) => v.data[0]) });
  const batch = new arrow.RecordBatch(schema, data);
  return arrow.tableToIPC(new arrow.Table(schema, batch), 'stream');
}
const schemaBytes = (schema) => arrow.tableToIPC(new arrow.Table(schema), 'stream');

function writeStream(c, requests) {
  return new Promise((resolve, reject) => {
    const call = c.Write(new grpc.Metadata(), deadline(60), (err, res) => (err ? reject(Object.assign(err, { rpc: 'Write' })) : resolve(res)));
    for (const r of requests) call.write(r);
    call.end();
  });
}

async function runDest(address, spec) {
  const c = client(address);
  const out = {};
  out.name = (await unary(c, 'GetName', new pb.GetName.Request())).name;
  out.version = (await unary(c, 'GetVersion', new pb.GetVersion.Request())).version;
  await unary(c, 'Init', new pb.Init.Request({ spec: enc(JSON.stringify(spec)), invocation_id: 'cq-client' }));
  const schema = clientSchema();
  const t1 = 1704164645000000n; // 2024-01-02 03:04:05 UTC
  const t2 = t1 + 60000000n;
  await writeStream(c, [
    new pb.Write.Request({ migrate_table: new pb.Write.MessageMigrateTable({ table: schemaBytes(schema), migrate_force: false }) }),
    new pb.Write.Request({ insert: new pb.Write.MessageInsert({ record: recordBytes(schema, CLIENT_ROWS, t1, 'js-client') }) }),
  ]);
  out.first_write = 'ok';
  const kept = CLIENT_ROWS.slice(0, 2).map((r) => ({ ...r, name: r.name + ' v2' }));
  await writeStream(c, [
    new pb.Write.Request({ migrate_table: new pb.Write.MessageMigrateTable({ table: schemaBytes(schema), migrate_force: false }) }),
    new pb.Write.Request({ insert: new pb.Write.MessageInsert({ record: recordBytes(schema, kept, t2, 'js-client') }) }),
    new pb.Write.Request({ delete: new pb.Write.MessageDeleteStale({
      table_name: TABLE, source_name: 'js-client',
      sync_time: new (require('@cloudquery/plugin-pb-javascript/dist/google/protobuf/timestamp.js').google.protobuf.Timestamp)({ seconds: Number(t2 / 1000000n), nanos: 0 }),
    }) }),
  ]);
  out.second_write = 'ok';
  await unary(c, 'Close', new pb.Close.Request());
  c.close();
  out.ok = true;
  return out;
}

const [cmd, address, arg] = process.argv.slice(2);
let p;
if (cmd === 'source' && address) p = runSource(address, arg);
else if (cmd === 'dest-sqlite' && address && arg) p = runDest(address, { connection_string: arg });
else if (cmd === 'dest-jsonl' && address && arg) p = runDest(address, { path: arg });
else { console.error('usage: cq-client.mjs source <address> [spec-json] | dest-sqlite <address> <sqlite-file> | dest-jsonl <address> <jsonl-file>'); process.exit(2); }
p.then((out) => { process.stdout.write(JSON.stringify(out) + '\n'); process.exit(0); })
  .catch((e) => {
    process.stdout.write(JSON.stringify({ ok: false, error: String(e.message ?? e), rpc: e.rpc ?? null, code: e.code ?? null }) + '\n');
    process.exit(1);
  });
