#!/usr/bin/env node
// Checks the test plugins without Ferry: serves cq-source-js and cq-destination-js
// on unix sockets (through serve_compat.mjs) and on TCP, drives them with
// cq-client.mjs, and asserts rows and metadata. Prints one JSON line; exit 0 when
// every check passed.
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cq-js-selftest-'));
const failures = [];
const check = (cond, what) => { if (!cond) failures.push(what); };
const eq = (a, b, what) => check(JSON.stringify(a) === JSON.stringify(b), `${what}: got ${JSON.stringify(a)}, want ${JSON.stringify(b)}`);
const children = [];

function serve(bin, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(path.join(here, bin), ['serve', ...args, '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(p);
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/"message":"server running on port: (\d+)"/);
      if (m) resolve({ proc: p, port: Number(m[1]) });
    });
    p.on('exit', (code) => reject(new Error(`${bin} exited ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`${bin} did not start: ${out}`)), 20000);
  });
}
function client(...args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(here, 'cq-client.mjs'), ...args], { maxBuffer: 64 << 20 }, (err, stdout) => {
      try { resolve(JSON.parse(stdout)); } catch { resolve({ ok: false, error: String(err), stdout }); }
    });
  });
}
const freePort = () => new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });

try {
  // --- source over a unix socket, as Ferry starts a local plugin ---
  const sock = path.join(tmp, 'src.sock');
  await serve('cq-source-js', ['--network', 'unix', '--address', sock]);
  const src = await client('source', `unix:${sock}`);
  check(!src.error, `source client: ${src.error}`);
  eq(src.name, 'js-source', 'GetName');
  eq(src.version, '1.2.3', 'GetVersion');
  eq(src.tables?.map((t) => t.metadata['cq:table_name']), ['js_all_types', 'js_all_types_children', 'js_extra_types'], 'GetTables');
  eq(src.migrate, ['js_all_types', 'js_all_types_children', 'js_extra_types'], 'migrate_table order');
  eq(src.insert_messages, { js_all_types: 3, js_all_types_children: 4, js_extra_types: 2 }, 'one insert per row');
  eq(src.errors, [], 'no Sync error messages');
  const all = src.rows?.js_all_types?.columns ?? {};
  eq(all.id, ['1', '2', '3'], 'id');
  eq(all.c_int8, [127, -128, null], 'c_int8');
  eq(all.c_uint32, [4294967295, 0, null], 'c_uint32');
  eq(all.c_binary, ['0001feff', '', null], 'c_binary');
  eq(all.c_timestamp, ['1704164645678000', '-1000', null], 'c_timestamp (us)');
  eq(all.c_date, [19782, -1, null], 'c_date (days)');
  eq(all.c_uuid, ['0a1b2c3d4e5f406182738495a6b7c8d9', 'ffffffffffffffffffffffffffffffff', null], 'c_uuid');
  eq(all.c_list_utf8, [['x', 'y'], null, null], 'c_list_utf8 (empty list -> null: SDK quirk)');
  eq(all.c_list_int64, [['1', '-2', '3'], [], null], 'c_list_int64');
  const f = Object.fromEntries((src.rows?.js_all_types?.schema.fields ?? []).map((x) => [x.name, x]));
  eq(f._cq_id?.metadata['ARROW:extension:name'], 'uuid', '_cq_id extension');
  eq(f.c_json?.metadata['ARROW:extension:name'], 'json', 'c_json extension');
  eq(f.c_inet?.metadata['ARROW:extension:name'], 'inet', 'c_inet extension');
  eq(f.c_mac?.metadata['ARROW:extension:metadata'], 'mac-serialized', 'c_mac extension');
  eq(f.id?.metadata['cq:extension:primary_key'], 'true', 'id is the PK');
  const kids = src.rows?.js_all_types_children?.columns ?? {};
  eq(kids._cq_parent_id, [all._cq_id?.[0], all._cq_id?.[0], all._cq_id?.[1], all._cq_id?.[1]], 'children _cq_parent_id');
  eq(src.tables?.[1]?.metadata['cq:table_depends_on'], 'js_all_types', 'GetTables cq:table_depends_on');
  // SDK quirk: insert records of a relation carry no cq:table_depends_on.
  eq(src.rows?.js_all_types_children?.schema.metadata['cq:table_depends_on'], undefined, 'insert cq:table_depends_on');

  // --- a failing table: logged only, the stream still ends OK ---
  const failing = await client('source', `unix:${sock}`, '{"fail_table":"js_all_types"}');
  check(!failing.error, `fail_table client: ${failing.error}`);
  eq(failing.insert_messages, { js_extra_types: 2 }, 'fail_table: only the other table');
  eq(failing.errors, [], 'fail_table: no Sync error message (SDK quirk)');

  // --- destination over TCP ---
  const port = await freePort();
  await serve('cq-destination-js', ['--address', `127.0.0.1:${port}`]);
  const out = path.join(tmp, 'dest.jsonl');
  const dst = await client('dest-jsonl', `127.0.0.1:${port}`, out);
  eq(dst.ok, true, `dest-jsonl ${dst.error ?? ''}`);
  const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  eq(lines.map((l) => l.kind), ['migrate_table', 'insert', 'migrate_table', 'insert', 'delete_stale', 'close'], 'destination messages');
  eq(lines[1]?.rows?.map((r) => r.name), ['alpha', 'beta ✓', null], 'first insert');
  eq(lines[4]?.sync_time_micros, '1704164705000000', 'delete_stale time');
} catch (e) {
  failures.push(String(e.stack ?? e));
} finally {
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify({ ok: failures.length === 0, failures }) + '\n');
process.exit(failures.length === 0 ? 0 : 1);
