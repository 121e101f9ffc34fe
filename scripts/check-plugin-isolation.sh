#!/usr/bin/env bash
# Proves the include isolation of plugins (plugins/CMakeLists.txt): with the
# compile command of a plugin's own source file, the public API, plugins/common
# and the plugin's own headers compile, and engine internals or another
# plugin's headers do not. Run by ctest (plugin_include_isolation).
#   scripts/check-plugin-isolation.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${FERRY_BUILD_DIR:-$root/build}}
db=$build/compile_commands.json
[[ -f $db ]] || { echo "no $db: configure the build first" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The compile command of one source file of plugin folder $1 (kind/name).
command_of() {
  python3 - "$db" "$root/plugins/$1/" <<'PY'
import json, shlex, sys
db, folder = sys.argv[1], sys.argv[2]
for e in json.load(open(db)):
    if e["file"].startswith(folder) and not e["file"].endswith("_test.cc") and "/testing/" not in e["file"]:
        args = shlex.split(e["command"])
        out = []
        skip = False
        for a in args:
            if skip: skip = False; continue
            if a in ("-o", "-c", "-MF", "-MT"): skip = True; continue
            if a == "-MD" or a == e["file"]: continue
            out.append(a)
        print(shlex.join(out)); break
PY
}

fail=0
check() {  # plugin-folder, header, expect (ok|refused)
  local cmd; cmd=$(command_of "$1")
  [[ -n $cmd ]] || { echo "no compile command for plugins/$1" >&2; exit 2; }
  printf '#include "%s"\nint main() { return 0; }\n' "$2" > "$tmp/probe.cc"
  if eval "$cmd -fsyntax-only $tmp/probe.cc" > "$tmp/out" 2>&1; then got=ok; else got=refused; fi
  if [[ $got != "$3" ]]; then
    echo "FAIL: plugins/$1 including \"$2\": expected $3, got $got"; sed -n 1,5p "$tmp/out"; fail=1
  elif [[ $got == refused ]] && ! grep -q "No such file" "$tmp/out"; then
    echo "FAIL: plugins/$1 including \"$2\" failed for another reason:"; sed -n 1,5p "$tmp/out"; fail=1
  else
    echo "ok: plugins/$1 including \"$2\": $got"
  fi
}

check destination/sqlite ferry/registry.h ok
check destination/sqlite plugins/common/schema_diff.h ok
check destination/sqlite plugins/destination/sqlite/sqlite_spec.h ok
check destination/sqlite engine/sync.h refused
check destination/sqlite config/loader.h refused
check destination/sqlite sdk/cq_id.h refused
check destination/sqlite plugins/destination/postgresql/postgresql_spec.h refused
check source/host plugins/source/test/test_spec.h refused
check source/host rpc/server.h refused
exit $fail
