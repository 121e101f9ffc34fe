// A CloudQuery source plugin written with the JS SDK, for Ferry's interop
// tests. Tables:
//   js_all_types           every column type, 3 rows (max-ish, min-ish, nulls); PK `id`
//   js_all_types_children  child relation: 2 rows per parent with id 1 and 2
//   js_extra_types         Arrow types Ferry may not have (large_utf8, large_binary,
//                          date64, timestamp s/ms/ns without tz, float16); 2 rows
// Spec (all optional): {"fail_table": "js_all_types"} makes that table's resolver throw.
import {
  arrow as A, newPlugin, sync, createTable, createColumn, filterTables, pathResolver,
  parentColumnResolver, UUIDType, JSONType, addCQIDsColumns,
} from './sdk.mjs';

// Extension types the SDK does not ship (only uuid and json exist). Subclassing
// JSONType makes the SDK's isExtensionType() true, so it writes
// ARROW:extension:name/metadata from these getters.
export class InetType extends JSONType {
  get name() { return 'inet'; }
  get metadata() { return 'inet-serialized'; }
  toString() { return 'inet'; }
}
export class MacType extends JSONType {
  get name() { return 'mac'; }
  get metadata() { return 'mac-serialized'; }
  toString() { return 'mac'; }
}

// The SDK's scalars cannot carry some types (README.md, quirks): int8..int32
// and uint8..uint32 throw "Cannot convert a BigInt value to a number", binary
// is decoded as UTF-8 text, list<int64> fails, struct/fixed-size binary/inet/mac
// are coerced to text or JSON. This resolver stores the raw JS value the way the
// SDK's own scalars do ({value, valid, toString}); encodeResource() then hands it
// to Arrow's vectorFromArray unchanged.
const raw = (key) => (_client, resource, column) => {
  const v = resource.getItem()[key ?? column.name];
  const idx = resource.table.columns.findIndex((c) => c.name === column.name);
  const valid = v !== null && v !== undefined;
  resource.data[idx] = { value: valid ? v : null, valid, toString: () => (valid ? String(v) : '(null)') };
  return Promise.resolve();
};

const col = (name, type, opts = {}) =>
  createColumn({ name, type, resolver: opts.raw ? raw(name) : pathResolver(name), ...opts, raw: undefined });
const list = (t) => new A.List(new A.Field('item', t, true));

const bytes = (...b) => new Uint8Array(b);

export const ROWS = [
  {
    id: 1n, c_bool: true, c_int8: 127, c_int16: 32767, c_int32: 2147483647, c_int64: 9007199254740991n,
    c_uint8: 255, c_uint16: 65535, c_uint32: 4294967295, c_uint64: 9007199254740991n,
    c_float32: 1.5, c_float64: 3.141592653589793, c_utf8: 'héllo, wörld ✓', c_binary: bytes(0, 1, 0xfe, 0xff),
    c_timestamp: new Date('2024-01-02T03:04:05.678Z'), c_date: new Date('2024-02-29T00:00:00Z'),
    c_uuid: '0a1b2c3d-4e5f-4061-8273-8495a6b7c8d9', c_json: '{"a": 1, "b": [true, null], "s": "x"}',
    c_inet: bytes(...Buffer.from('192.168.1.0/24')), c_mac: bytes(0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e),
    c_list_utf8: ['x', 'y'], c_list_int64: [1n, -2n, 3n], c_struct: { a: 'q', n: 7 },
  },
  {
    id: 2n, c_bool: false, c_int8: -128, c_int16: -32768, c_int32: -2147483648, c_int64: -9007199254740991n,
    c_uint8: 0, c_uint16: 0, c_uint32: 0, c_uint64: 0n,
    c_float32: -0.25, c_float64: -1e300, c_utf8: '', c_binary: bytes(),
    c_timestamp: new Date('1969-12-31T23:59:59.999Z'), c_date: new Date('1969-12-31T00:00:00Z'),
    c_uuid: 'ffffffff-ffff-ffff-ffff-ffffffffffff', c_json: [],
    c_inet: bytes(...Buffer.from('2001:db8::1')), c_mac: bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    c_list_utf8: [], c_list_int64: [], c_struct: { a: null, n: -1 },
  },
  { id: 3n }, // every other column null
];

export const CHILDREN = {
  1: [{ child_id: 10n, name: 'one-a' }, { child_id: 11n, name: 'one-b' }],
  2: [{ child_id: 20n, name: 'two-a' }, { child_id: 21n, name: 'two-b' }],
};

export const EXTRA_ROWS = [
  { id: 1n, c_large_utf8: 'large ✓', c_large_binary: bytes(1, 2, 3), c_date64: new Date('2024-02-29T00:00:00Z'),
    c_ts_s: new Date('2024-01-02T03:04:05Z'), c_ts_ms: new Date('2024-01-02T03:04:05.678Z'),
    c_ts_ns: new Date('2024-01-02T03:04:05.678Z'), c_float16: 0.5 },
  { id: 2n },
];

