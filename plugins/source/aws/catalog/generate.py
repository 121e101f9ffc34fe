#!/usr/bin/env python3
"""Writes catalog.json, the AWS source's tables as data, from AWS's service models.

The models are the JSON files AWS's SDKs are generated from, as botocore ships
them (service-2.json and paginators-1.json of each service; botocore is pinned
in the Python test peers' lock, tests/peers/python/requirements.txt, and only
its data files are read).
tables.yaml says which operation each table lists, where the items are in its
answer, which fixed parameters it sends, its primary key and relations.
Everything else is derived from the models:

  - how to call the operation: protocol (query, ec2, json, rest-json,
    rest-xml), HTTP method and URI, where each input parameter goes (form
    key, JSON member, URI label, query string, header) under its wire name;
  - pagination: the paginator's input and output tokens, the "more results"
    flag and the page-size parameter, set to the largest value the model
    allows;
  - how to read the answer: every shape reachable from the operation's
    output (types, XML element names, flattened lists), so one generic client
    reads XML and JSON answers into the same JSON, keyed by member names;
  - the columns: every member of the item's shape, snake_cased as CloudQuery
    names them, with CloudQuery's types.

Usage:
  tests/peers/python/.venv/bin/python plugins/source/aws/catalog/generate.py [--models DIR] [--check]
--check compares with the committed catalog.json and fails when it is stale.
"""
import argparse
import gzip
import json
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
SUPPORTED_PROTOCOLS = ["json", "rest-json", "rest-xml", "query", "ec2"]


def die(msg):
    sys.exit("plugins/source/aws/catalog/generate.py: " + msg)


def models_dir(arg):
    """botocore's data directory: the botocore the Python test peers' venv has
    (tests/peers/python/requirements.txt pins it; scripts/install-python-peers.sh installs it)."""
    if arg:
        return arg, "botocore (" + arg + ")"
    try:
        import botocore
    except ImportError:
        die("botocore is not importable: run with tests/peers/python/.venv/bin/python "
            "(scripts/install-python-peers.sh installs it), or pass --models DIR")
    return os.path.join(os.path.dirname(botocore.__file__), "data"), f"botocore {botocore.__version__}"


class Models:
    def __init__(self, data_dir):
        self.dir = data_dir
        self.cache = {}

    def _load(self, service, file):
        base = os.path.join(self.dir, service)
        if not os.path.isdir(base):
            return None
        # The newest API version of the service.
        for version in sorted(os.listdir(base), reverse=True):
            for name in (file, file + ".gz"):
                path = os.path.join(base, version, name)
                if os.path.exists(path):
                    with open(path, "rb") as f:
                        data = f.read()
                    return json.loads(gzip.decompress(data) if name.endswith(".gz") else data)
        return None

    def service(self, name):
        if name not in self.cache:
            model = self._load(name, "service-2.json")
            if model is None:
                die(f"botocore has no service {name!r}")
            pag = self._load(name, "paginators-1.json") or {"pagination": {}}
            self.cache[name] = (model, pag["pagination"])
        return self.cache[name]


# CloudQuery's column names: its Go SDK field names (the models' member
# names) snake_cased. Fixes where the plain rule and CloudQuery's differ.
NAME_FIXES = []


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = s.replace("-", "_").replace(".", "_").replace(":", "_").lower()
    for old, new in NAME_FIXES:
        s = s.replace(old, new)
    return s


def first_sentence(html):
    text = re.sub(r"<[^>]+>", "", html or "").strip()
    text = re.sub(r"\s+", " ", text)
    m = re.match(r"(.+?\.)(\s|$)", text)
    return (m.group(1) if m else text)[:300]


def pick_protocol(model, entry):
    meta = model["metadata"]
    protocols = meta.get("protocols") or [meta["protocol"]]
    if entry.get("protocol"):
        if entry["protocol"] not in protocols:
            die(f"{entry['name']}: protocol {entry['protocol']} is not one of {protocols}")
        return entry["protocol"]
    for p in protocols:
        if p in SUPPORTED_PROTOCOLS:
            return p
    die(f"{entry['name']}: none of the protocols {protocols} is supported")


def is_tags_shape(shapes, shape_name):
    """A list of {Key, Value} structures: CloudQuery turns it into a JSON map."""
    shape = shapes[shape_name]
    if shape["type"] != "list":
        return False
    member = shapes[shape["member"]["shape"]]
    if member["type"] != "structure":
        return False
    names = {k.lower() for k in member["members"]}
    return names in ({"key", "value"}, {"tagkey", "tagvalue"})


