"""Serves the MemDB plugin that ships inside CloudQuery's Python SDK (cloudquery-plugin-sdk,
module cloudquery.sdk.internal.memdb) with the SDK's own command line, for Ferry's interop
tests (tests/interop/cq_python_interop_test.cc; tests/peers/python/README.md).

    memdb_plugin.py serve --address 127.0.0.1:7777 [--log-format json] [--log-level info]

MemDB is used as it is, with one opt-in exception: FERRY_MEMDB_KEEP_ON_CLOSE=1 keeps the rows
when the plugin is closed. MemDB's own close() replaces its list of records by a dict, so the
rows are gone and every later insert fails; with the variable set, the rows a sync wrote can
still be read back with the Read call after that sync has closed the plugin.
"""
import os
import sys

from cloudquery.sdk import serve
from cloudquery.sdk.internal.memdb import MemDB


class MemDBKeptOnClose(MemDB):
    def close(self) -> None:
        pass


def main() -> None:
    keep = os.environ.get("FERRY_MEMDB_KEEP_ON_CLOSE") == "1"
    plugin = MemDBKeptOnClose() if keep else MemDB()
    serve.PluginCommand(plugin).run(sys.argv[1:])


if __name__ == "__main__":
    main()
