#!/usr/bin/env bash
# Starts a new integration from its skeleton (plugins/README.md):
#   scripts/new-plugin.sh destination kafka
#   scripts/new-plugin.sh source github
# copies plugins/templates/<kind>/ to plugins/<kind>/<name>/, renaming the
# skeleton's files, namespace, classes and include paths. Nothing else needs
# editing to build and register it: the build derives the library, the include
# view and the registration from the folder. Then: cmake -S . -B build &&
# ninja -C build && build/ferry_tests --gtest_filter='*<Name>*'.
#   --into DIR   write the folder under DIR instead of plugins/<kind>/ (tests)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage() { echo "usage: $0 source|destination NAME [--into DIR]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
kind=$1 name=$2; shift 2
into=""
if [[ ${1:-} == --into ]]; then into=${2:?--into needs a directory}; fi
[[ $kind == source || $kind == destination ]] || { echo "kind must be source or destination, not \"$kind\"" >&2; exit 2; }
if [[ ! $name =~ ^[a-z][a-z0-9_]*$ ]]; then
  echo "name \"$name\" must be lower case letters, digits and _, starting with a letter (it is a folder, a C++ namespace and the registry name)" >&2
  exit 2
fi
for k in source destination; do
  if [[ -e $root/plugins/$k/$name ]]; then
    echo "plugins/$k/$name already exists: plugin names are unique across kinds" >&2; exit 1
  fi
done
template=$root/plugins/templates/$kind
# The skeleton's name: "skeleton" (destination) or "sample" (source); the two
# differ so that both skeletons build side by side.
token=skeleton; [[ $kind == source ]] && token=sample
Token=$(echo "${token:0:1}" | tr '[:lower:]' '[:upper:]')${token:1}
TOKEN=$(echo "$token" | tr '[:lower:]' '[:upper:]')
[[ -d $template ]] || { echo "no skeleton for a $kind yet: $template is missing" >&2; exit 1; }
dest=${into:-$root/plugins/$kind}/$name
# CamelCase for class names: kafka -> Kafka, big_query -> BigQuery.
camel=$(echo "$name" | awk -F_ '{for (i = 1; i <= NF; i++) printf "%s%s", toupper(substr($i, 1, 1)), substr($i, 2)}')
upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
mkdir -p "$dest"
(cd "$template" && find . -type f) | while read -r rel; do
  out=$dest/${rel//$token/$name}
  mkdir -p "$(dirname "$out")"
  sed -e "s|plugins/templates/$kind/|plugins/$kind/$name/|g" \
      -e "s/$token/$name/g" -e "s/$Token/$camel/g" -e "s/$TOKEN/$upper/g" \
      "$template/$rel" > "$out"
done
left=$(grep -rli "$token" "$dest" || true)
if [[ -n $left ]]; then echo "the skeleton's name is left in: $left" >&2; exit 1; fi
echo "created ${dest#$root/}/:"
(cd "$dest" && find . -type f | sort | sed 's|^\./|  |')
echo "next: cmake -S . -B build && ninja -C build && build/ferry_tests --gtest_filter='*$camel*'"
echo "then follow the checklist in plugins/README.md (the TEMPLATE comments mark what to replace)"
