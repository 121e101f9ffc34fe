#!/usr/bin/env python3
"""An HTTP proxy on 127.0.0.1 that answers every request LATENCY ms late: it waits, then
forwards the request to UPSTREAM (moto) and relays the answer. It counts what it forwarded and,
with --log, writes one line per request: service (from the SigV4 credential scope), region,
operation (X-Amz-Target, the query's or form's Action, else METHOD and the path's first
segments), the answer's status and size, and the milliseconds the upstream took to answer
(connect to last byte, the added latency not included).

    python3 bench/aws/latency_proxy.py --upstream http://127.0.0.1:PORT --latency-ms 50 \
        --port-file /tmp/port [--log /tmp/requests.tsv]

GET /_latency_proxy/stats (not forwarded, not delayed) answers {"count": N, "bytes": B,
"upstream_s": S}: S the seconds the upstream spent answering, summed over the requests.
Client connections are kept alive (HTTP/1.1), as AWS's endpoints do; every forwarded request
opens its own connection upstream (moto closes each one). Loopback only: the upstream must be
an http://127.0.0.1 or http://localhost URL. Standard library only.
"""

import argparse
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

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.bytes = 0
        self.upstream_s = 0.0
        self.log = None


def make_handler(host, port, delay, stats):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

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

        def _handle(self):
            if self.path == "/_latency_proxy/stats":
                with stats.lock:
                    body = json.dumps({"count": stats.count, "bytes": stats.bytes,
                                       "upstream_s": round(stats.upstream_s, 3)}).encode()
                self._reply(200, [("Content-Type", "application/json")], body)
                return
            body = self._body()
            if delay > 0:
                time.sleep(delay)
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
                stats.count += 1
                stats.bytes += len(data)
                stats.upstream_s += upstream
                if stats.log:
                    m = SCOPE.search(self.headers.get("Authorization", ""))
                    svc, region = (m.group(2), m.group(1)) if m else ("-", "-")
                    stats.log.write(f"{svc}\t{region}\t{self._operation(body)}\t{status}\t{len(data)}\t{upstream * 1000:.1f}\n")

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

    return Handler


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 256


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT")
    p.add_argument("--latency-ms", type=float, default=50)
    p.add_argument("--port-file", required=True, help="written with the port once listening")
    p.add_argument("--log", help="one line per forwarded request (TSV)")
    a = p.parse_args()
    up = urllib.parse.urlsplit(a.upstream)
    if up.scheme != "http" or up.hostname not in ("127.0.0.1", "localhost"):
        p.error("--upstream must be http://127.0.0.1:PORT (loopback only)")
    stats = Stats()
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
