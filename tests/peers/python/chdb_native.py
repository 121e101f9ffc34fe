"""Runs a job of ClickHouse statements in chdb (ClickHouse's engine embedded in Python) and prints
what the engine holds, for tests/interop/clickhouse_chdb_test.cc: a current ClickHouse next to
Debian's 18.16 server. Test-only.

    chdb_native.py JOB.json

JOB.json (the test writes it; paths absolute):
    {"steps":   [{"sql": "CREATE DATABASE d"}, {"sql_hex": "435245415445..."},
                 {"insert": "`d`.`t`", "columns": "(`a`, `b`)", "file": "/tmp/x/t.native"},
                 {"sql": "SELECT count() FROM d.t", "rows": true}, ...],
     "reads":   [{"database": "d", "table": "t", "order_by": "`id`", "native": "/tmp/x/t.out"}],
     "queries": ["SELECT ...", {"hex": "53454c454354..."}, ...]}

SQL may be given as text or as the hex of its bytes ("sql_hex", {"hex": ...}): Ferry's string
literals carry a value's bytes as they are, which need not be UTF-8, and JSON text must be.

The steps run in order in one chdb session (a fresh directory), then the reads and the
queries; a failure is recorded and the next one runs. An insert is
`INSERT INTO table columns SELECT * FROM file(FILE, Native)`: chdb parses the bytes with the
types the file's block header declares and stores them in the table.

Prints one JSON document:
    {"version": "26.9.2.1",
     "steps": [{"sql": ..., "error": null or the engine's message}],  # an insert's sql is its INSERT;
                                                                      # "rows" when the step asked
     "tables": {"d.t": {"engine": ..., "engine_full": ..., "sorting_key": ...,
                        "columns": [[name, type], ...]}},                   # system.tables/columns
     "reads": [{"table": "d.t", "error": ..., "columns": [[name, toTypeName], ...],
                "rows": [[cell, ...], ...]}],
     "queries": [{"sql": ..., "error": ..., "rows": [[...], ...]}]}

A read cell is the engine's own text of the value, the same for every table: null as null;
Bool "true"/"false"; integers in decimal; Float32/Float64 as the decimal of their IEEE bits
(reinterpretAsUInt32/64, so NaN, -0.0 and infinities are exact); String and FixedString as
upper-case hex of their bytes; UUID as toString ("xxxxxxxx-xxxx-..."); DateTime64 and Date32
as "<toString> = <the integer behind it>" ("2024-02-29 12:34:56.789012 = 1709210096789012",
"2024-02-29 = 19782"; the text is "(out of range)" outside years 0001-9999); Array as a JSON list and Tuple
as a JSON list of its elements, recursively. A read also writes
`SELECT * FROM t ORDER BY order_by` in Native to `native` when given, for Ferry's decoder.
"""
import json
import os
import shutil
import sys
import tempfile

from chdb import session


# 0001-01-01 00:00:00 and 9999-12-31 23:59:59.999999 in microseconds, and those days.
TS_MIN, TS_MAX = -62135596800000000, 253402300799999999
DATE_MIN, DATE_MAX = -719162, 2932896


def split_args(text):
    """Top-level comma-separated arguments of a type's parentheses."""
    out, depth, cur, quote = [], 0, "", None
    for ch in text:
        if quote:
            cur += ch
            if ch == quote:
                quote = None
            continue
        if ch in "'`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def outer(type_name):
    """("Array", "Nullable(String)") for "Array(Nullable(String))"."""
    i = type_name.find("(")
    if i < 0:
        return type_name, ""
    return type_name[:i], type_name[i + 1 : type_name.rindex(")")]


def tuple_element_type(arg):
    """The type of a Tuple element written `name Type` or `Type`."""
    arg = arg.strip()
    if arg.startswith("`"):
        return arg[arg.index("`", 1) + 1 :].strip()
    head = arg.split(" ", 1)
    if len(head) == 2 and "(" not in head[0]:
        return head[1].strip()
    return arg


def cell_expr(expr, type_name, depth=0):
    """An expression giving the cell text described in the module comment."""
    name, args = outer(type_name.strip())
    if name == "Nullable":
        return cell_expr(expr, args, depth)
    if name == "Array":
        x = "x%d" % depth
        return "arrayMap(%s -> %s, %s)" % (x, cell_expr(x, args, depth + 1), expr)
    if name == "Tuple":
        parts = [
            cell_expr("tupleElement(%s, %d)" % (expr, i + 1), tuple_element_type(a), depth)
            for i, a in enumerate(split_args(args))
        ]
        return "tuple(%s)" % ", ".join(parts)
    if name in ("String", "FixedString"):
        return "hex(%s)" % expr
    if name == "DateTime64":
        # The text, then the integer behind it: the text only where it shows the value
        # (0001-01-01 to 9999-12-31 on 26.9; outside, the integer still round-trips).
        micros = "toUnixTimestamp64Micro(%s)" % expr
        return ("concat(if(%s BETWEEN %d AND %d, toString(%s), '(out of range)'), ' = ', toString(%s))"
                % (micros, TS_MIN, TS_MAX, expr, micros))
    if name == "Date32":
        days = "toInt32(%s)" % expr
        return ("concat(if(%s BETWEEN %d AND %d, toString(%s), '(out of range)'), ' = ', toString(%s))"
                % (days, DATE_MIN, DATE_MAX, expr, days))
    if name == "Float32":
        return "toString(reinterpretAsUInt32(%s))" % expr
    if name == "Float64":
        return "toString(reinterpretAsUInt64(%s))" % expr
    return "toString(%s)" % expr