function makeTables(spec) {
  const failing = (name, fn) => (client, parent, stream) => {
    if (spec.fail_table === name) return Promise.reject(new Error(`fail_table: ${name} fails on purpose`));
    return fn(client, parent, stream);
  };
  const children = createTable({
    name: 'js_all_types_children',
    title: 'JS All Types Children',
    description: 'Child relation of js_all_types',
    columns: [
      createColumn({ name: 'parent_id', type: new A.Int64(), resolver: parentColumnResolver('id') }),
      col('child_id', new A.Int64(), { primaryKey: true }),
      col('name', new A.Utf8()),
    ],
    resolver: failing('js_all_types_children', (_c, parent, stream) => {
      for (const r of CHILDREN[Number(parent.getItem().id)] ?? []) stream.write(r);
      return Promise.resolve();
    }),
  });
  const allTypes = createTable({
    name: 'js_all_types',
    title: 'JS All Types',
    description: 'Every column type of the CloudQuery JS SDK',
    columns: [
      col('id', new A.Int64(), { primaryKey: true }),
      col('c_bool', new A.Bool()),
      col('c_int8', new A.Int8(), { raw: true }),
      col('c_int16', new A.Int16(), { raw: true }),
      col('c_int32', new A.Int32(), { raw: true }),
      col('c_int64', new A.Int64()),
      col('c_uint8', new A.Uint8(), { raw: true }),
      col('c_uint16', new A.Uint16(), { raw: true }),
      col('c_uint32', new A.Uint32(), { raw: true }),
      col('c_uint64', new A.Uint64()),
      col('c_float32', new A.Float32()),
      col('c_float64', new A.Float64()),
      col('c_utf8', new A.Utf8()),
      col('c_binary', new A.Binary(), { raw: true }),
      col('c_timestamp', new A.TimestampMicrosecond('UTC')),
      col('c_date', new A.DateDay()),
      col('c_uuid', new UUIDType()),
      col('c_json', new JSONType()),
      col('c_inet', new InetType(), { raw: true }),
      col('c_mac', new MacType(), { raw: true }),
      col('c_list_utf8', list(new A.Utf8())),
      col('c_list_int64', list(new A.Int64()), { raw: true }),
      col('c_struct', new A.Struct([new A.Field('a', new A.Utf8(), true), new A.Field('n', new A.Int32(), true)]), { raw: true }),
    ],
    relations: [children],
    resolver: failing('js_all_types', (_c, _p, stream) => {
      for (const r of ROWS) stream.write(r);
      return Promise.resolve();
    }),
  });
  const extra = createTable({
    name: 'js_extra_types',
    title: 'JS Extra Types',
    description: 'Arrow types outside CloudQuery Go SDK defaults',
    columns: [
      col('id', new A.Int64(), { primaryKey: true }),
      col('c_large_utf8', new A.LargeUtf8()),
      col('c_large_binary', new A.LargeBinary(), { raw: true }),
      col('c_date64', new A.DateMillisecond()),
      col('c_ts_s', new A.TimestampSecond()),
      col('c_ts_ms', new A.TimestampMillisecond()),
      col('c_ts_ns', new A.TimestampNanosecond()),
      col('c_float16', new A.Float16(), { raw: true }),
    ],
    resolver: failing('js_extra_types', (_c, _p, stream) => {
      for (const r of EXTRA_ROWS) stream.write(r);
      return Promise.resolve();
    }),
  });
  return [allTypes, extra].map(addCQIDsColumns);
}

export function newSourcePlugin() {
  const pluginClient = {
    spec: {},
    allTables: makeTables({}),
    close: () => Promise.resolve(),
    tables: ({ tables, skipTables, skipDependentTables }) =>
      Promise.resolve(filterTables(pluginClient.allTables, tables, skipTables, skipDependentTables)),
    sync: async ({ stream, tables, skipTables, skipDependentTables, deterministicCQId }) => {
      const filtered = filterTables(pluginClient.allTables, tables, skipTables, skipDependentTables);
      return sync({
        logger: plugin.getLogger(), client: { id: () => 'js-source' }, stream, tables: filtered,
        deterministicCQId, concurrency: 1,
      });
    },
    read: (stream) => { stream.end(); return Promise.resolve(); },
    write: () => Promise.reject(new Error('cq-source-js is a source')),
  };
  const newClient = (_logger, specText, { noConnection }) => {
    // Ferry and the CLI send the literal `null` for an empty spec.
    const spec = specText && specText.trim() ? JSON.parse(specText) ?? {} : {};
    if (!noConnection) {
      const unknown = Object.keys(spec).filter((k) => k !== 'fail_table');
      if (unknown.length) return Promise.reject(new Error(`unknown spec keys: ${unknown.join(', ')}`));
    }
    pluginClient.spec = spec;
    pluginClient.allTables = makeTables(spec);
    return Promise.resolve(pluginClient);
  };
  const plugin = newPlugin('js-source', '1.2.3', newClient, { team: 'ferry-tests', kind: 'source' });
  return plugin;
}