def column_kind(shapes, shape_name):
    shape = shapes[shape_name]
    t = shape["type"]
    if t == "string":
        return "utf8"
    if t in ("integer", "long"):
        return "int64"
    if t == "boolean":
        return "bool"
    if t in ("double", "float"):
        return "float64"
    if t == "timestamp":
        return "timestamp"
    if t == "blob":
        return "binary"
    if t == "list":
        inner = shapes[shape["member"]["shape"]]["type"]
        if inner == "string":
            return "list<utf8>"
        if inner in ("integer", "long"):
            return "list<int64>"
        return "json"
    return "json"   # structure, map, document, list of structures


def collect_shapes(shapes, root, out):
    """Every shape reachable from `root`, with what decoding needs."""
    stack = [root]
    while stack:
        name = stack.pop()
        if name in out:
            continue
        s = shapes[name]
        d = {"type": s["type"]}
        if s.get("flattened"):
            d["flattened"] = True
        if s["type"] == "structure":
            members = {}
            for m, ref in s["members"].items():
                md = {"shape": ref["shape"]}
                for k in ("locationName", "location", "flattened", "xmlAttribute"):
                    if ref.get(k):
                        md[k] = ref[k]
                members[m] = md
                stack.append(ref["shape"])
            d["members"] = members
            if s.get("payload"):
                d["payload"] = s["payload"]
        elif s["type"] == "list":
            d["member"] = {k: v for k, v in s["member"].items() if k in ("shape", "locationName")}
            stack.append(s["member"]["shape"])
        elif s["type"] == "map":
            for k in ("key", "value"):
                d[k] = {kk: vv for kk, vv in s[k].items() if kk in ("shape", "locationName")}
                stack.append(s[k]["shape"])
        elif s["type"] == "timestamp" and s.get("timestampFormat"):
            d["timestampFormat"] = s["timestampFormat"]
        out[name] = d


def wire_inputs(protocol, shapes, input_shape, params, where, optional=()):
    """Input parameters (member -> value) as wire entries for the protocol.
    Members in `optional` are left out of a request when their value's
    placeholder has nothing to expand (the item lacks the field)."""
    out = []
    members = shapes[input_shape]["members"] if input_shape else {}
    for member in optional:
        if member not in params:
            die(f"{where}: optional_params: {member!r} is not in params")
    for member, value in params.items():
        if member not in members:
            die(f"{where}: the operation has no input parameter {member!r} (it has {sorted(members)})")
        entries = wire_entry(protocol, shapes, member, members[member], value, where)
        if member in optional:
            for e in entries:
                e["optional"] = True
        out.extend(entries)
    return out


def scalar_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def wire_entry(protocol, shapes, member, ref, value, where):
    shape = shapes[ref["shape"]]
    t = shape["type"]
    json_type = {"integer": "number", "long": "number", "boolean": "bool", "double": "number",
                 "float": "number", "timestamp": "timestamp"}.get(t, "string")
    if protocol in ("query", "ec2"):
        if protocol == "ec2":
            # ec2: the serialised name is queryName, else locationName capitalised, else the member.
            base = ref.get("queryName") or (ref["locationName"][0].upper() + ref["locationName"][1:]
                                            if ref.get("locationName") else member)
        else:
            base = ref.get("locationName", member)
        if t == "structure" or (t == "list" and shapes[shape["member"]["shape"]]["type"] in ("structure", "list")):
            # RDS's Filters=[{Name: engine, Values: [docdb]}] as
            # Filters.Filter.1.Name=engine&Filters.Filter.1.Values.Value.1=docdb.
            return query_form(protocol, shapes, ref["shape"], base, value, f"{where}: parameter {member}")
        if t == "list":
            if not isinstance(value, list):
                die(f"{where}: parameter {member} is a list")
            item = shape["member"].get("locationName", "member")
            entries = []
            for i, v in enumerate(value, 1):
                key = f"{base}.{i}" if protocol == "ec2" or shape.get("flattened") else f"{base}.{item}.{i}"
                entries.append({"location": "form", "name": key, "value": scalar_text(v)})
            return entries
        if t == "map":
            die(f"{where}: parameter {member}: maps are not supported as fixed query parameters")
        return [{"location": "form", "name": base, "value": scalar_text(value)}]
    if protocol == "json":
        if t in ("structure", "map", "list"):
            return [{"location": "json", "name": member, "json": value}]
        return [{"location": "json", "name": member, "value": scalar_text(value), "type": json_type}]
    # rest-json, rest-xml
    loc = ref.get("location")
    if loc in ("uri", "querystring", "header"):
        if t == "list":
            if loc != "querystring":
                die(f"{where}: parameter {member}: a list in {loc} is not supported")
            return [{"location": "querystring", "name": ref.get("locationName", member), "value": scalar_text(v)}
                    for v in value]
        return [{"location": loc, "name": ref.get("locationName", member), "value": scalar_text(value)}]
    if protocol == "rest-json":
        if t in ("structure", "map", "list"):
            return [{"location": "json", "name": ref.get("locationName", member), "json": value}]
        return [{"location": "json", "name": ref.get("locationName", member), "value": scalar_text(value),
                 "type": json_type}]
    die(f"{where}: parameter {member}: an XML body parameter is not supported")


