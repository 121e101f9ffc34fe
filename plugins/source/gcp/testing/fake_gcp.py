#!/usr/bin/env python3
"""A FAKE of Google Cloud's REST list APIs, for the gcp source's tests.

No emulator here serves Compute Engine, IAM, KMS, Cloud SQL, GKE, Cloud Run,
... (see ../EMULATORS.md), so the tests run against this: a path-keyed store
of fixtures served in the wire format Google documents for its REST APIs
(https://cloud.google.com/apis/design and each API's reference):

  * every API is mounted under /<api>/ (the gcp source's `endpoints:` map
    points "compute" at http://127.0.0.1:PORT/compute, so a real request path
    /compute/v1/projects/p/aggregated/instances arrives as
    /compute/compute/v1/projects/p/aggregated/instances);
  * a list answers {"kind"?, <field>: [...page...], "nextPageToken": T} with
    opaque page tokens; the page size is the request's maxResults / pageSize,
    capped by the fake's max_page (to force many pages) and by the API
    default when absent;
  * an aggregatedList (path .../aggregated/<collection>) gathers the lists
    stored at projects/P/{zones|regions}/S/<collection> and
    projects/P/global/<collection>, and answers
    {"items": {"zones/S": {"<collection>": [...]}, ...}, "nextPageToken"};
    scopes with nothing carry a "warning" entry, as the real API does;
  * a get answers the object stored at its path;
  * errors are Google's JSON error body: 403 with ErrorInfo SERVICE_DISABLED
    for an API "disabled" in a project, 403 PERMISSION_DENIED for "denied",
    404 NOT_FOUND under the "not_found" path prefixes; any other path not
    stored is an empty list ({}: Google leaves an empty items field out).

Control (not part of any Google API):
  PUT  /_fake/lists   {"<api>/<path>": {"field": "items", "items": [...]}, ...}
  PUT  /_fake/objects {"<api>/<path>": {...}, ...}
  PUT  /_fake/config  {"max_page": 7, "disabled": {"<project>": ["compute"]},
                       "denied": {"<project>": ["iam"]}, "latency_ms": 50,
                       "not_found": ["<api>/<path prefix>", ...]}
  PUT  /_fake/generate {"<api>/<path>": {"field": "items", "count": N, "template": {...}}}
       N items made from the template: every string's "{i}" becomes the
       item's number (benchmarks: 100k resources without a 100 MB upload)
  GET  /_fake/requests -> {"count": N, "paths": {"<api>/<path>": n}}
  GET  /_fake/health
Resource Manager's v3 projects:search, projects?parent=, folders?parent=,
organizations:search, tagKeys?parent= and tagValues?parent= are served from
the lists stored at "cloudresourcemanager/v3/<projects|folders|organizations|
tagKeys|tagValues>" (parent, and the query terms state:, labels.K:V and
domain: are honoured).

    python3 fake_gcp.py --port-file FILE   (listens on 127.0.0.1, a free port)
"""
import argparse
import base64
import json
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
LISTS = {}     # "compute/compute/v1/projects/p/zones/z/instances" -> {"field":..., "items": [...]}
OBJECTS = {}   # "storage/storage/v1/b/bucket/iam" -> {...}
CONFIG = {"max_page": 0, "disabled": {}, "denied": {}, "latency_ms": 0}
REQUESTS = {}
SCOPED = {}    # (prefix, collection) -> [(scope, item)], cleared by every PUT

SERVICES = {  # API (mount name) -> the service name Google's errors name
    "compute": "compute.googleapis.com", "storage": "storage.googleapis.com", "iam": "iam.googleapis.com",
    "cloudresourcemanager": "cloudresourcemanager.googleapis.com", "serviceusage": "serviceusage.googleapis.com",
    "cloudkms": "cloudkms.googleapis.com", "sqladmin": "sqladmin.googleapis.com",
    "container": "container.googleapis.com", "run": "run.googleapis.com",
    "cloudfunctions": "cloudfunctions.googleapis.com", "pubsub": "pubsub.googleapis.com",
    "bigquery": "bigquery.googleapis.com", "dns": "dns.googleapis.com", "logging": "logging.googleapis.com",
    "secretmanager": "secretmanager.googleapis.com",
}


def token_for(offset):
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def offset_of(token):
    pad = "=" * (-len(token) % 4)
    return json.loads(base64.urlsafe_b64decode(token + pad))["o"]


