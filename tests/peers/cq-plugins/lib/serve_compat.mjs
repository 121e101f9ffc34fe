// Runs a plugin's `serve` command the way CloudQuery's CLI (and Ferry) start a
// local plugin: `serve --network unix --address <socket> --log-format json`.
//
// The JS SDK (0.1.25) only accepts `--network tcp` (yargs choices), so
// `--network unix` exits with a usage error before serving. grpc-js itself can
// listen on a unix socket when the address is `unix:<path>`, so unless
// FERRY_CQ_JS_NO_UNIX_REWRITE=1 this rewrites `--network unix --address P` into
// `--network tcp --address unix:P` before the SDK parses argv.
import { createServeCommand } from './sdk.mjs';

export function rewriteArgv(argv) {
  if (process.env.FERRY_CQ_JS_NO_UNIX_REWRITE === '1') return argv;
  const out = [...argv];
  let unix = false;
  for (let i = 0; i < out.length; i++) {
    const a = out[i];
    if ((a === '--network' || a === '-n') && out[i + 1] === 'unix') { out[i + 1] = 'tcp'; unix = true; }
    else if (a === '--network=unix') { out[i] = '--network=tcp'; unix = true; }
  }
  if (!unix) return out;
  for (let i = 0; i < out.length; i++) {
    const a = out[i];
    if ((a === '--address' || a === '-a') && out[i + 1] && !out[i + 1].startsWith('unix:')) out[i + 1] = 'unix:' + out[i + 1];
    else if (a.startsWith('--address=') && !a.startsWith('--address=unix:')) out[i] = '--address=unix:' + a.slice(10);
  }
  return out;
}

export function serve(plugin) {
  process.argv = [process.argv[0], process.argv[1], ...rewriteArgv(process.argv.slice(2))];
  // SIGINT/SIGTERM: the SDK installs no handler; node's default exits.
  createServeCommand(plugin).parse();
}
