#!/usr/bin/env python3
"""Generates catalog.json, the GCP source's tables, from Google's API
discovery documents and tables.yaml (the list of tables: which list method,
which parameters, keys and relations).

    python3 plugins/source/gcp/catalog/generate.py [--wheel PATH]

The discovery documents are the ones google-api-python-client ships
(googleapiclient/discovery_cache/documents/<api>.<version>.json); the wheel
is pinned by version and sha256 (here and in discovery-requirements.txt) and
kept in $FERRY_CACHE_DIR/python-wheels (default ~/.cache/ferry), where
scripts/install-python-peers.sh puts it. Needs PyYAML (the test peers' venv,
tests/peers/python/.venv, has it). The output is deterministic: ctest
gcp_catalog_up_to_date runs `generate.py --check` and fails when
catalog.json is not what tables.yaml and the documents make.

Columns come from the schema of the list's items: every property, named in
snake_case (CloudQuery's rule: an upper-case letter starts a new word, a run
of capitals is one word, and digits stay with the letters before them), typed
by its JSON schema type and format (see COLUMN TYPES below). tables.yaml adds
the project column, primary keys, renames and type overrides.
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile

import yaml

WHEEL = "google_api_python_client-2.202.0-py3-none-any.whl"
WHEEL_VERSION = "2.202.0"
WHEEL_SHA256 = "aaa90064c9bb642ff1d065b22ca8958a2cb6e345909cefe70d0e5452fc50e08b"
HERE = os.path.dirname(os.path.abspath(__file__))


def die(msg):
    sys.exit("generate.py: " + msg)


def wheel_path(arg):
    if arg:
        return arg
    cache = os.path.join(os.environ.get("FERRY_CACHE_DIR", os.path.expanduser("~/.cache/ferry")), "python-wheels")
    path = os.path.join(cache, WHEEL)
    if not os.path.exists(path):  # scripts/install-python-peers.sh fetches it; else pip does here
        os.makedirs(cache, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", "--only-binary",
                        ":all:", "-d", cache, "-r", os.path.join(HERE, "discovery-requirements.txt")], check=True)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != WHEEL_SHA256:
        die(f"{path}: sha256 {digest}, expected {WHEEL_SHA256}")
    return path


class Docs:
    def __init__(self, wheel):
        self.zip = zipfile.ZipFile(wheel)
        self.cache = {}

    def get(self, name):  # "compute.v1"
        if name not in self.cache:
            try:
                raw = self.zip.read(f"googleapiclient/discovery_cache/documents/{name}.json")
            except KeyError:
                die(f"no discovery document {name} in {WHEEL}")
            self.cache[name] = json.loads(raw)
        return self.cache[name]


def find_method(doc, method_id):
    def walk(resources):
        for res in resources.values():
            for m in res.get("methods", {}).values():
                if m.get("id") == method_id:
                    return m
            found = walk(res.get("resources", {}))
            if found:
                return found
        return None
    m = walk(doc.get("resources", {}))
    if not m:
        die(f"{doc['name']}.{doc['version']}: no method {method_id}")
    return m


# CloudQuery's GCP plugin rewrote these pieces of its snake_case names.
GCP_NAME_FIXES = [("c_d_n", "cdn"), ("i_p_", "ip_"), ("ipv_6", "ipv6"), ("i_pv_4", "ipv4"), ("i_pv4", "ipv4"),
                  ("oauth_2", "oauth2"), ("c_o_r_s", "cors"), ("r_p_o", "rpo")]


def snake(name):
    """CloudQuery's column names: camelCase / PascalCase -> snake_case."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = s.replace("-", "_").replace(".", "_").lower()
    for old, new in GCP_NAME_FIXES:
        s = s.replace(old, new)
    return s


def first_sentence(text):
    text = " ".join((text or "").split())
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    out = m.group(1) if m else text
    return out if len(out) <= 300 else out[:297] + "..."