def query_form(protocol, shapes, shape_name, prefix, value, where):
    """A structured value as query/ec2 form entries, keyed as AWS's SDKs
    serialise it: structure members by their (query) names, lists numbered
    from 1 (query: under the member's locationName, "member" by default,
    unless flattened; ec2: always flattened). Strings may hold placeholders
    ({parent.col}), expanded per request like every input value."""
    shape = shapes[shape_name]
    t = shape["type"]
    if t == "structure":
        if not isinstance(value, dict):
            die(f"{where}: {prefix} is a structure: give a mapping")
        out = []
        members = shape["members"]
        for m, v in value.items():
            if m not in members:
                die(f"{where}: {prefix} has no member {m!r} (it has {sorted(members)})")
            ref = members[m]
            if protocol == "ec2":
                key = ref.get("queryName") or (ref["locationName"][0].upper() + ref["locationName"][1:]
                                               if ref.get("locationName") else m)
            else:
                key = ref.get("locationName", m)
            out += query_form(protocol, shapes, ref["shape"], f"{prefix}.{key}", v, where)
        return out
    if t == "list":
        if not isinstance(value, list):
            die(f"{where}: {prefix} is a list")
        if protocol == "ec2":
            list_prefix = prefix
        elif shape.get("flattened"):
            name = shape["member"].get("locationName")
            list_prefix = ".".join(prefix.split(".")[:-1] + [name]) if name else prefix
        else:
            list_prefix = f"{prefix}.{shape['member'].get('locationName', 'member')}"
        out = []
        for i, v in enumerate(value, 1):
            out += query_form(protocol, shapes, shape["member"]["shape"], f"{list_prefix}.{i}", v, where)
        return out
    if t == "map":
        die(f"{where}: {prefix}: maps are not supported as fixed query parameters")
    if isinstance(value, (dict, list)):
        die(f"{where}: {prefix} is a {t}, not a structure or list")
    return [{"location": "form", "name": prefix, "value": scalar_text(value)}]


def parse_items_path(text):
    """'Reservations[].Instances[]' -> ['Reservations', '[]', 'Instances', '[]']."""
    out = []
    for part in text.split("."):
        if part.endswith("[]"):
            out += [part[:-2], "[]"] if part[:-2] else ["[]"]   # "[]": the items of the list itself
        elif part:
            out.append(part)
    return out


def shape_at(shapes, root, path, where):
    """The shape the items path ends at."""
    name = root
    for step in path:
        s = shapes[name]
        if step == "[]":
            if s["type"] != "list":
                die(f"{where}: '[]' on a {s['type']}")
            name = s["member"]["shape"]
        elif step == "{}":
            if s["type"] != "map":
                die(f"{where}: '{{}}' on a {s['type']}")
            name = s["value"]["shape"]
        else:
            if s["type"] != "structure" or step not in s["members"]:
                die(f"{where}: no member {step!r} in shape {name}")
            name = s["members"][step]["shape"]
    return name


def same_as_botocore(models, service_name, op_name, protocol, params, inputs, where):
    """The form keys of a query/ec2 call's fixed parameters must be the ones
    botocore's own serializer writes for them (structures and lists of
    structures such as RDS's Filters are serialised here, not by botocore)."""
    try:
        from botocore import serialize
        from botocore.model import ServiceModel
    except ImportError:
        return   # --models without botocore: nothing to compare with
    model, _ = models.service(service_name)
    op = ServiceModel(model, service_name).operation_model(op_name)
    body = serialize.create_serializer(protocol, include_validation=False).serialize_to_request(params, op)["body"]
    theirs = {k: str(v) for k, v in body.items() if k not in ("Action", "Version")}
    mine = {e["name"]: e["value"] for e in inputs}
    if mine != theirs:
        die(f"{where}: the parameters serialise as {mine}, botocore writes {theirs}")


