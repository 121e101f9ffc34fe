// Test peer: Apache Arrow's JavaScript implementation, used by Ferry's tests
// (src/protocol/arrow_ipc_peer_test.cc) to cross-check Ferry's Arrow IPC
// streams against an independent reader and writer.
//
//   node arrow_peer.mjs read FILE    prints the stream's schema and values as JSON
//   node arrow_peer.mjs write FILE   writes a record stream of every type Ferry maps
//
// JSON values: null; numbers; 64-bit integers and timestamps as decimal
// strings (raw stored value, no unit conversion); dates as days; binary as hex;
// time, duration, interval and decimal values as the hex of their raw
// little-endian bytes; lists as arrays; structs as arrays of field values.
import * as A from 'apache-arrow';
import { readFileSync, writeFileSync } from 'node:fs';

const hex = (u8) => Buffer.from(u8).toString('hex');
const meta = (m) => Object.fromEntries(m ?? new Map());

function int64At(values, i) {  // Int32Array of (low, high) pairs, or BigInt64Array
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) return values[i].toString();
  return ((BigInt(values[2 * i + 1]) << 32n) + BigInt(values[2 * i] >>> 0)).toString();
}

// Bytes of one value of the fixed-width types printed raw.
function rawWidth(t) {
  if (t.typeId === A.Type.Time) return t.bitWidth / 8;
  if (t.typeId === A.Type.Duration) return 8;
  if (t.typeId === A.Type.Decimal) return t.bitWidth / 8;
  return t.unit === A.IntervalUnit.YEAR_MONTH ? 4 : t.unit === A.IntervalUnit.DAY_TIME ? 8 : 16;
}

function cell(vec, i) {
  if (!vec.isValid(i)) return null;
  const t = vec.type;
  switch (t.typeId) {
    case A.Type.Timestamp:
    case A.Type.Date:
      if (t.typeId === A.Type.Date && t.unit === A.DateUnit.DAY) return vec.data[0].values[i];
      return int64At(vec.data[0].values, i);
    case A.Type.Time:
    case A.Type.Duration:
    case A.Type.Interval:
    case A.Type.Decimal: {  // the value's raw little-endian bytes
      const w = rawWidth(t), v = vec.data[0].values;
      return hex(new Uint8Array(v.buffer, v.byteOffset + i * w, w));
    }
    case A.Type.List: {
      const items = vec.get(i);
      return Array.from({ length: items.length }, (_, k) => cell(items, k));
    }
    case A.Type.Struct:
      return t.children.map((_, k) => cell(vec.getChildAt(k), i));
    default: {
      const v = vec.get(i);
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return hex(v);
      return v;
    }
  }
}

function describe(f) {
  return { name: f.name, type: String(f.type), nullable: f.nullable, metadata: meta(f.metadata),
           children: (f.type.children ?? []).map(describe) };
}

function read(file) {
  const table = A.tableFromIPC(readFileSync(file));
  const columns = {};
  table.schema.fields.forEach((f, c) => {
    const vec = table.getChildAt(c);
    columns[f.name] = Array.from({ length: table.numRows }, (_, i) => cell(vec, i));
  });
  console.log(JSON.stringify({ metadata: meta(table.schema.metadata), fields: table.schema.fields.map(describe),
                               num_rows: table.numRows, batches: table.batches.length, columns }));
}

// Int64-backed columns from BigInts, as (low, high) pairs.
function pairs(values) {
  const out = new Int32Array(values.length * 2);
  values.forEach((v, i) => { const b = BigInt.asUintN(64, v ?? 0n); out[2 * i] = Number(b & 0xffffffffn) | 0;
                             out[2 * i + 1] = Number(b >> 32n) | 0; });
  return out;
}
const nulls = (values) => {
  const bm = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => { if (v !== null) bm[i >> 3] |= 1 << (i & 7); });
  return { nullBitmap: bm, nullCount: values.filter((v) => v === null).length, length: values.length };
};
const int64Data = (type, values) => A.makeData({ type, ...nulls(values), data: pairs(values) });
// Decimal128 columns from BigInts, as four little-endian 32-bit words each.
function words128(values) {
  const out = new Uint32Array(values.length * 4);
  values.forEach((v, i) => { const b = BigInt.asUintN(128, v);
                             for (let k = 0; k < 4; ++k) out[4 * i + k] = Number((b >> BigInt(32 * k)) & 0xffffffffn); });
  return out;
}
const ext = (name) => new Map([['ARROW:extension:name', name], ['ARROW:extension:metadata', `${name}-serialized`]]);
const bytes = (...xs) => Uint8Array.from(xs);

