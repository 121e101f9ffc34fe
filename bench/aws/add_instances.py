#!/usr/bin/env python3
"""Adds COUNT EC2 instances to a running moto (management account 123456789012), spread
round-robin over REGIONS, PER_CALL instances per RunInstances (one reservation each: moto
pages DescribeInstances by reservation, 1000 a page at Ferry's MaxResults, so PER_CALL 1
keeps moto's pages at AWS's 1000 instances). Run with moto's venv python (boto3).

    $FERRY_MOTO_PYTHON bench/aws/add_instances.py --endpoint URL --count N \
        --regions us-east-1,eu-west-1 [--per-call 1] [--jobs 4]

Prints the seconds it took. Fails (exit 1) at the first call moto refuses.
"""

import argparse
import concurrent.futures
import sys
import threading
import time

import boto3
import botocore.config


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--regions", required=True, help="comma-separated")
    p.add_argument("--per-call", type=int, default=1)
    p.add_argument("--jobs", type=int, default=4)
    p.add_argument("--tag", default="bench", help="value of the ferry-bench tag")
    a = p.parse_args()
    regions = [r for r in a.regions.split(",") if r]
    if a.count < 0 or a.per_call < 1 or not regions:
        p.error("need --count >= 0, --per-call >= 1 and a region")
    cfg = botocore.config.Config(retries={"max_attempts": 2, "mode": "standard"},
                                 max_pool_connections=max(10, a.jobs * 2))
    session = boto3.session.Session()
    lock = threading.Lock()
    clients = {}

    def client(region):
        with lock:
            if region not in clients:
                clients[region] = session.client("ec2", endpoint_url=a.endpoint, region_name=region,
                                                 aws_access_key_id="testing", aws_secret_access_key="testing",
                                                 config=cfg)
            return clients[region]

    calls = []
    left, i = a.count, 0
    while left > 0:
        n = min(left, a.per_call)
        calls.append((regions[i % len(regions)], n, i))
        left -= n
        i += 1

    def run(region, n, i):
        client(region).run_instances(
            ImageId="ami-12c6146b", InstanceType=["t2.micro", "t3.small", "m5.large"][i % 3], MinCount=n, MaxCount=n,
            TagSpecifications=[{"ResourceType": "instance",
                                "Tags": [{"Key": "ferry-bench", "Value": a.tag}, {"Key": "Name", "Value": f"bulk-{i}"}]}])

    t0 = time.monotonic()
    try:
        with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
            for f in [ex.submit(run, *c) for c in calls]:
                f.result()
    except Exception as e:
        print(f"add_instances: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"{time.monotonic() - t0:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
