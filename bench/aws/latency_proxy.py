#!/usr/bin/env python3
"""An HTTP proxy on 127.0.0.1 that answers every request LATENCY ms late: it waits, then
forwards the request to UPSTREAM (moto) and relays the answer. It counts what it forwarded and,
with --log, writes one line per request: service (from the SigV4 credential scope), region,
operation (X-Amz-Target, the query's or form's Action, else METHOD and the path's first
segments), the answer's status and size, the milliseconds the upstream took to answer
(connect to last byte, the added latency not included; "replayed" for an answer from the
recording), and the times the answer was sent and the request was read (seconds,
monotonic clock).

    python3 bench/aws/latency_proxy.py --upstream http://127.0.0.1:PORT --latency-ms 50 \
        --port-file /tmp/port [--log /tmp/requests.tsv]

GET /_latency_proxy/stats (not forwarded, not delayed) answers {"count": N, "bytes": B,
"upstream_s": S, "replayed": H}: S the seconds the upstream spent answering, summed over the
requests; H the requests answered from the recording (below).

Replay (--record, then GET /_latency_proxy/replay?on=1): the proxy keeps every answer it
relays, keyed by the request (method, path and query, X-Amz-Target, body, and the access key
id, region and service of its SigV4 credential: the signature and date are left out, they change
on every request). With replay on, a request seen before gets the same answer LATENCY ms late
without reaching the upstream; any other is forwarded (and kept) as usual. So a second identical
sync measures the client against the upstream's answers with the upstream's own time taken out
(moto answers one request at a time in Python: 20+ ms each), which a benchmark of the client's
concurrency needs. The recording is in memory only; /_latency_proxy/replay?on=0 ends recording and replay and
drops what was kept.

More instances than moto can hold (GET /_latency_proxy/instances?per_client=K, with replay on):
every DescribeInstances then answers K instances for its credential scope (account and region),
1,000 a page as AWS pages them, one per reservation, each a copy of the first instance moto
answered (recorded) with its own instance and reservation ids; nextToken is the next page's
number. A fake built from moto's own answer, so Ferry's memory can be measured as the
inventory grows (moto answers a page of 10,000 instances in tens of seconds).
Client connections are kept alive (HTTP/1.1), as AWS's endpoints do; every forwarded request
opens its own connection upstream (moto closes each one). Loopback only: the upstream must be
an http://127.0.0.1 or http://localhost URL. Standard library only.
"""

import argparse
import hashlib
import http.client
import http.server
import json
import os
import re
import socketserver
import sys
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
CRED = re.compile(r"Credential=([^/]+/)\d{8}/([^/]+/[^/]+)/aws4_request")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.bytes = 0
        self.upstream_s = 0.0
        self.log = None
        self.record = False
        self.replay = False
        self.replayed = 0
        self.answers = {}   # request key -> (status, headers, body)
        self.per_client = 0  # DescribeInstances answers this many instances per scope (0: as recorded)
        self.instance_template = None   # (reservation item XML with {r} and {i}, namespace)


