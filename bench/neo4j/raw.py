"""The raw side of bench/neo4j/run.sh: Neo4j's own Python driver running the
statements Ferry's neo4j destination runs, on the rows Ferry wrote.

usage (connection from FERRY_NEO4J_URI, FERRY_NEO4J_USER, FERRY_NEO4J_PASSWORD):
  raw.py write FERRY_LABEL RAW_LABEL BATCH [SERVER_PID]
      Reads every node of FERRY_LABEL back (MATCH (n) RETURN properties(n),
      streamed) and keeps the property maps in memory as the driver returned
      them (DateTime etc. as the driver's own objects, so the same property
      types are written again); creates the uniqueness constraint Ferry's
      migration makes (`_cq_index_<RAW_LABEL>` on id); then times ONLY the
      writes: for each chunk of BATCH rows one managed write transaction
      (session.execute_write) running
        UNWIND $rows AS row MERGE (t:`RAW_LABEL` {`id`: row.`id`}) SET t = row
      Prints one JSON line: rows, read_s, write_s (wall), write_cpu_s (this
      process, during the writes), server_cpu_s (SERVER_PID's user+sys during
      the writes, from /proc), rss_loaded_kb (after reading), peak_rss_kb.
  raw.py check N LABEL...
      Node count, distinct ids and the property types (valueType(), and the
      zone of created_at) of a sample of each label; exit 1 when a label does
      not hold N nodes with N distinct ids, or the labels' types differ.
  raw.py drop LABEL...
      Deletes the label's nodes in transactions of 10,000 (auto-commit
      CALL ... IN TRANSACTIONS) and drops its constraints and indexes.
  raw.py purge PREFIX
      drop of every label in use that starts with PREFIX (leftovers of an
      interrupted run).
"""
import gc
import json
import os
import resource
import sys
import time

import neo4j


def q(name):
    return "`" + name.replace("`", "``") + "`"


def driver():
    uri = os.environ["FERRY_NEO4J_URI"]
    user = os.environ.get("FERRY_NEO4J_USER", "")
    auth = (user, os.environ.get("FERRY_NEO4J_PASSWORD", "")) if user else None
    return neo4j.GraphDatabase.driver(uri, auth=auth)


def proc_cpu(pid):
    """user+sys CPU seconds of a process (all its threads), from /proc."""
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def write(ferry_label, raw_label, batch, server_pid):
    batch = int(batch)
    with driver() as d:
        t0 = time.perf_counter()
        with d.session() as s:
            result = s.run(f"MATCH (n:{q(ferry_label)}) RETURN properties(n) AS p")
            rows = [record[0] for record in result]
        read_s = time.perf_counter() - t0
        # The rows held are an artifact of the benchmark: keep the cyclic GC
        # from walking them again and again during the timed writes.
        gc.collect()
        gc.freeze()
        loaded = rss_kb()
        with d.session() as s:
            s.run(f"CREATE CONSTRAINT {q('_cq_index_' + raw_label)} IF NOT EXISTS "
                  f"FOR (n:{q(raw_label)}) REQUIRE (n.`id`) IS UNIQUE").consume()
            s.run("CALL db.awaitIndexes(300)").consume()
        stmt = f"UNWIND $rows AS row MERGE (t:{q(raw_label)} {{`id`: row.`id`}}) SET t = row"
        with d.session() as s:
            c0, p0, t0 = proc_cpu(server_pid), time.process_time(), time.perf_counter()
            for i in range(0, len(rows), batch):
                chunk = rows[i:i + batch]
                s.execute_write(lambda tx, chunk=chunk: tx.run(stmt, rows=chunk).consume())
            t1, p1, c1 = time.perf_counter(), time.process_time(), proc_cpu(server_pid)
    print(json.dumps({
        "rows": len(rows), "read_s": round(read_s, 3), "write_s": round(t1 - t0, 3),
        "write_cpu_s": round(p1 - p0, 2), "server_cpu_s": round(c1 - c0, 2),
        "rss_loaded_kb": loaded,
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }), flush=True)
    return 0


def check(n, labels):
    n = int(n)
    ok = True
    types = {}
    with driver() as d, d.session() as s:
        for label in labels:
            count, ids = s.run(f"MATCH (n:{q(label)}) RETURN count(n), count(DISTINCT n.`id`)").single().values()
            sig = s.run(
                f"MATCH (n:{q(label)}) WITH n LIMIT 10000 UNWIND keys(n) AS k "
                "WITH k, collect(DISTINCT valueType(n[k])) AS t, "
                "collect(DISTINCT CASE WHEN k = 'created_at' THEN n[k].timezone END) AS z "
                "RETURN k, t, z ORDER BY k").values()
            types[label] = sig
            print(f"check {label}: {count} nodes, {ids} distinct ids; properties "
                  + ", ".join(f"{k}:{'|'.join(sorted(t))}{('@' + z[0]) if z else ''}" for k, t, z in sig))
            if count != n or ids != n:
                print(f"check FAILED: {label} holds {count} nodes with {ids} distinct ids, want {n}", file=sys.stderr)
                ok = False
    first = labels[0]
    for label in labels[1:]:
        if types[label] != types[first]:
            print(f"check FAILED: the property types of {label} differ from {first}'s", file=sys.stderr)
            ok = False
    return 0 if ok else 1


def drop_labels(s, labels):
    for label in labels:
        s.run(f"MATCH (n:{q(label)}) CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF 10000 ROWS").consume()
        for (name,) in s.run("SHOW CONSTRAINTS YIELD name, labelsOrTypes WHERE labelsOrTypes = [$l] RETURN name",
                             l=label).values():
            s.run(f"DROP CONSTRAINT {q(name)} IF EXISTS").consume()
        for (name,) in s.run("SHOW INDEXES YIELD name, labelsOrTypes, owningConstraint "
                             "WHERE labelsOrTypes = [$l] AND owningConstraint IS NULL RETURN name",
                             l=label).values():
            s.run(f"DROP INDEX {q(name)} IF EXISTS").consume()


def drop(labels):
    with driver() as d, d.session() as s:
        drop_labels(s, labels)
    return 0


def purge(prefix):
    with driver() as d, d.session() as s:
        labels = [l for (l,) in s.run("CALL db.labels() YIELD label RETURN label").values() if l.startswith(prefix)]
        labels += [l[0] for (l,) in s.run("SHOW CONSTRAINTS YIELD labelsOrTypes RETURN labelsOrTypes").values()
                   if l and l[0].startswith(prefix) and l[0] not in labels]
        if labels:
            print(f"purge: {len(labels)} labels left by an earlier run: {', '.join(labels)}", file=sys.stderr)
        drop_labels(s, labels)
    return 0


def main(argv):
    if len(argv) >= 5 and argv[1] == "write":
        return write(argv[2], argv[3], argv[4], int(argv[5]) if len(argv) > 5 else 0)
    if len(argv) >= 4 and argv[1] == "check":
        return check(argv[2], argv[3:])
    if len(argv) >= 3 and argv[1] == "drop":
        return drop(argv[2:])
    if len(argv) == 3 and argv[1] == "purge":
        return purge(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
