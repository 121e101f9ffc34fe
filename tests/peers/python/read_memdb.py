"""Reads tables back from a running plugin with the protocol's Read call, through the stubs of
CloudQuery's own protocol package (cloudquery-plugin-pb) and pyarrow, and prints one JSON line
per table: the schema pyarrow decoded and every row. Written for Ferry's interop tests
(tests/peers/python/README.md).

    read_memdb.py [--summary] ADDRESS TABLE [TABLE...]

With --summary the rows are left out (their count is in "row_count"). Columns of a type
pyarrow cannot convert to Python (month and day-time intervals, also nested) are left out of
the rows and named in "unreadable". Values are made JSON-friendly: bytes as lower-case hex, dates, times and timestamps in ISO
8601, durations as "<n>us", decimals as their text, month-day-nano intervals as [months, days,
nanoseconds], everything else as pyarrow's to_pylist() gives it.
"""
import datetime
import decimal
import json
import sys

import grpc
import pyarrow as pa
from cloudquery.plugin_v3 import plugin_pb2, plugin_pb2_grpc

import cloudquery.sdk.types  # noqa: F401  registers the SDK's json and uuid extension types


def type_name(t: pa.DataType) -> str:
    if isinstance(t, pa.ExtensionType):
        return f"extension<{t.extension_name}>[{type_name(t.storage_type)}]"
    return str(t)


def plain(v):
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, datetime.timedelta):
        return f"{v // datetime.timedelta(microseconds=1)}us"
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, tuple):  # pyarrow's MonthDayNano
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


# Arrow type ids pyarrow's Python layer has no array class for (to_pylist fails
# with KeyError): month_interval (21) and day_time_interval (22).
UNREADABLE_IDS = (21, 22)


def unreadable(t: pa.DataType) -> bool:
    if isinstance(t, pa.ExtensionType):
        return unreadable(t.storage_type)
    if t.id in UNREADABLE_IDS:
        return True
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return unreadable(t.value_type)
    if pa.types.is_struct(t):
        return any(unreadable(t.field(i).type) for i in range(t.num_fields))
    return False


def metadata(md) -> dict:
    return {k.decode(): v.decode() for k, v in (md or {}).items()}


def request_schema(table: str) -> bytes:
    # The SDK's Table.from_arrow_schema needs the name and a description.
    schema = pa.schema([], metadata={"cq:table_name": table, "cq:table_description": ""})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema):
        pass
    return sink.getvalue().to_pybytes()


def main(argv) -> int:
    summary = bool(argv) and argv[0] == "--summary"
    if summary:
        argv = argv[1:]
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    address, tables = argv[0], argv[1:]
    # Records come back as they were stored; the 4 MiB default of gRPC is not the point here.
    options = [("grpc.max_receive_message_length", 200 << 20)]
    with grpc.insecure_channel(address, options=options) as channel:
        stub = plugin_pb2_grpc.PluginStub(channel)
        for table in tables:
            out = {"table": table, "messages": 0, "schema": None, "schema_metadata": None, "rows": [],
                   "row_count": 0, "unreadable": []}
            for resp in stub.Read(plugin_pb2.Read.Request(table=request_schema(table)), timeout=60):
                reader = pa.ipc.open_stream(resp.record)
                if out["schema"] is None:
                    s = reader.schema
                    out["schema"] = [
                        {"name": f.name, "type": type_name(f.type), "nullable": f.nullable,
                         "metadata": metadata(f.metadata)}
                        for f in s
                    ]
                    out["schema_metadata"] = metadata(s.metadata)
                out["messages"] += 1
                for batch in reader:
                    out["row_count"] += batch.num_rows
                    if not summary:
                        # Columns pyarrow cannot turn into Python values are left out and named.
                        keep = [i for i, f in enumerate(batch.schema) if not unreadable(f.type)]
                        out["unreadable"] = [f.name for f in batch.schema if unreadable(f.type)]
                        out["rows"].extend(plain(r) for r in batch.select(keep).to_pylist())
            print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