function write(file) {
  const cols = [
    ['i8', new A.Int8(), A.vectorFromArray([1, null, -3], new A.Int8()).data[0]],
    ['u64', new A.Uint64(), A.vectorFromArray([18446744073709551615n, 0n, null], new A.Uint64()).data[0]],
    ['f32', new A.Float32(), A.vectorFromArray([1.5, null, -2], new A.Float32()).data[0]],
    ['f64', new A.Float64(), A.vectorFromArray([0.25, 1e300, null], new A.Float64()).data[0]],
    ['s', new A.Utf8(), A.vectorFromArray(['a', null, 'héllo'], new A.Utf8()).data[0]],
    ['b', new A.Binary(), A.vectorFromArray([bytes(0, 255), bytes(), null], new A.Binary()).data[0]],
    ['flag', new A.Bool(), A.vectorFromArray([true, null, false], new A.Bool()).data[0]],
    ['ts_ns', new A.TimestampNanosecond(), int64Data(new A.TimestampNanosecond(), [1000000123n, null, -1500n])],
    ['ts_ms', new A.TimestampMillisecond('UTC'), int64Data(new A.TimestampMillisecond('UTC'), [1000n, -1n, null])],
    ['ts_us', new A.TimestampMicrosecond('UTC'), int64Data(new A.TimestampMicrosecond('UTC'), [1700000000123456n, null, 0n])],
    ['d32', new A.DateDay(), A.makeData({ type: new A.DateDay(), ...nulls([19000, null, -1]), data: Int32Array.from([19000, 0, -1]) })],
    ['d64', new A.DateMillisecond(), int64Data(new A.DateMillisecond(), [172800000n, null, -1n])],
    ['fsb', new A.FixedSizeBinary(2), A.vectorFromArray([bytes(1, 2), null, bytes(3, 4)], new A.FixedSizeBinary(2)).data[0]],
    ['id', new A.FixedSizeBinary(16), A.vectorFromArray([new Uint8Array(16).fill(0xab), null, new Uint8Array(16)], new A.FixedSizeBinary(16)).data[0], ext('uuid')],
    ['doc', new A.Binary(), A.vectorFromArray([new TextEncoder().encode('{"a":1}'), null, bytes()], new A.Binary()).data[0], ext('json')],
    ['t32ms', new A.TimeMillisecond(), A.makeData({ type: new A.TimeMillisecond(), ...nulls([3723004, null, 0]), data: Int32Array.from([3723004, 0, 0]) })],
    ['t64ns', new A.TimeNanosecond(), int64Data(new A.TimeNanosecond(), [11045123456789n, null, 0n])],
    ['dur_us', new A.DurationMicrosecond(), int64Data(new A.DurationMicrosecond(), [-7n, null, 1500n])],
    ['ym', new A.Interval(A.IntervalUnit.YEAR_MONTH), A.makeData({ type: new A.Interval(A.IntervalUnit.YEAR_MONTH), ...nulls([14, null, -1]), data: Int32Array.from([14, 0, -1]) })],
    ['dt', new A.Interval(A.IntervalUnit.DAY_TIME), A.makeData({ type: new A.Interval(A.IntervalUnit.DAY_TIME), ...nulls([1, null, 1]), data: Int32Array.from([2, 300, 0, 0, 1, -1]) })],
    ['dec', new A.Decimal(10, 19, 128), A.makeData({ type: new A.Decimal(10, 19, 128), ...nulls([1, null, 1]), data: words128([-123400000000n, 0n, 5n]) })],
    ['tags', new A.List(new A.Field('item', new A.Int32(), true)), A.vectorFromArray([[1, 2], null, []], new A.List(new A.Field('item', new A.Int32(), true))).data[0]],
    ['obj', new A.Struct([new A.Field('a', new A.Utf8(), true), new A.Field('b', new A.Int64(), true)]),
      A.vectorFromArray([{ a: 'x', b: 1n }, null, { a: null, b: 3n }],
                        new A.Struct([new A.Field('a', new A.Utf8(), true), new A.Field('b', new A.Int64(), true)])).data[0]],
  ];
  const fields = cols.map(([name, type, , md]) => new A.Field(name, type, true, md ?? new Map()));
  const schema = new A.Schema(fields, new Map([['cq:table_name', 'peer_table'], ['cq:table_title', 'Peer']]));
  const data = A.makeData({ type: new A.Struct(fields), length: 3, nullCount: 0, children: cols.map((c) => c[2]) });
  const table = new A.Table([new A.RecordBatch(schema, data)]);
  writeFileSync(file, A.tableToIPC(table, 'stream'));
}

const [cmd, file] = process.argv.slice(2);
if (cmd === 'read') read(file);
else if (cmd === 'write') write(file);
else { console.error('usage: node arrow_peer.mjs read|write FILE'); process.exit(2); }