def build_call(models, service_name, op_name, entry, params, where, paginate=True, paging_entry=None, optional=()):
    # paging_entry: where a table's own "paginator" and "page_size" are read
    # (the table entry itself unless given: an enrich call has its own).
    paging_entry = entry if paging_entry is None else paging_entry
    model, paginators = models.service(service_name)
    shapes = model["shapes"]
    if op_name not in model["operations"]:
        die(f"{where}: service {service_name} has no operation {op_name}")
    op = model["operations"][op_name]
    protocol = pick_protocol(model, entry)
    input_shape = op.get("input", {}).get("shape")
    output_shape = op.get("output", {}).get("shape")
    call = {
        "operation": op_name,
        "http_method": op["http"]["method"],
        "request_uri": op["http"]["requestUri"],
        "input": wire_inputs(protocol, shapes, input_shape, params, where, optional),
        "output_shape": output_shape or "",
    }
    if protocol in ("query", "ec2") and params:
        same_as_botocore(models, service_name, op_name, protocol, params, call["input"], where)
    if op.get("endpoint", {}).get("hostPrefix"):
        # S3 Control's "{AccountId}.": the host starts with an input's value
        # ({account}), as AWS's SDKs build it; the input is still sent where
        # the model puts it too (x-amz-account-id).
        prefix = op["endpoint"]["hostPrefix"]
        for label in re.findall(r"\{([^}]+)\}", prefix):
            if label not in params:
                die(f"{where}: {op_name}'s host prefix {prefix!r} needs the parameter {label}")
            prefix = prefix.replace("{" + label + "}", str(params[label]))
        call["host_prefix"] = prefix
    if op.get("output", {}).get("resultWrapper"):
        call["result_wrapper"] = op["output"]["resultWrapper"]
    pag = paginators.get(op_name) if paginate else None
    if paginate and paging_entry.get("paginator"):
        # Operations that page although botocore has no paginator for them
        # (Route 53's ListTrafficPolicies): the same keys as botocore's.
        if pag:
            die(f"{where}: botocore has a paginator for {op_name}; remove the table's own")
        pag = paging_entry["paginator"]
        for k in pag:
            if k not in ("input_token", "output_token", "more_results", "limit_key"):
                die(f"{where}: paginator: unknown key {k!r}")
    if pag:
        # A paginator may have several tokens (Route 53's ListResourceRecordSets
        # pages by name, type and identifier): every one of the answer's goes
        # into the next request.
        in_tokens = pag["input_token"] if isinstance(pag["input_token"], list) else [pag["input_token"]]
        out_tokens = pag["output_token"] if isinstance(pag["output_token"], list) else [pag["output_token"]]
        if len(in_tokens) != len(out_tokens):
            die(f"{where}: {op_name} has {len(in_tokens)} input tokens and {len(out_tokens)} output tokens")
        for t in out_tokens:
            if not re.fullmatch(r"[A-Za-z0-9_.]+", t):
                die(f"{where}: {op_name}'s output token {t!r} is an expression; not supported")
        members = shapes[input_shape]["members"]
        token_wires = []
        for t in in_tokens:
            if t not in members:
                die(f"{where}: {op_name} has no input token {t!r}")
            wire = wire_entry(protocol, shapes, t, members[t], "", where)[0]
            wire.pop("value", None)
            token_wires.append(wire)
        p = {"input_tokens": token_wires, "output_tokens": [t.split(".") for t in out_tokens]}
        if pag.get("more_results"):
            p["more_results"] = pag["more_results"].split(".")
        limit = paging_entry.get("page_size")
        if pag.get("limit_key") and limit is None:
            limit = shapes[members[pag["limit_key"]]["shape"]].get("max")
        if pag.get("limit_key") and limit is not None and pag["limit_key"] not in params:
            call["input"].extend(wire_entry(protocol, shapes, pag["limit_key"], members[pag["limit_key"]], int(limit),
                                            where))
        call["paginator"] = p
    return call, protocol, shapes, output_shape


def service_entry(models, service_name, protocol):
    model, _ = models.service(service_name)
    meta = model["metadata"]
    d = {
        "protocol": protocol,
        "api_version": meta["apiVersion"],
        "endpoint_prefix": meta["endpointPrefix"],
        "signing_name": meta.get("signingName") or meta["endpointPrefix"],
        "shapes": {},
    }
    if meta.get("targetPrefix"):
        d["target_prefix"] = meta["targetPrefix"]
    if meta.get("jsonVersion"):
        d["json_version"] = meta["jsonVersion"]
    if meta.get("globalEndpoint"):
        d["global_endpoint"] = meta["globalEndpoint"]
    elif service_name in GLOBAL_FROM_ENDPOINTS:
        d["global_endpoint"] = partition_endpoint(models, meta["endpointPrefix"], service_name)
    else:
        missing = regions_not_offered(models, meta["endpointPrefix"])
        if missing:
            d["not_offered"] = missing
    # Endpoint discovery (Timestream): the operations that require it go to the
    # address the service's endpoint operation (DescribeEndpoints) answers.
    ops = model["operations"]
    discovery = [n for n, op in ops.items() if op.get("endpointoperation")]
    if discovery and any(op.get("endpointdiscovery", {}).get("required") for op in ops.values()):
        d["discovery_operation"] = discovery[0]
    return d


# Services whose model has no globalEndpoint although AWS serves them at one
# host for the partition (botocore's endpoints.json: not regionalized, a
# partition endpoint): WAF Classic is waf.amazonaws.com, Organizations
# organizations.us-east-1.amazonaws.com, Account Management and Cost Explorer
# account.us-east-1 and ce.us-east-1, all signed for us-east-1.
GLOBAL_FROM_ENDPOINTS = {"waf", "organizations", "account", "ce"}