def quote_ident(name):
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def quote_string(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sql_bytes(item, key="sql"):
    """The SQL of a job entry as bytes: text, or the hex of its bytes."""
    if isinstance(item, str):
        return item.encode("utf-8")
    if key in item:
        return item[key].encode("utf-8")
    return bytes.fromhex(item[key + "_hex"] if key + "_hex" in item else item["hex"])


def shown(sql):
    return sql.decode("utf-8", errors="backslashreplace")


def rows_of(sess, sql):
    # Tuples print as JSON lists, 64-bit integers as numbers (they are strings here anyway).
    if isinstance(sql, str):
        sql = sql.encode("utf-8")
    text = sess.query(sql, "JSONCompactEachRow").bytes().decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def err(e):
    return str(e).strip() or type(e).__name__


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: chdb_native.py JOB.json")
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    workdir = tempfile.mkdtemp(prefix="ferry-chdb-")
    try:
        sess = session.Session(os.path.join(workdir, "db"))
        settings = " SETTINGS output_format_json_named_tuples_as_objects = 0, output_format_json_quote_64bit_integers = 0"
        out = {"version": rows_of(sess, "SELECT version()")[0][0], "steps": [], "tables": {}, "reads": [],
               "queries": []}
        for step in job.get("steps", []):
            if "insert" in step:
                sql = ("INSERT INTO %s %s SELECT * FROM file(%s, Native)" % (
                    step["insert"], step.get("columns", ""), quote_string(step["file"]))).encode("utf-8")
            else:
                sql = sql_bytes(step)
            try:
                if step.get("rows"):
                    rows = rows_of(sess, sql + settings.encode("utf-8"))
                    out["steps"].append({"sql": shown(sql), "error": None, "rows": rows})
                else:
                    sess.query(sql)
                    out["steps"].append({"sql": shown(sql), "error": None})
            except Exception as e:  # the engine's error text is the result
                out["steps"].append({"sql": shown(sql), "error": err(e)})
        skip = "('system', 'INFORMATION_SCHEMA', 'information_schema', 'default', '_local')"
        for db, name, engine, engine_full, key in rows_of(
                sess, "SELECT database, name, engine, engine_full, sorting_key FROM system.tables "
                      "WHERE database NOT IN " + skip + settings):
            out["tables"]["%s.%s" % (db, name)] = {"engine": engine, "engine_full": engine_full,
                                                   "sorting_key": key, "columns": []}
        for db, table, name, type_name in rows_of(
                sess, "SELECT database, table, name, type FROM system.columns WHERE database NOT IN " + skip +
                      " ORDER BY database, table, position" + settings):
            t = out["tables"].get("%s.%s" % (db, table))
            if t is not None:
                t["columns"].append([name, type_name])
        for rd in job.get("reads", []):
            key = "%s.%s" % (rd["database"], rd["table"])
            qname = quote_ident(rd["database"]) + "." + quote_ident(rd["table"])
            order = (" ORDER BY " + rd["order_by"]) if rd.get("order_by") else ""
            result = {"table": key, "error": None, "columns": [], "rows": []}
            try:
                columns = [c for c in out["tables"][key]["columns"]]
                result["columns"] = rows_of(
                    sess, "SELECT " + ", ".join("toTypeName(%s)" % quote_ident(n) for n, _ in columns) +
                          " FROM " + qname + " LIMIT 1" + settings)
                result["columns"] = [[n, t] for (n, _), t in zip(columns, result["columns"][0])] \
                    if result["columns"] else [[n, t] for n, t in columns]
                exprs = ", ".join(cell_expr(quote_ident(n), t) for n, t in columns)
                result["rows"] = rows_of(sess, "SELECT " + exprs + " FROM " + qname + order + settings)
                if rd.get("native"):
                    sess.query("SELECT * FROM " + qname + order + " INTO OUTFILE " +
                               quote_string(rd["native"]) + " TRUNCATE FORMAT Native")
            except Exception as e:
                result["error"] = err(e)
            out["reads"].append(result)
        for item in job.get("queries", []):
            sql = sql_bytes(item)
            try:
                rows = rows_of(sess, sql + settings.encode("utf-8"))
                out["queries"].append({"sql": shown(sql), "error": None, "rows": rows})
            except Exception as e:
                out["queries"].append({"sql": shown(sql), "error": err(e), "rows": []})
        sess.close()
        json.dump(out, sys.stdout)
        sys.stdout.write("\n")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
