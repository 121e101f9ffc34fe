"""Runs Cypher queries with Neo4j's own Python driver (the `neo4j` package of
requirements.txt): the independent reader of Ferry's Neo4j tests.

usage: neo4j_query.py URI USER PASSWORD [--ca FILE] QUERY...
USER "" means no authentication. Prints one JSON line per query: the list of
records, each a list of values; nodes, relationships and temporal values are
converted to plain JSON ({"labels", "properties"}, ISO text with the type:
{"DateTime": "..."}), bytes to {"bytes": hex}.
"""
import json
import sys

import neo4j
from neo4j import time as ntime


def plain(v):
    if isinstance(v, neo4j.graph.Node):
        return {"labels": sorted(v.labels), "properties": {k: plain(x) for k, x in v.items()}}
    if isinstance(v, neo4j.graph.Relationship):
        return {"type": v.type, "properties": {k: plain(x) for k, x in v.items()}}
    if isinstance(v, ntime.DateTime):
        return {"DateTime": v.iso_format(), "tz": str(v.tzinfo)}
    if isinstance(v, ntime.Date):
        return {"Date": v.iso_format()}
    if isinstance(v, (bytes, bytearray)):
        return {"bytes": bytes(v).hex()}
    if isinstance(v, float):
        return {"float": repr(v)}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


def main(argv):
    uri, user, password = argv[1], argv[2], argv[3]
    rest = argv[4:]
    kwargs = {}
    if rest and rest[0] == "--ca":
        # A custom CA goes with the plain scheme and encrypted=True (the
        # driver refuses trust settings on +s schemes).
        kwargs["encrypted"] = True
        kwargs["trusted_certificates"] = neo4j.TrustCustomCAs(rest[1])
        uri = uri.replace("+s://", "://", 1)
        rest = rest[2:]
    auth = (user, password) if user else None
    # No notifications: a query on a label no node has yet warns, and the
    # warning would land among the JSON lines.
    kwargs["notifications_min_severity"] = "OFF"
    with neo4j.GraphDatabase.driver(uri, auth=auth, **kwargs) as driver:
        with driver.session() as session:
            for q in rest:
                records = session.run(q).values()
                print(json.dumps([[plain(v) for v in r] for r in records]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
