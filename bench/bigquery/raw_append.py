"""The raw path of bench/bigquery/run.sh: Google's own Python client
(google-cloud-bigquery-storage's BigQueryWriteClient, from the emulator's
venv) appending the rows Ferry wrote to a fresh table over the Storage Write
API, as Ferry does: one COMMITTED stream, explicit offsets, requests of at
most 9 MB, then FinalizeWriteStream.

Two steps, so the timed append can run on a fresh emulator (bqemulator keeps
a copy of a table for every append it takes and slows as they add up):

  python raw_append.py dump REST PROJECT DATASET SRC_TABLE FILE
      Untimed: reads the table back (tabledata.list) and serializes every row
      as protobuf against a descriptor derived from the table's schema (the
      same field types Ferry uses) into FILE.
  python raw_append.py append REST GRPC PROJECT DATASET DST_TABLE FILE
      Creates DST_TABLE with the dumped schema (untimed), then times: create
      the stream, append, finalize. Prints one JSON line: rows, requests,
      seconds, cpu_seconds (this process).
"""
import json
import pickle
import resource
import sys
import time
import urllib.request

import grpc
from google.cloud.bigquery_storage_v1 import types
from google.cloud.bigquery_storage_v1.services.big_query_write import BigQueryWriteClient
from google.cloud.bigquery_storage_v1.services.big_query_write.transports import BigQueryWriteGrpcTransport
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

if len(sys.argv) < 2 or sys.argv[1] not in ("dump", "append"):
    raise SystemExit(__doc__)
if sys.argv[1] == "dump":
    REST, PROJECT, DATASET, SRC, FILE = sys.argv[2:7]
else:
    REST, GRPC, PROJECT, DATASET, DST, FILE = sys.argv[2:8]
MAX_REQUEST = 9 << 20


def rest(method, path, body=None):
    url = f"{REST}/bigquery/v2/projects/{PROJECT}{path}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"{}")


SCALAR = {
    "INTEGER": descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
    "INT64": descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
    "TIMESTAMP": descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
    "DATE": descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
    "FLOAT": descriptor_pb2.FieldDescriptorProto.TYPE_DOUBLE,
    "FLOAT64": descriptor_pb2.FieldDescriptorProto.TYPE_DOUBLE,
    "BOOLEAN": descriptor_pb2.FieldDescriptorProto.TYPE_BOOL,
    "BOOL": descriptor_pb2.FieldDescriptorProto.TYPE_BOOL,
    "BYTES": descriptor_pb2.FieldDescriptorProto.TYPE_BYTES,
}


def descriptor(fields):
    d = descriptor_pb2.DescriptorProto(name="raw_row")
    for i, f in enumerate(fields):
        if f["type"] in ("RECORD", "STRUCT"):
            raise SystemExit("raw_append.py: RECORD columns are not handled (the bench tables have none)")
        d.field.add(
            name=f["name"], number=i + 1,
            label=descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED if f.get("mode") == "REPEATED"
            else descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
            type=SCALAR.get(f["type"], descriptor_pb2.FieldDescriptorProto.TYPE_STRING))
    return d


def convert(f, v):
    t = f["type"]
    if t in ("INTEGER", "INT64", "TIMESTAMP"):
        return int(v)
    if t == "DATE":
        y, m, d = map(int, v.split("-"))
        import datetime
        return (datetime.date(y, m, d) - datetime.date(1970, 1, 1)).days
    if t in ("FLOAT", "FLOAT64"):
        return float(v)
    if t in ("BOOLEAN", "BOOL"):
        return v == "true"
    if t == "BYTES":
        import base64
        return base64.b64decode(v)
    return v


def dump():
    table = rest("GET", f"/datasets/{DATASET}/tables/{SRC}")
    fields = table["schema"]["fields"]
    d = descriptor(fields)
    fdp = descriptor_pb2.FileDescriptorProto(name="raw_row.proto", package="raw")
    fdp.message_type.add().CopyFrom(d)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    Row = message_factory.GetMessageClass(pool.FindMessageTypeByName("raw.raw_row"))
    rows = []
    token = None
    while True:
        q = "?formatOptions.useInt64Timestamp=true&maxResults=50000" + (f"&pageToken={token}" if token else "")
        page = rest("GET", f"/datasets/{DATASET}/tables/{SRC}/data{q}")
        for r in page.get("rows", []):
            m = Row()
            for f, cell in zip(fields, r["f"]):
                v = cell["v"]
                if v is None:
                    continue
                if f.get("mode") == "REPEATED":
                    getattr(m, f["name"]).extend(convert(f, e["v"]) for e in v)
                else:
                    setattr(m, f["name"], convert(f, v))
            rows.append(m.SerializeToString())
        token = page.get("pageToken")
        if not token:
            break
    with open(FILE, "wb") as f:
        pickle.dump({"fields": fields, "rows": rows}, f, protocol=pickle.HIGHEST_PROTOCOL)


def append():
    with open(FILE, "rb") as f:
        dumped = pickle.load(f)
    fields, rows = dumped["fields"], dumped["rows"]
    rest("POST", f"/datasets/{DATASET}/tables",
         {"tableReference": {"projectId": PROJECT, "datasetId": DATASET, "tableId": DST},
          "schema": {"fields": fields}})
    d = descriptor(fields)
    # Requests of at most 9 MB, as Ferry's.
    chunks, cur, size = [], [], 0
    for r in rows:
        if cur and size + len(r) > MAX_REQUEST:
            chunks.append(cur)
            cur, size = [], 0
        cur.append(r)
        size += len(r) + 8
    if cur:
        chunks.append(cur)

    client = BigQueryWriteClient(transport=BigQueryWriteGrpcTransport(
        channel=grpc.insecure_channel(GRPC, options=[("grpc.max_send_message_length", 20 << 20)])))
    parent = f"projects/{PROJECT}/datasets/{DATASET}/tables/{DST}"
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    stream = client.create_write_stream(parent=parent, write_stream=types.WriteStream(type_=types.WriteStream.Type.COMMITTED))
    schema = types.ProtoSchema(proto_descriptor=d)

    def requests():
        offset = 0
        for c in chunks:
            yield types.AppendRowsRequest(
                write_stream=stream.name, offset=offset,
                proto_rows=types.AppendRowsRequest.ProtoData(writer_schema=schema,
                                                             rows=types.ProtoRows(serialized_rows=c)))
            offset += len(c)

    for resp in client.append_rows(requests=requests()):
        if resp.error.code:
            raise SystemExit(f"raw_append.py: AppendRows error {resp.error.code}: {resp.error.message}")
    client.finalize_write_stream(name=stream.name)
    secs = time.monotonic() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(json.dumps({"rows": len(rows), "requests": len(chunks), "seconds": secs, "cpu_seconds": cpu}))


dump() if sys.argv[1] == "dump" else append()
