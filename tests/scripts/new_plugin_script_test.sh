#!/usr/bin/env bash
# scripts/new-plugin.sh: the copy has every file of the skeleton renamed, no
# trace of the skeleton's name, include paths of its new folder, and bad
# names or an existing plugin are refused. (Building a copy is proven by hand
# in plugins/README.md's walk-through; here it would rebuild ferry_tests.)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
bash "$root/scripts/new-plugin.sh" destination big_query --into "$tmp" > "$tmp/out"
d=$tmp/big_query
for f in big_query_destination.h big_query_destination.cc big_query_destination_test.cc big_query_spec.h big_query_spec.cc; do
  [[ -f $d/$f ]] || fail "missing $f"
done
[[ $(ls "$d" | wc -l) == $(ls "$root/plugins/templates/destination" | wc -l) ]] || fail "file count differs from the skeleton"
! grep -rqi skeleton "$d" || fail "skeleton left in the copy"
grep -q 'namespace ferry::plugins::big_query' "$d/big_query_destination.h" || fail "namespace not renamed"
grep -q 'class BigQueryDestination' "$d/big_query_destination.h" || fail "class not renamed"
grep -q '#include "plugins/destination/big_query/big_query_spec.h"' "$d/big_query_destination.h" || fail "include path not rewritten"
grep -q 'p.name = "big_query"' "$d/big_query_destination.cc" || fail "registry name not renamed"
bash "$root/scripts/new-plugin.sh" source git_hub --into "$tmp" > "$tmp/out"
[[ -f $tmp/git_hub/git_hub_source.cc && -f $tmp/git_hub/git_hub_source_test.cc ]] || fail "source files missing"
! grep -rqi sample "$tmp/git_hub" || fail "sample left in the source copy"
grep -q 'class GitHubSource' "$tmp/git_hub/git_hub_source.h" || fail "source class not renamed"
grep -q '#include "plugins/source/git_hub/git_hub_spec.h"' "$tmp/git_hub/git_hub_source.h" || fail "source include path"
if bash "$root/scripts/new-plugin.sh" destination Bad-Name --into "$tmp" 2>/dev/null; then fail "a bad name was accepted"; fi
if bash "$root/scripts/new-plugin.sh" destination sqlite 2>/dev/null; then fail "an existing plugin was overwritten"; fi
if bash "$root/scripts/new-plugin.sh" widget x --into "$tmp" 2>/dev/null; then fail "an unknown kind was accepted"; fi
echo "ok"
