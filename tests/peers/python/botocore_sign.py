"""Signs requests with botocore's own SigV4 signer, for Ferry's cross-check.

src/sdk/http/aws_sigv4_botocore_test.cc writes a JSON list of requests to
stdin: {method, url, headers: [[name, value]...], body, region, service, s3,
access_key, secret_key, token, timestamp: "YYYYMMDDTHHMMSSZ"}. For each, this
prints the headers botocore's SigV4Auth (S3SigV4Auth when s3) adds, and the
canonical request it signed, as a JSON list on stdout.

Run with tests/peers/python/.venv/bin/python (botocore is pinned in
requirements.txt).
"""
import datetime
import json
import sys

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def capturing(base):
    class Capture(base):
        canonical = None

        def canonical_request(self, request):
            self.canonical = super().canonical_request(request)
            return self.canonical

    return Capture


def sign(case):
    now = datetime.datetime.strptime(case["timestamp"], "%Y%m%dT%H%M%SZ")
    # add_auth reads the time from botocore.auth.get_current_datetime.
    botocore.auth.get_current_datetime = lambda: now
    creds = Credentials(case["access_key"], case["secret_key"], case.get("token") or None)
    base = botocore.auth.S3SigV4Auth if case["s3"] else botocore.auth.SigV4Auth
    auth = capturing(base)(creds, case["service"], case["region"])
    request = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode("utf-8"))
    for name, value in case["headers"]:
        request.headers[name] = value
    auth.add_auth(request)
    wanted = ["Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256"]
    return {
        "headers": {name: request.headers.get(name, "") for name in wanted},
        "canonical_request": auth.canonical,
    }


def main():
    cases = json.load(sys.stdin)
    json.dump([sign(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