# COLUMN TYPES: a property's JSON schema type and format -> the catalog type.
def column_type(doc, prop):
    if "$ref" in prop:
        return "json"
    t, fmt = prop.get("type"), prop.get("format")
    if t == "string":
        if fmt == "int64":
            return "int64"
        if fmt == "uint64":
            return "int64"  # as CloudQuery: uint64 cast to int64 (values above 2^63 wrap)
        if fmt == "google-duration":
            return "duration_ns"  # as CloudQuery: a Duration is int64 nanoseconds
        if fmt in ("date-time", "google-datetime"):
            return "timestamp"
        return "utf8"
    if t == "integer":
        return "int64"
    if t == "number":
        return "float64"
    if t == "boolean":
        return "bool"
    if t == "array":
        item = prop.get("items", {})
        if "$ref" not in item and item.get("type") == "string" and item.get("format") not in ("int64", "uint64"):
            return "list<utf8>"
        if "$ref" not in item and (item.get("type") == "integer" or item.get("format") in ("int64", "uint64")):
            return "list<int64>"
        return "json"
    return "json"  # object, any


def item_schema(doc, method, entry, where):
    resp = doc["schemas"][method["response"]["$ref"]]
    props = resp.get("properties", {})
    items_field = entry.get("items")
    if not items_field:
        arrays = [k for k, v in props.items() if v.get("type") == "array"
                  and ("$ref" in v.get("items", {}) or v.get("items", {}).get("type") == "object")
                  and k not in ("unreachable", "unreachables", "warnings")]
        if "items" in props:
            arrays = ["items"]
        if len(arrays) != 1:
            die(f"{where}: cannot tell the items field of {method['response']['$ref']} ({arrays}); set items:")
        items_field = arrays[0]
    if items_field not in props:
        die(f"{where}: {method['response']['$ref']} has no field {items_field}")
    p = props[items_field]
    aggregated = None
    if p.get("type") == "object" and "additionalProperties" in p:  # aggregatedList
        scoped = doc["schemas"][p["additionalProperties"]["$ref"]]["properties"]
        arrays = [k for k, v in scoped.items() if v.get("type") == "array"]
        if len(arrays) != 1:
            die(f"{where}: cannot tell the list inside the scoped list ({arrays})")
        aggregated = arrays[0]
        item = scoped[aggregated]["items"]
    elif p.get("type") == "array":
        item = p["items"]
    else:
        die(f"{where}: {items_field} is neither a list nor a map of scoped lists")
    # A $ref, or a schema written inline (bigquery's DatasetList).
    return items_field, aggregated, doc["schemas"][item["$ref"]] if "$ref" in item else item


def bind_params(method, params, where):
    """The method's path with every path parameter bound: to text with
    Ferry's placeholders ({project}, {organization}, {parent.COL},
    {item.FIELD}); a placeholder bound to a reserved expansion {+x} is marked
    {+...} (not percent-encoded)."""
    path = method["path"]
    for pname in re.findall(r"\{\+?([^}]+)\}", method["path"]):
        if pname not in params:
            die(f"{where}: {method['id']} ({method['path']}) needs {pname}; set {{{pname}: ...}}")
    for pname, value in params.items():
        if "{+" + pname + "}" in path:
            path = path.replace("{+" + pname + "}", value.replace("{", "{+", 1) if value.startswith("{") else value)
        elif "{" + pname + "}" in path:
            path = path.replace("{" + pname + "}", value)
        else:
            die(f"{where}.{pname} is not in the path {method['path']}")
    return path