def project_of(path):
    m = re.search(r"projects/([^/]+)", path)
    if m:
        return m.group(1)
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def send_json(self, status, doc):
        body = json.dumps(doc, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, grpc_status, message, reason=None, domain="googleapis.com", metadata=None):
        err = {"code": status, "message": message, "status": grpc_status,
               "errors": [{"message": message, "domain": "global",
                           "reason": {403: "forbidden", 404: "notFound"}.get(status, "backendError")}]}
        if reason:
            err["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
                               "domain": domain, "metadata": metadata or {}}]
            if reason == "SERVICE_DISABLED":
                err["errors"][0]["reason"] = "accessNotConfigured"
        self.send_json(status, {"error": err})

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"null")

    def do_PUT(self):
        u = urllib.parse.urlsplit(self.path)
        doc = self.read_body()
        with LOCK:
            SCOPED.clear()
            if u.path == "/_fake/lists":
                LISTS.update(doc)
            elif u.path == "/_fake/objects":
                OBJECTS.update(doc)
            elif u.path == "/_fake/config":
                CONFIG.update(doc)
            elif u.path == "/_fake/generate":
                for key, spec in doc.items():
                    tmpl = json.dumps(spec["template"])
                    LISTS[key] = {"field": spec["field"],
                                  "items": [json.loads(tmpl.replace("{i}", str(i))) for i in range(spec["count"])]}
            else:
                return self.send_json(404, {"error": "no such control path"})
        self.send_json(200, {"ok": True})

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        path = urllib.parse.unquote(u.path).lstrip("/")
        if path == "_fake/health":
            return self.send_json(200, {"ok": True})
        if path == "_fake/requests":
            with LOCK:
                return self.send_json(200, {"count": sum(REQUESTS.values()), "paths": REQUESTS})
        if CONFIG.get("latency_ms"):  # outside the lock: requests wait side by side
            time.sleep(CONFIG["latency_ms"] / 1000.0)
        api = path.split("/", 1)[0]
        # Storage lists buckets by a query parameter: its lists are stored
        # under "<path>?project=P".
        if "project" in q:
            path += "?project=" + q["project"]
        with LOCK:
            REQUESTS[path] = REQUESTS.get(path, 0) + 1
            project = project_of(path[len(api):]) or q.get("project")
            if project and api in CONFIG["disabled"].get(project, []):
                svc = SERVICES.get(api, api + ".googleapis.com")
                return self.error(403, "PERMISSION_DENIED",
                                  f"{svc} API has not been used in project {project} before or it is disabled.",
                                  "SERVICE_DISABLED", metadata={"service": svc, "consumer": f"projects/{project}"})
            if project and api in CONFIG["denied"].get(project, []):
                return self.error(403, "PERMISSION_DENIED", f"The caller does not have permission on {project}",
                                  "IAM_PERMISSION_DENIED")
            if path in OBJECTS:
                return self.send_json(200, OBJECTS[path])
            if api == "cloudresourcemanager":
                return self.resource_manager(path, q)
            m = re.match(r"(.*/projects/[^/]+)/aggregated/([^/]+)$", path)
            if m:
                return self.aggregated(m.group(1), m.group(2), q)
            if path in LISTS:
                return self.page(LISTS[path]["field"], LISTS[path]["items"], q)
            if any(path.startswith(p) for p in CONFIG.get("not_found", [])):
                return self.error(404, "NOT_FOUND", f"The resource '{path}' was not found")
        # Anything else is an empty list, as Google answers one: no items field.
        self.send_json(200, {})

    def page_size(self, q, default=500):
        size = int(q.get("maxResults") or q.get("pageSize") or default)
        if size <= 0:
            size = default
        if CONFIG.get("max_page"):
            size = min(size, CONFIG["max_page"])
        return size

    def page(self, field, items, q, extra=None):
        start = offset_of(q["pageToken"]) if q.get("pageToken") else 0
        size = self.page_size(q)
        doc = dict(extra or {})
        chunk = items[start:start + size]
        if chunk:
            doc[field] = chunk
        if start + size < len(items):
            doc["nextPageToken"] = token_for(start + size)
        self.send_json(200, doc)

    def aggregated(self, prefix, collection, q):
        scoped = SCOPED.get((prefix, collection))
        if scoped is None:
            scoped = []  # (scope, item)
            pat = re.compile(re.escape(prefix) + r"/((?:zones|regions)/[^/]+|global)/" + re.escape(collection) + "$")
            for key in sorted(LISTS):
                m = pat.match(key)
                if m:
                    scoped.extend((m.group(1), item) for item in LISTS[key]["items"])
            SCOPED[(prefix, collection)] = scoped
        start = offset_of(q["pageToken"]) if q.get("pageToken") else 0
        size = self.page_size(q)
        items = {}
        for scope, item in scoped[start:start + size]:
            items.setdefault(scope, {collection: []})[collection].append(item)
        # A scope with nothing, as the API reports it.
        items.setdefault("zones/fake-empty-zone", {"warning": {
            "code": "NO_RESULTS_ON_PAGE", "message": "There are no results for scope 'zones/fake-empty-zone' on this page.",
            "data": [{"key": "scope", "value": "zones/fake-empty-zone"}]}})
        doc = {"kind": "compute#aggregatedList", "id": prefix, "items": items}
        if start + size < len(scoped):
            doc["nextPageToken"] = token_for(start + size)
        self.send_json(200, doc)

    def resource_manager(self, path, q):
        rest = path[len("cloudresourcemanager/"):]
        kinds = {"v3/projects:search": "projects", "v3/projects": "projects", "v3/folders": "folders",
                 "v3/organizations:search": "organizations", "v3/tagKeys": "tagKeys", "v3/tagValues": "tagValues"}
        if rest in kinds:
            kind = kinds[rest]
            stored = LISTS.get("cloudresourcemanager/v3/" + kind, {"items": []})["items"]
            out = []
            query = q.get("query", "")
            for p in stored:
                if "parent" in q and p.get("parent") != q["parent"]:
                    continue
                ok = True
                for term in query.split():
                    if term in ("AND",):
                        continue
                    k, _, v = term.partition(":")
                    if k == "state" and p.get("state") != v:
                        ok = False
                    elif k.startswith("labels.") and p.get("labels", {}).get(k[7:]) != v:
                        ok = False
                    elif k == "domain" and p.get("displayName") != v:
                        ok = False
                    elif k not in ("state", "domain") and not k.startswith("labels."):
                        return self.error(400, "INVALID_ARGUMENT", f"the fake does not know the query term {term}")
                if ok:
                    out.append(p)
            return self.page(kind, out, q)
        self.error(404, "NOT_FOUND", f"The resource '{path}' was not found")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    # A listen backlog for a client with many connections at once (the
    # default 5 drops SYNs, which come back after 1, 3, 7 s).
    ThreadingHTTPServer.request_queue_size = 256
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