def endpoints_data(models):
    import botocore.loaders
    if not hasattr(models, "_endpoints"):
        models._endpoints = botocore.loaders.Loader(extra_search_paths=[models.dir]).load_data("endpoints")
    return models._endpoints


# A regional service's regions without an endpoint, per partition, as
# botocore's endpoints.json has them: {partition: [region, ...]}. Only where
# the partition lists the service at some of its regions and not at others
# (Timestream in 8 of the aws partition's regions); a service the file does not
# list for a partition, and regions the file does not know (launched after
# it), are not in it: those are called.
def regions_not_offered(models, prefix):
    out = {}
    for part in endpoints_data(models)["partitions"]:
        svc = part["services"].get(prefix)
        if not svc or svc.get("isRegionalized") is False:
            continue
        known = set(part["regions"])
        offered = known & set(svc.get("endpoints", {}))
        if offered and offered != known:
            out[part["partition"]] = sorted(known - offered)
    return out


def partition_endpoint(models, prefix, service_name):
    aws = [p for p in endpoints_data(models)["partitions"] if p["partition"] == "aws"][0]
    svc = aws["services"].get(prefix, {})
    if svc.get("isRegionalized") is not False or not svc.get("partitionEndpoint"):
        die(f"{service_name}: botocore's endpoints.json has no partition endpoint for {prefix}")
    ep = svc["endpoints"][svc["partitionEndpoint"]]
    if ep.get("credentialScope", {}).get("region", "us-east-1") != "us-east-1":
        die(f"{service_name}: its partition endpoint is not signed for us-east-1")
    return ep["hostname"]


def make_columns(shapes, item_shape, entry, where):
    cols = []
    for extra in entry.get("columns_before", []):
        cols.append(extra_column(extra, where))
    rename = entry.get("rename", {})
    types = entry.get("types", {})
    skip = set(entry.get("skip", []))
    s = shapes[item_shape]
    members = s["members"] if s["type"] == "structure" and not entry.get("csv") else {}
    if s["type"] != "structure" and not entry.get("columns_after") and not entry.get("columns_before"):
        die(f"{where}: the items are {s['type']}s, not structures: give their columns")
    unwrap = entry.get("unwrap", [])
    for u in unwrap:
        if u not in members or shapes[members[u]["shape"]]["type"] != "structure":
            die(f"{where}: unwrap: {u!r} is not a structure member of the items")
    # Members of the item, with those of its `unwrap` structures in their place
    # (Network Firewall's DescribeFirewall answers Firewall and FirewallStatus:
    # one row with the members of both, as CloudQuery's table).
    flat = []
    for member, ref in members.items():
        if member in unwrap:
            flat += [([member, m], m, r) for m, r in shapes[ref["shape"]]["members"].items()]
        else:
            flat.append(([member], member, ref))
    for path, member, ref in flat:
        if member in skip:
            continue
        name = rename.get(member) or snake(member)
        col = {"name": name, "path": path}
        if member in ("Tags", "TagList", "TagSet", "tags") and is_tags_shape(shapes, ref["shape"]):
            col["name"] = rename.get(member) or "tags"
            col["kind"] = "json"
            col["transform"] = "tags"
        else:
            col["kind"] = types.get(name) or column_kind(shapes, ref["shape"])
        cols.append(col)
    for extra in entry.get("columns_after", []):
        cols.append(extra_column(extra, where))
    names = [c["name"] for c in cols]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        die(f"{where}: duplicate columns {sorted(dupes)} (rename or skip one)")
    pk = entry.get("primary_keys", [])
    for k in pk:
        if k not in names:
            die(f"{where}: primary key {k!r} is not a column (columns: {names})")
    for c in cols:
        if c["name"] in pk:
            c["primary_key"] = True
    return cols


def extra_column(extra, where):
    """{name, from: account|region|partition|arn|parent:COL|item|path:A.B|first:A.B,C.D|template:TEXT, type}"""
    src = extra["from"]
    col = {"name": extra["name"], "kind": extra.get("type", "utf8")}
    if src in ("account", "region", "partition"):
        col["source"] = src
    elif src == "item":
        col["source"] = "item"
    elif src.startswith("parent:"):
        col["source"] = "parent"
        col["path"] = [src[len("parent:"):]]
    elif src.startswith("path:"):
        col["path"] = src[len("path:"):].split(".")
    elif src.startswith("first:"):
        # The first of several paths the item has (a RAM invitation's receiver:
        # its ARN, else its account id).
        paths = [p.split(".") for p in src[len("first:"):].split(",")]
        if len(paths) < 2:
            die(f"{where}: column {extra['name']}: first: needs two paths or more")
        col["path"] = paths[0]
        col["fallback_paths"] = paths[1:]
    elif src.startswith("template:"):
        col["source"] = "template"
        col["template"] = src[len("template:"):]
    else:
        die(f"{where}: column {extra['name']}: unknown source {src!r}")
    if extra.get("transform"):
        col["transform"] = extra["transform"]
    if extra.get("null_if"):
        col["null_if"] = extra["null_if"]
    return col


