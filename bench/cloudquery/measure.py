#!/usr/bin/env python3
"""Runs a command and prints one JSON line: its wall time, the CPU time of it and every
descendant it waited for, and the peak RSS of each process of its tree by program name.

    measure.py [--cwd DIR] [--env K=V ...] -- COMMAND ARGS...

Peak RSS comes from /proc/<pid>/status VmHWM (the kernel's own high-water mark), read every
20 ms for every process of the tree while it runs: the last reading before a process exits is
its peak, give or take the last 20 ms. Exit status: the command's.
Standard library only (bench/cloudquery/run.sh).
"""
import json
import os
import subprocess
import sys
import time


def children(pid):
    # Every thread's children: Go programs start their plugins from any thread.
    out = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out.extend(int(x) for x in f.read().split())
        except OSError:
            pass
    return out


def tree(root):
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children(p))
    return out


def status(pid):
    name, hwm = None, None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Name:"):
                    name = line.split(None, 1)[1].strip()
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return name, hwm


def main():
    args = sys.argv[1:]
    cwd, env = None, dict(os.environ)
    while args and args[0] != "--":
        if args[0] == "--cwd":
            cwd, args = args[1], args[2:]
        elif args[0] == "--env":
            k, v = args[1].split("=", 1)
            env[k], args = v, args[2:]
        else:
            sys.exit(f"measure.py: unknown option {args[0]}")
    cmd = args[1:]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peaks = {}  # pid -> (name, kB)
    out_chunks = []
    os.set_blocking(proc.stdout.fileno(), False)
    while True:
        for pid in tree(proc.pid):
            name, hwm = status(pid)
            if name and hwm is not None:
                peaks[pid] = (name, max(hwm, peaks.get(pid, (name, 0))[1]))
        try:
            chunk = proc.stdout.read()
            if chunk:
                out_chunks.append(chunk)
        except BlockingIOError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    rest = proc.stdout.read()
    if rest:
        out_chunks.append(rest)
    wall = time.monotonic() - start
    ru = os.times()
    by_name = {}
    for name, kb in peaks.values():
        by_name[name] = max(by_name.get(name, 0), kb)
    print(json.dumps({
        "exit": proc.returncode,
        "wall_s": round(wall, 3),
        "cpu_s": round(ru.children_user + ru.children_system, 3),
        "peak_rss_mib": {k: round(v / 1024, 1) for k, v in sorted(by_name.items())},
        "output_tail": b"".join(out_chunks)[-1500:].decode("utf-8", "replace"),
    }))
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