def build_table(docs, entry, parent=None):
    name = entry["name"]
    where = f"tables.yaml: {name}"
    api = entry["api"]  # "compute.v1"
    doc = docs.get(api)
    method = find_method(doc, entry["method"])
    if method.get("httpMethod") != "GET":
        die(f"{where}: {entry['method']} is not a GET")
    path = bind_params(method, entry.get("params", {}), f"{where}: params")
    detail = None
    if entry.get("single"):  # a get: the answer is the one row
        items_field, aggregated, schema = "", None, doc["schemas"][method["response"]["$ref"]]
    else:
        items_field, aggregated, schema = item_schema(doc, method, entry, where)
    if "detail" in entry:  # each item fetched again with this get; its answer is the row
        dm = find_method(doc, entry["detail"]["method"])
        detail = bind_params(dm, entry["detail"]["params"], f"{where}: detail.params")
        schema = doc["schemas"][dm["response"]["$ref"]]
    ref = schema.get("id", "item")
    mparams = method.get("parameters", {})
    table = {
        "name": name,
        "description": entry.get("description") or first_sentence(schema.get("description")) or f"{ref} resources",
        "service": entry.get("service", doc["rootUrl"].split("//")[1].rstrip("/")),
        "api": doc["name"],
        "method": method["id"],
        "base_url": doc["rootUrl"] + doc["servicePath"],
        "path": path,
    }
    if items_field:
        table["items"] = items_field
    if aggregated:
        table["aggregated"] = aggregated
    if detail:
        table["detail_path"] = detail
    if "recurse" in entry:  # a tree: each item's field is listed again as this query parameter
        r = entry["recurse"]
        if r.get("query") not in method.get("parameters", {}):
            die(f"{where}: recurse.query {r.get('query')} is not a parameter of {method['id']}")
        table["recurse"] = {"field": r["field"], "query": r["query"]}
    if "pageToken" in mparams:
        table["page_token_param"] = "pageToken"
        table["next_page_token"] = "nextPageToken"
    for size_param in ("maxResults", "pageSize"):
        if size_param in mparams:
            table["page_size_param"] = size_param
            maximum = mparams[size_param].get("maximum")
            size = entry.get("page_size") or (int(maximum) if maximum else 0)
            if size:
                table["page_size"] = size
            break
    query = dict(entry.get("query", {}))
    for k in query:
        if k not in mparams:
            die(f"{where}: query {k} is not a parameter of {method['id']}")
    if query:
        table["query"] = query
    pks = entry.get("primary_keys", [])
    renames = entry.get("rename", {})
    types = entry.get("types", {})
    skip = set(entry.get("skip", []))
    columns = []
    if entry.get("scope", "project") == "organization":
        table["scope"] = "organization"
        default_before = [{"name": "organization_id", "from": "organization",
                           "description": "The organization (its number) the resource was listed in"}]
    else:
        default_before = [{"name": "project_id", "from": "project",
                           "description": "The project the resource was listed in"}]
    for c in entry.get("columns_before", default_before):
        columns.append(dict(c, type=c.get("type", "utf8")))
    for prop_name, prop in schema.get("properties", {}).items():
        if prop_name in skip:
            continue
        col = renames.get(prop_name, snake(prop_name))
        columns.append({"name": col, "type": types.get(col, column_type(doc, prop)), "from": "field:" + prop_name,
                        "description": first_sentence(prop.get("description"))})
    for c in entry.get("columns_after", []):
        columns.append(dict(c, type=c.get("type", "utf8")))
    names = [c["name"] for c in columns]
    if len(set(names)) != len(names):
        die(f"{where}: duplicate column names {sorted(n for n in names if names.count(n) > 1)}")
    for pk in pks:
        if pk not in names:
            die(f"{where}: primary key {pk} is not a column ({names})")
    for c in columns:
        if c["name"] in pks:
            c["pk"] = True
        if not c.get("description"):
            c.pop("description", None)
    for t in types:
        if t not in names:
            die(f"{where}: types.{t} is not a column")
    table["columns"] = columns
    rels = [build_table(docs, r, name) for r in entry.get("relations", [])]
    if rels:
        table["relations"] = rels
    return table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel")
    ap.add_argument("--check", action="store_true", help="exit 1 if catalog.json is not what would be written")
    args = ap.parse_args()
    docs = Docs(wheel_path(args.wheel))
    with open(os.path.join(HERE, "tables.yaml")) as f:
        entries = yaml.safe_load(f)
    names = set()
    tables = []
    for e in entries:
        t = build_table(docs, e)
        tables.append(t)
    def collect(t):
        if t["name"] in names:
            die(f"tables.yaml: table {t['name']} twice")
        names.add(t["name"])
        for r in t.get("relations", []):
            collect(r)
    for t in tables:
        collect(t)
    out = {"generated_from": f"google-api-python-client {WHEEL_VERSION} discovery documents "
                             f"({', '.join(sorted(docs.cache))}) and tables.yaml, by catalog/generate.py",
           "tables": tables}
    text = json.dumps(out, indent=1, ensure_ascii=False) + "\n"
    path = os.path.join(HERE, "catalog.json")
    if args.check:
        current = open(path).read() if os.path.exists(path) else ""
        if current != text:
            sys.exit("catalog.json is stale: run tests/peers/python/.venv/bin/python plugins/source/gcp/catalog/generate.py")
        return
    with open(path, "w") as f:
        f.write(text)
    print(f"generate.py: {len(names)} tables -> {path}")


if __name__ == "__main__":
    main()