def for_each(models, entry, services, where, parent):
    """The values a table is listed once for, {each} (an object value's member
    {each.A.B}) in the inputs of its calls and in its columns' templates. One of:

      for_each: [A, B, ...]                   fixed values (Support's languages, RAM's owners)
      for_each: {enum: MEMBER}                every value the model allows for the operation's
                                              input MEMBER (Application Auto Scaling's namespaces)
      for_each: {operation: OP, service: S,   the items of a call (another service's maybe:
                 params: {...}, items: PATH}  each IAM Identity Center instance's identity store id)
      for_each: {parent: COL, paths: [P...]}  what the paths reach in the parent row's JSON column
                                              COL (an MQ broker's configurations: Current.Id,
                                              History[].Id); without paths, the items of the list
                                              COL holds ("[]"); "{parent.COL}" says the same.

    catalog.json has {"values": [...]}, {"service", "call"} or {"parent", "paths"}; the
    resolver lists each value once (duplicates dropped)."""
    fe = entry["for_each"]
    fwhere = where + " for_each"
    if entry.get("incremental"):
        die(f"{fwhere}: for_each and incremental together are not supported")
    if isinstance(fe, list):
        if not fe or not all(isinstance(v, (str, int, float, bool, dict)) for v in fe):
            die(f"{fwhere}: a list of values must hold values")
        return {"values": fe}
    if isinstance(fe, str):
        m = re.fullmatch(r"\{parent\.([a-z0-9_]+)\}", fe)
        if not m:
            die(f"{fwhere}: a text must be \"{{parent.COLUMN}}\"")
        fe = {"parent": m.group(1)}
    if not isinstance(fe, dict):
        die(f"{fwhere}: a list of values, \"{{parent.COLUMN}}\" or a mapping")
    for k in fe:
        if k not in ("enum", "service", "operation", "params", "items", "parent", "paths"):
            die(f"{fwhere}: unknown key {k!r}")
    forms = [k for k in ("enum", "operation", "parent") if k in fe]
    if len(forms) != 1:
        die(f"{fwhere}: exactly one of enum, operation, parent")
    if "parent" in fe:
        if parent is None:
            die(f"{fwhere}: parent {fe['parent']!r}, but the table has no parent")
        if fe["parent"] not in [c["name"] for c in parent["columns"]]:
            die(f"{fwhere}: the parent has no column {fe['parent']!r}")
        paths = fe.get("paths", ["[]"])
        if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
            die(f"{fwhere}: paths must be a list of paths")
        return {"parent": fe["parent"], "paths": [parse_items_path(p) for p in paths]}
    if "enum" in fe:
        model, _ = models.service(entry["service"])
        shapes = model["shapes"]
        members = shapes[model["operations"][entry["operation"]]["input"]["shape"]]["members"]
        if fe["enum"] not in members or "enum" not in shapes[members[fe["enum"]]["shape"]]:
            die(f"{fwhere}: {fe['enum']!r} is not an enum input of {entry['operation']}")
        return {"values": shapes[members[fe["enum"]]["shape"]]["enum"]}
    service_name = fe.get("service", entry["service"])
    call, protocol, shapes, out = build_call(models, service_name, fe["operation"], fe, fe.get("params", {}), fwhere)
    svc = services.setdefault(service_name, service_entry(models, service_name, protocol))
    if svc["protocol"] != protocol:
        die(f"{fwhere}: service {service_name} already uses protocol {svc['protocol']}")
    call["items"] = parse_items_path(fe.get("items", ""))
    if out:
        collect_shapes(shapes, out, svc["shapes"])
        shape_at(shapes, out, call["items"], fwhere)
    return {"service": service_name, "call": call}


