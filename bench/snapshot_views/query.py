"""Times the snapshot-view queries of bench/snapshot_views/run.sh and checks
that each view answers as the overwrite-delete-stale table of the same data.
Prints one markdown table; exits 1 when an answer differs."""
import argparse, sqlite3, subprocess, time, urllib.request

p = argparse.ArgumentParser()
p.add_argument("--rows", type=int); p.add_argument("--snapshots", type=int); p.add_argument("--repeat", type=int)
p.add_argument("--sqlite", nargs=2); p.add_argument("--pg"); p.add_argument("--ch")
a = p.parse_args()
T = "test_synthetic_table"
QUERIES = {"count": "SELECT count(*), sum(count) FROM {}", "point": "SELECT name FROM {} WHERE id = %d" % (a.rows // 2)}

def sqlite_q(path):
    def run(sql):
        db = sqlite3.connect(path)
        r = db.execute(sql.replace("sum(count)", 'sum("count")')).fetchall()
        db.close()
        return [tuple(str(v) for v in row) for row in r]
    return run

def pg_q(db):
    def run(sql):
        out = subprocess.run(["psql", a.pg + " dbname=" + db, "-AtXqc", sql.replace("sum(count)", 'sum("count")')],
                             check=True, capture_output=True, text=True).stdout
        return [tuple(l.split("|")) for l in out.splitlines()]
    return run

def ch_q(db):
    def run(sql):
        req = urllib.request.Request(a.ch + "/?database=" + db, data=(sql + " FORMAT TSV").encode())
        out = urllib.request.urlopen(req).read().decode()
        return [tuple(l.split("\t")) for l in out.splitlines()]
    return run

def best(run, sql):
    times, answer = [], None
    for _ in range(a.repeat):
        t = time.perf_counter(); answer = run(sql); times.append(time.perf_counter() - t)
    return min(times), answer

rows, bad = [], 0
for name, views, ods, suffix in [("SQLite", sqlite_q(a.sqlite[0]), sqlite_q(a.sqlite[1]), ""),
                                 ("PostgreSQL", pg_q("bench_views"), pg_q("bench_ods"), ""),
                                 ("ClickHouse 18.16", ch_q("bench_views"), ch_q("bench_ods"), " FINAL")]:
    for q, sql in QUERIES.items():
        tv, av = best(views, sql.format(T + "_latest"))
        to, ao = best(ods, sql.format(T + suffix))
        if av != ao:
            bad += 1
            print("MISMATCH %s %s: view %s, table %s" % (name, q, av, ao))
        rows.append("| %s | %s | %.3f | %.3f | %.1f× |" % (name, q, tv, to, tv / to if to else 0))
    group = " GROUP BY _ferry_change ORDER BY _ferry_change"
    tc, ac = best(views, "SELECT _ferry_change, count(*) FROM " + T + "_changes" + group)
    rows.append("| %s | changes (%s) | %.3f | | |" % (name, ", ".join("%s %s" % r for r in ac), tc))
print("| destination | query | `%s_latest` over %d rows, %d snapshots (s) | overwrite-delete-stale table, %d rows (s) | view / table |"
      % (T, a.rows * a.snapshots, a.snapshots, a.rows))
print("|---|---|---|---|---|")
print("\n".join(rows))
raise SystemExit(1 if bad else 0)
