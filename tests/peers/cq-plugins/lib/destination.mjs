// A CloudQuery destination plugin written with the JS SDK, for Ferry's interop
// tests. Spec: {"path": "<file>"} (required). Every Write message is appended to
// that file as one JSON line, in arrival order:
//   {"kind":"migrate_table","table":T,"migrate_force":B,"columns":[{name,type,nullable,primary_key,unique,extension}],"metadata":{...}}
//   {"kind":"insert","table":T,"rows":[{col: value}]}   bigint -> string, bytes -> hex,
//        timestamps -> raw integer in the field's unit as string, date32 -> days
//   {"kind":"delete_stale","table":T,"source_name":S,"sync_time":"<RFC3339>"}
//   {"kind":"delete_record","table":T}
//   {"kind":"close"}
// Spec {"fail_on_insert": true} makes the first insert fail the Write call;
// {"crash_on_insert": true} kills the plugin process (SIGKILL) at the first
// insert; {"hang_on_insert": true} stops answering at the first insert (the
// Write never ends): how Ferry reports a crashed or hung plugin.
import fs from 'node:fs';
import { arrow as A, newPlugin } from './sdk.mjs';

const hex = (u8) => Buffer.from(u8).toString('hex');

function cell(vec, data, row) {
  const t = vec.type;
  if (!vec.isValid(row)) return null;
  if (A.DataType.isTimestamp(t) || (A.DataType.isDate(t) && t.unit === A.DateUnit.MILLISECOND)) {
    if (data.values instanceof BigInt64Array) return data.values[data.offset + row].toString(); // Arrow JS >= 17
    const i = 2 * (data.offset + row); // older Arrow JS: int32 pairs
    return ((BigInt(data.values[i + 1]) << 32n) | BigInt(data.values[i] >>> 0)).toString();
  }
  if (A.DataType.isDate(t)) return data.values[data.offset + row];
  return jsonValue(vec.get(row));
}
function jsonValue(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return hex(v);
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (Array.isArray(v)) return v.map(jsonValue);
  if (typeof v === 'object' && typeof v.toArray === 'function' && v.type !== undefined) return Array.from(v.toArray(), jsonValue);
  if (typeof v === 'object' && typeof v.toJSON === 'function') return jsonValue(v.toJSON());
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]));
  return v;
}

export function newDestinationPlugin() {
  let out = null;
  let spec = {};
  const line = (o) => fs.appendFileSync(out, JSON.stringify(o) + '\n');
  const pluginClient = {
    close: () => { if (out) line({ kind: 'close' }); return Promise.resolve(); },
    tables: () => Promise.resolve([]),
    sync: ({ stream }) => { stream.end(); return Promise.resolve(); },
    read: (stream) => { stream.end(); return Promise.resolve(); },
    write: async (stream) => {
      let inserts = 0;
      for await (const req of stream) {
        switch (req.message) {
          case 'migrate_table': {
            const t = A.tableFromIPC(req.migrate_table.table);
            line({
              kind: 'migrate_table', table: t.schema.metadata.get('cq:table_name') ?? '', migrate_force: req.migrate_table.migrate_force,
              metadata: Object.fromEntries(t.schema.metadata),
              columns: t.schema.fields.map((f) => ({
                name: f.name, type: String(f.type), nullable: f.nullable,
                primary_key: f.metadata.get('cq:extension:primary_key') === 'true',
                unique: f.metadata.get('cq:extension:unique') === 'true',
                extension: f.metadata.get('ARROW:extension:name') ?? null,
              })),
            });
            break;
          }
          case 'insert': {
            if (spec.fail_on_insert) throw new Error('fail_on_insert: insert refused on purpose');
            if (spec.crash_on_insert) process.kill(process.pid, 'SIGKILL');
            if (spec.hang_on_insert) await new Promise(() => {});
            const t = A.tableFromIPC(req.insert.record);
            const rows = [];
            for (const batch of t.batches) {
              for (let r = 0; r < batch.numRows; r++) {
                const row = {};
                batch.schema.fields.forEach((f, i) => {
                  const vec = batch.getChildAt(i);
                  row[f.name] = cell(vec, vec.data[0], r);
                });
                rows.push(row);
              }
            }
            inserts++;
            line({ kind: 'insert', table: t.schema.metadata.get('cq:table_name') ?? '', batches: t.batches.length, rows });
            break;
          }
          case 'delete': {
            const d = req.delete;
            const ts = d.sync_time;
            const ms = ts ? Number(ts.seconds) * 1000 + Math.floor(Number(ts.nanos) / 1e6) : 0;
            line({ kind: 'delete_stale', table: d.table_name, source_name: d.source_name, sync_time: new Date(ms).toISOString(),
              sync_time_micros: ts ? (BigInt(ts.seconds) * 1000000n + BigInt(Math.floor(Number(ts.nanos) / 1000))).toString() : null });
            break;
          }
          case 'delete_record':
            line({ kind: 'delete_record', table: req.delete_record.table_name });
            break;
          default:
            throw new Error(`unknown write message ${req.message}`);
        }
      }
      return inserts;
    },
  };
  const newClient = (_logger, specText, { noConnection }) => {
    spec = (specText && JSON.parse(specText)) || {};
    if (!noConnection && typeof spec.path !== 'string') return Promise.reject(new Error('spec.path (string) is required'));
    out = spec.path ?? null;
    return Promise.resolve(pluginClient);
  };
  return newPlugin('js-destination', '2.3.4', newClient, { team: 'ferry-tests', kind: 'destination' });
}