def build_table(models, entry, services, parent=None):
    where = f"tables.yaml: {entry['name']}"
    for key in entry:
        if key not in ("name", "service", "operation", "params", "items", "primary_keys", "rename", "types",
                       "skip", "columns_before", "columns_after", "relations", "description", "scope",
                       "protocol", "page_size", "detail", "ignore_errors", "paginate", "enrich", "region",
                       "incremental", "paginator", "unwrap", "for_each", "when_parent", "job", "csv", "paid",
                       "merge_pages", "walk"):
            die(f"{where}: unknown key {key!r}")
    service_name = entry["service"]
    call, protocol, shapes, output_shape = build_call(models, service_name, entry["operation"], entry,
                                                      entry.get("params", {}), where,
                                                      entry.get("paginate", True))
    svc = services.setdefault(service_name, service_entry(models, service_name, protocol))
    if svc["protocol"] != protocol:
        die(f"{where}: service {service_name} already uses protocol {svc['protocol']}")
    if output_shape:
        collect_shapes(shapes, output_shape, svc["shapes"])
    items = parse_items_path(entry.get("items", ""))
    call["items"] = items
    item_shape = shape_at(shapes, output_shape, items, where) if output_shape else None
    table = {
        "name": entry["name"],
        "service": service_name,
        "scope": entry.get("scope", "account" if svc.get("global_endpoint") else "region"),
        "call": call,
    }
    model, _ = models.service(service_name)
    table["description"] = entry.get("description") or first_sentence(
        model["operations"][entry["operation"]].get("documentation", ""))
    if entry.get("detail"):
        d = entry["detail"]
        dwhere = where + " detail"
        # A detail call reads one answer, unless `paginate: true`: then every page
        # of it, as botocore's paginator for the operation says (SSO's
        # ListAccountAssignments of each account a permission set is provisioned to).
        for k in d:
            if k not in ("operation", "params", "optional_params", "items", "ignore_errors", "paginate", "paginator",
                         "page_size"):
                die(f"{dwhere}: unknown key {k!r}")
        dcall, dprotocol, _, dout = build_call(models, service_name, d["operation"], entry, d.get("params", {}),
                                               dwhere, paginate=bool(d.get("paginate")), paging_entry=d,
                                               optional=tuple(d.get("optional_params", ())))
        if dprotocol != protocol:
            die(f"{dwhere}: protocol differs")
        dcall["items"] = parse_items_path(d.get("items", ""))
        if d.get("ignore_errors"):
            dcall["ignore_errors"] = d["ignore_errors"]
        collect_shapes(shapes, dout, svc["shapes"])
        item_shape = shape_at(shapes, dout, dcall["items"], dwhere)
        table["detail"] = dcall
    if entry.get("ignore_errors"):
        table["ignore_errors"] = entry["ignore_errors"]
    if "for_each" in entry:
        table["for_each"] = for_each(models, entry, services, where, parent)
    if entry.get("region"):
        table["region"] = entry["region"]
    if "when_parent" in entry:
        # Listed only for parent rows whose columns hold these values (a Trusted
        # Advisor check's result once, with the English check; a template: the
        # VPC endpoint services whose owner is "{account}"), or, {present: true},
        # are not NULL (the backtracks of Aurora clusters with a backtrack window).
        wp = entry["when_parent"]
        if parent is None or not isinstance(wp, dict) or not wp:
            die(f"{where}: when_parent is a mapping of the parent's columns to values, in a relation")
        for col, value in wp.items():
            if col not in [c["name"] for c in parent["columns"]]:
                die(f"{where}: when_parent: {col!r} is not a column of the parent")
            if not isinstance(value, str) and value != {"present": True}:
                die(f"{where}: when_parent: {col}'s condition is neither a text nor {{present: true}}")
        table["when_parent"] = wp
    if entry.get("job"):
        # A job started (and polled) before the call: IAM's service last
        # accessed details and credential report.
        jb = entry["job"]
        jwhere = where + " job"
        for k in jb:
            if k not in ("start", "poll", "status", "done", "failed", "wait_seconds"):
                die(f"{jwhere}: unknown key {k!r}")
        job = {}
        for part in ("start", "poll"):
            if part not in jb:
                continue
            c = jb[part]
            pcall, pprotocol, _, pout = build_call(models, service_name, c["operation"], entry, c.get("params", {}),
                                                   f"{jwhere} {part}", paginate=False, paging_entry=c)
            if pout:
                collect_shapes(shapes, pout, svc["shapes"])
            job[part] = pcall
        status_path = jb["status"].split(".")
        status_op = jb.get("poll", jb["start"])["operation"]
        model, _ = models.service(service_name)
        shape_at(shapes, model["operations"][status_op]["output"]["shape"], status_path, jwhere + " status")
        job["status"] = status_path
        job["done"] = jb["done"]
        job["failed"] = jb.get("failed", [])
        job["wait_seconds"] = int(jb.get("wait_seconds", 300))
        table["job"] = job
    if entry.get("walk"):
        # A tree walked from a start call's items (Organizations' roots): the
        # table's call is made with {walk} = each start item's and each listed
        # item's `id` member.
        w = entry["walk"]
        wwhere = where + " walk"
        for k in w:
            if k not in ("operation", "params", "items", "id"):
                die(f"{wwhere}: unknown key {k!r}")
        wcall, _, _, wout = build_call(models, service_name, w["operation"], entry, w.get("params", {}), wwhere,
                                       paginate=True, paging_entry=w)
        wcall["items"] = parse_items_path(w["items"])
        if wout:
            collect_shapes(shapes, wout, svc["shapes"])
            shape_at(shapes, shape_at(shapes, wout, wcall["items"], wwhere), [w["id"]], wwhere)
        shape_at(shapes, item_shape, [w["id"]], wwhere)
        table["walk"] = {"start": wcall, "id": [w["id"]]}
    if entry.get("csv"):
        path = entry["csv"].split(".")
        if shapes[shape_at(shapes, item_shape, path, where + " csv")]["type"] != "blob":
            die(f"{where}: csv: {entry['csv']} is not a blob")
        table["csv"] = path
    if entry.get("merge_pages"):
        table["merge_pages"] = True
    if entry.get("paid"):
        table["paid"] = True
    enrich = []
    for e in entry.get("enrich", []):
        ewhere = f"{where} enrich {e.get('operation')}"
        # A collected list (collect: true) is read to its last page, as botocore's
        # paginator for the operation says; a single value comes from one answer.
        ecall, eprotocol, _, eout = build_call(models, service_name, e["operation"], entry, e.get("params", {}),
                                               ewhere, paginate=bool(e.get("collect")), paging_entry=e)
        if eprotocol != protocol:
            die(f"{ewhere}: protocol differs")
        ecall["items"] = parse_items_path(e.get("items", ""))
        ecall["as"] = e["as"]
        if e.get("region"):
            ecall["region"] = e["region"]
        if e.get("ignore_errors"):
            ecall["ignore_errors"] = e["ignore_errors"]
        if e.get("collect"):
            # every item the path reaches, as a list (WAF's activated rules' ids)
            ecall["collect"] = True
        for k in e:
            if k not in ("operation", "params", "items", "as", "region", "ignore_errors", "collect", "paginator",
                         "page_size"):
                die(f"{ewhere}: unknown key {k!r}")
        if eout:
            collect_shapes(shapes, eout, svc["shapes"])
            shape_at(shapes, eout, ecall["items"], ewhere)
        enrich.append(ecall)
    if enrich:
        table["enrich"] = enrich
    table["columns"] = make_columns(shapes, item_shape, entry, where)
    if entry.get("incremental"):
        inc = entry["incremental"]
        model, _ = models.service(service_name)
        input_shape = model["operations"][entry["operation"]]["input"]["shape"]
        members = shapes[input_shape]["members"]
        if inc["start_param"] not in members:
            die(f"{where}: incremental start_param {inc['start_param']!r} is not an input of {entry['operation']}")
        start = wire_entry(protocol, shapes, inc["start_param"], members[inc["start_param"]], "", where)[0]
        start.pop("value", None)
        cursor = [c for c in table["columns"] if c["name"] == inc["cursor"]]
        if not cursor or cursor[0]["kind"] != "timestamp":
            die(f"{where}: incremental cursor {inc['cursor']!r} is not a timestamp column")
        table["incremental"] = {"cursor": inc["cursor"], "start_input": start,
                                "lookback_seconds": int(inc.get("lookback_seconds", 0))}
    table["relations"] = [build_table(models, r, services, table) for r in entry.get("relations", [])]
    return table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    data_dir, source = models_dir(args.models)
    models = Models(data_dir)
    with open(os.path.join(HERE, "tables.yaml")) as f:
        entries = yaml.safe_load(f)
    with open(os.path.join(HERE, "calls.yaml")) as f:
        call_entries = yaml.safe_load(f)
    services = {}
    tables = [build_table(models, e, services) for e in entries]
    # Calls the source makes besides tables' (identity, regions, organization discovery).
    calls = {}
    for e in call_entries:
        where = f"calls.yaml: {e['name']}"
        call, protocol, shapes, out = build_call(models, e["service"], e["operation"], e, e.get("params", {}), where,
                                                 e.get("paginate", True))
        svc = services.setdefault(e["service"], service_entry(models, e["service"], protocol))
        if svc["protocol"] != protocol:
            die(f"{where}: service {e['service']} already uses protocol {svc['protocol']}")
        if out:
            collect_shapes(shapes, out, svc["shapes"])
        call["items"] = parse_items_path(e.get("items", ""))
        if out:
            shape_at(shapes, out, call["items"], where)
        call["service"] = e["service"]
        calls[e["name"]] = call
    seen = set()

    def check(t):
        if t["name"] in seen:
            die(f"tables.yaml: {t['name']} is listed twice")
        seen.add(t["name"])
        for r in t["relations"]:
            check(r)
    for t in tables:
        check(t)
    catalog = {"generated_from": f"{source} service models", "services": services,
               "tables": tables, "calls": calls}
    text = json.dumps(catalog, indent=1, sort_keys=True) + "\n"
    out = os.path.join(HERE, "catalog.json")
    if args.check:
        with open(out) as f:
            if f.read() != text:
                die("catalog.json is stale: run plugins/source/aws/catalog/generate.py and commit it")
        return
    with open(out, "w") as f:
        f.write(text)
    print(f"catalog.json: {len(seen)} tables over {len(services)} services")


if __name__ == "__main__":
    main()