def make_handler(host, port, delay, stats):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY: an answer is written as headers, then body; with Nagle's algorithm the
        # body waits for the client's delayed ACK of the headers (40 ms on Linux), which added
        # ~40 ms to every request answered over a kept-alive connection.
        disable_nagle_algorithm = True

        def log_message(self, *args):  # quiet
            pass

        def _body(self):
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return data
                    data += self.rfile.read(size)
                    self.rfile.readline()
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def _reply(self, status, headers, body):
            self.send_response_only(status)
            for k, v in headers:
                if k.lower() not in HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _operation(self, body):
            target = self.headers.get("X-Amz-Target")
            if target:
                return target.split(".")[-1]
            url = urllib.parse.urlsplit(self.path)
            for src in (url.query, body.decode("utf-8", "replace") if body and len(body) < 65536 else ""):
                action = urllib.parse.parse_qs(src).get("Action")
                if action:
                    return action[0]
            segs = [s for s in url.path.split("/") if s][:2]
            q = url.query.split("&")[0].split("=")[0] if url.query else ""
            return f"{self.command} /{'/'.join(segs)}{'?' + q if q else ''}"

        def _credential(self):
            # The SigV4 credential: access key id, region and service ("" when unsigned).
            m = CRED.search(self.headers.get("Authorization", ""))
            return m.group(1) + m.group(2) if m else ""

        def _key(self, body):
            # The request without what changes on every signing (signature, date, host:port).
            return (self.command, self.path, self.headers.get("X-Amz-Target", ""),
                    self._credential(), hashlib.sha256(body).hexdigest())

        def _handle(self):
            if self.path == "/_latency_proxy/stats":
                with stats.lock:
                    body = json.dumps({"count": stats.count, "bytes": stats.bytes,
                                       "upstream_s": round(stats.upstream_s, 3),
                                       "replayed": stats.replayed}).encode()
                self._reply(200, [("Content-Type", "application/json")], body)
                return
            if self.path.startswith("/_latency_proxy/instances?per_client="):
                with stats.lock:
                    stats.per_client = int(self.path.rsplit("=", 1)[1])
                self._reply(200, [("Content-Type", "text/plain")], b"ok\n")
                return
            if self.path.startswith("/_latency_proxy/replay?on="):
                with stats.lock:
                    stats.replay = self.path.endswith("=1")
                    if not stats.replay:   # the end of it: the upstream's state changes next
                        stats.record = False
                        stats.answers.clear()
                self._reply(200, [("Content-Type", "text/plain")], b"ok\n")
                return
            self.t_in = time.monotonic()
            body = self._body()
            if delay > 0:
                time.sleep(delay)
            key = self._key(body) if stats.record else None
            if stats.replay and stats.per_client > 0 and stats.instance_template and b"Action=DescribeInstances" in body:
                page = describe_instances_page(stats, body, self._credential())
                self._reply(200, [("Content-Type", "text/xml;charset=UTF-8")], page)
                with stats.lock:
                    stats.replayed += 1
                self._log(body, 200, len(page), None)
                return
            if key is not None:
                with stats.lock:
                    hit = stats.answers.get(key) if stats.replay else None
                    if hit:
                        stats.replayed += 1
                if hit:
                    self._reply(*hit)
                    self._log(body, hit[0], len(hit[2]), None)
                    return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            t0 = time.monotonic()
            conn = http.client.HTTPConnection(host, port, timeout=300)
            try:
                conn.request(self.command, self.path, body=body if body or self.command in ("POST", "PUT") else None,
                             headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                status, rheaders = resp.status, resp.getheaders()
            except OSError as e:
                status, rheaders, data = 502, [("Content-Type", "text/plain")], f"latency proxy: {e}".encode()
            finally:
                conn.close()
            upstream = time.monotonic() - t0
            self._reply(status, rheaders, data)
            with stats.lock:
                if key is not None and status != 502:
                    stats.answers[key] = (status, rheaders, data)
                    if stats.instance_template is None and status == 200 and b"Action=DescribeInstances" in body:
                        stats.instance_template = instance_template(data)
                stats.count += 1
                stats.bytes += len(data)
                stats.upstream_s += upstream
            self._log(body, status, len(data), upstream)

        def _log(self, body, status, size, upstream):
            if not stats.log:
                return
            m = SCOPE.search(self.headers.get("Authorization", ""))
            svc, region = (m.group(2), m.group(1)) if m else ("-", "-")
            took = "replayed" if upstream is None else f"{upstream * 1000:.1f}"
            line = (f"{svc}\t{region}\t{self._operation(body)}\t{status}\t{size}\t{took}\t{time.monotonic():.3f}"
                    f"\t{self.t_in:.3f}\n")
            with stats.lock:
                stats.log.write(line)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

    return Handler


def instance_template(xml):
    """The first reservation of a DescribeInstances answer as text with {r} and {i} where its
    reservation and instance ids were, or None when it lists none."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return None
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    q = (lambda t: "{%s}%s" % (ns, t)) if ns else (lambda t: t)
    rset = root.find(q("reservationSet"))
    if rset is None or len(rset) == 0:
        return None
    res = rset[0]
    inst = res.find(q("instancesSet"))
    if inst is None or len(inst) == 0:
        return None
    rid, iid = res.findtext(q("reservationId")), inst[0].findtext(q("instanceId"))
    for extra in list(inst)[1:]:   # one instance per reservation
        inst.remove(extra)
    ET.register_namespace("", ns)
    text = ET.tostring(res, encoding="unicode").replace(' xmlns="%s"' % ns, "", 1)
    text = text.replace("{", "{{").replace("}", "}}")
    return text.replace(rid, "{r}").replace(iid, "{i}"), ns


def describe_instances_page(stats, body, scope):
    """One page (1,000) of stats.per_client instances for the credential scope `scope`."""
    form = urllib.parse.parse_qs(body.decode())
    page = int(form.get("NextToken", ["0"])[0])
    item, ns = stats.instance_template
    base = int(hashlib.sha256(scope.encode()).hexdigest()[:8], 16) << 24
    lo, hi = page * 1000, min((page + 1) * 1000, stats.per_client)
    items = "".join(item.format(r="r-%017x" % (base + n), i="i-%017x" % (base + n)) for n in range(lo, hi))
    more = "<nextToken>%d</nextToken>" % (page + 1) if hi < stats.per_client else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="%s">'
            "<requestId>ferry-bench-%d</requestId><reservationSet>%s</reservationSet>%s"
            "</DescribeInstancesResponse>" % (ns, page, items, more)).encode()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 256


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT")
    p.add_argument("--latency-ms", type=float, default=50)
    p.add_argument("--port-file", required=True, help="written with the port once listening")
    p.add_argument("--log", help="one line per forwarded request (TSV)")
    p.add_argument("--record", action="store_true",
                   help="keep every answer, to replay once /_latency_proxy/replay?on=1 is asked")
    a = p.parse_args()
    up = urllib.parse.urlsplit(a.upstream)
    if up.scheme != "http" or up.hostname not in ("127.0.0.1", "localhost"):
        p.error("--upstream must be http://127.0.0.1:PORT (loopback only)")
    stats = Stats()
    stats.record = a.record
    if a.log:
        open(a.log, "w").close()
        stats.log = open(a.log, "a", buffering=1)  # appends: the caller may truncate it between runs
    srv = Server(("127.0.0.1", 0), make_handler(up.hostname, up.port or 80, a.latency_ms / 1000.0, stats))
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
