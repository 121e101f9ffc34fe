#!/usr/bin/env python3
"""Seeds a running moto server (scripts/test-servers.sh start moto) through the AWS APIs
with boto3, then writes a JSON expectation file listing what it created, so a test can
compare the aws source's rows with it.

    $FERRY_MOTO_PYTHON plugins/source/aws/testing/seed_moto.py \
        --endpoint "$FERRY_MOTO_URL" --out /tmp/expect.json \
        --accounts 3 --regions us-east-1,eu-west-1,us-west-2 \
        --instances 1000 --users 200 --buckets 100 --per-region 2

Accounts: the first is moto's default account 123456789012, which becomes the management
account of an AWS Organization (two OUs); the others are member accounts made with
organizations:CreateAccount (moto gives them random 12-digit ids and an
OrganizationAccountAccessRole) and seeded with credentials from sts:AssumeRole on that role,
as a real multi-account sync reaches them.

Spread: instances over every account x region, in RunInstances calls of 1-5 instances (so
DescribeInstances has many reservations to page through); users and roles over the accounts;
buckets over the accounts, their regions rotating through --regions; everything else
--per-region per account x region (or per account for global services).

The expectation (--out) is {"moto_version", "endpoint", "accounts", "regions", "organization",
"tables": {cloudquery_table_name: [row, ...]}, "counts", "seconds"}; each row has at least
"account_id", "region" (null for global resources), "tags" ({key: value}, {} when the resource
has none) and its ids/ARN under the names the AWS API uses. moto also serves things nobody
seeded: every account x region has a default VPC with subnets, security group, route table,
network ACL and internet gateway, and RunInstances makes a root volume and a network
interface per instance. The EC2 tables therefore list, after seeding, everything the API
returns, each row with "seeded": true or false. Two more kinds are only counted, in
"also_served": the ~1,360 snapshots of moto's default AMIs that DescribeSnapshots returns to
every account whatever OwnerIds says, and KMS's AWS-managed aliases (alias/aws/*).

Everything is tagged ferry-seed=<run id> where the service takes tags.
Fails (exit 1, the AWS error on stderr) at the first call moto refuses.
"""

import argparse
import concurrent.futures
import io
import json
import os
import random
import sys
import threading
import time
import urllib.parse
import zipfile

import boto3
import botocore.config

MANAGEMENT_ACCOUNT = "123456789012"  # moto's default account
AMIS = ["ami-12c6146b", "ami-03cf127a", "ami-1e749f67"]  # from moto's default AMI list
INSTANCE_TYPES = ["t2.micro", "t3.small", "m5.large", "c5.xlarge"]
ASSUME_ROLE_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
})


def policy_doc(actions, resource="*"):
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}]})


class Seeder:
    def __init__(self, args):
        self.args = args
        self.endpoint = args.endpoint.rstrip("/")
        self.regions = args.regions
        self.home = self.regions[0]
        self.run = args.run_id
        self.rng = random.Random(args.random_seed)
        self.cfg = botocore.config.Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 2, "mode": "standard"},
            max_pool_connections=max(10, args.jobs * 2),
        )
        self.creds = {MANAGEMENT_ACCOUNT: ("AKIAIOSFODNN7EXAMPLE", "ferry-test-secret", None)}
        self.clients = {}
        self.session = boto3.session.Session()  # one, so the service models load once
        self.lock = threading.Lock()
        self.tables = {}
        self.accounts = []
        self.organization = None
        self.also_served = []

    # ---- plumbing

    def client(self, service, account, region=None):
        region = region or self.home
        key = (service, account, region)
        with self.lock:
            cl = self.clients.get(key)
            if cl is None:
                ak, sk, tok = self.creds[account]
                cl = self.session.client(
                    service, endpoint_url=self.endpoint, region_name=region, aws_access_key_id=ak,
                    aws_secret_access_key=sk, aws_session_token=tok, config=self.cfg)
                self.clients[key] = cl
            return cl

    def add(self, table, row):
        with self.lock:
            self.tables.setdefault(table, []).append(row)

    def tags(self, kind, i, extra=None):
        t = {"ferry-seed": self.run, "Name": f"{kind}-{i}", "index": str(i)}
        if extra:
            t.update(extra)
        return t

    @staticmethod
    def kv(tags, k="Key", v="Value"):
        return [{k: a, v: b} for a, b in tags.items()]

    def parallel(self, fn, items):
        items = list(items)
        if self.args.jobs <= 1:
            for it in items:
                fn(*it)
            return
        with concurrent.futures.ThreadPoolExecutor(self.args.jobs) as ex:
            for f in [ex.submit(fn, *it) for it in items]:
                f.result()  # the first failure propagates

    # ---- organization and accounts

    def seed_organization(self):
        org = self.client("organizations", MANAGEMENT_ACCOUNT)
        o = org.create_organization(FeatureSet="ALL")["Organization"]
        root = org.list_roots()["Roots"][0]
        ous = [org.create_organizational_unit(ParentId=root["Id"], Name=f"ou-{i}")["OrganizationalUnit"]
               for i in range(2)]
        self.accounts = [{"id": MANAGEMENT_ACCOUNT, "name": "master", "email": o["MasterAccountEmail"],
                          "management": True, "parent_id": root["Id"]}]
        for i in range(1, self.args.accounts):
            st = org.create_account(AccountName=f"ferry-member-{i}", Email=f"member{i}@example.com",
                                    Tags=self.kv(self.tags("account", i)))["CreateAccountStatus"]
            st = org.describe_create_account_status(CreateAccountRequestId=st["Id"])["CreateAccountStatus"]
            if st["State"] != "SUCCEEDED":
                raise RuntimeError(f"organizations CreateAccount ferry-member-{i}: {st}")
            ou = ous[(i - 1) % len(ous)]
            org.move_account(AccountId=st["AccountId"], SourceParentId=root["Id"], DestinationParentId=ou["Id"])
            self.accounts.append({"id": st["AccountId"], "name": f"ferry-member-{i}",
                                  "email": f"member{i}@example.com", "management": False,
                                  "parent_id": ou["Id"], "tags": self.tags("account", i)})
            c = self.client("sts", MANAGEMENT_ACCOUNT).assume_role(
                RoleArn=f"arn:aws:iam::{st['AccountId']}:role/OrganizationAccountAccessRole",
                RoleSessionName="ferry-seed", DurationSeconds=43200)["Credentials"]
            self.creds[st["AccountId"]] = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
            got = self.client("sts", st["AccountId"]).get_caller_identity()["Account"]
            if got != st["AccountId"]:
                raise RuntimeError(f"AssumeRole into {st['AccountId']} answered as account {got}")
            self.add("aws_iam_roles", {"account_id": st["AccountId"], "region": None,
                                       "role_name": "OrganizationAccountAccessRole",
                                       "arn": f"arn:aws:iam::{st['AccountId']}:role/OrganizationAccountAccessRole",
                                       "tags": {}, "created_by": "organizations:CreateAccount"})
        self.organization = {"id": o["Id"], "arn": o["Arn"], "master_account_id": o["MasterAccountId"],
                             "root_id": root["Id"], "ous": [{"id": u["Id"], "arn": u["Arn"], "name": u["Name"]}
                                                            for u in ous]}
        for a in self.accounts:
            self.add("aws_organizations_accounts", {"account_id": MANAGEMENT_ACCOUNT, "region": None, "id": a["id"],
                                                    "name": a["name"], "email": a["email"],
                                                    "parent_id": a["parent_id"], "tags": a.get("tags", {})})
        # A service control policy (its content is read with DescribePolicy).
        scp = org.create_policy(Name="ferry-scp", Type="SERVICE_CONTROL_POLICY", Description="seeded",
                                Content=json.dumps({"Version": "2012-10-17", "Statement": [
                                    {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]}))["Policy"]
        self.add("aws_organizations_policies", {"account_id": MANAGEMENT_ACCOUNT, "region": None,
                                                "arn": scp["PolicySummary"]["Arn"], "name": "ferry-scp"})
        for u in ous:
            self.add("aws_organizations_organizational_units", {"account_id": MANAGEMENT_ACCOUNT, "region": None,
                                                                "id": u["Id"], "arn": u["Arn"], "name": u["Name"],
                                                                "tags": {}})

    # ---- IAM (global, per account)

    def seed_iam_account(self, acct, n_users, n_roles, n_groups, n_policies):
        iam = self.client("iam", acct)
        policies = []
        for i in range(n_policies):
            t = self.tags("policy", i)
            p = iam.create_policy(PolicyName=f"ferry-policy-{i}", Path="/ferry/",
                                  PolicyDocument=policy_doc([f"s3:Get*", f"ec2:Describe*"]),
                                  Description=f"seeded policy {i}", Tags=self.kv(t))["Policy"]
            policies.append(p["Arn"])
            self.add("aws_iam_policies", {"account_id": acct, "region": None, "policy_name": p["PolicyName"],
                                          "arn": p["Arn"], "id": p["PolicyId"], "path": "/ferry/", "tags": t})
        groups = []
        for i in range(n_groups):
            g = iam.create_group(GroupName=f"ferry-group-{i}")["Group"]
            iam.put_group_policy(GroupName=g["GroupName"], PolicyName="inline",
                                 PolicyDocument=policy_doc(["sqs:List*"]))
            if policies:
                iam.attach_group_policy(GroupName=g["GroupName"], PolicyArn=policies[i % len(policies)])
            groups.append(g["GroupName"])
            self.add("aws_iam_groups", {"account_id": acct, "region": None, "group_name": g["GroupName"],
                                        "arn": g["Arn"], "id": g["GroupId"], "tags": {},
                                        "inline_policies": ["inline"],
                                        "attached_policies": [policies[i % len(policies)]] if policies else []})
        for i in range(n_roles):
            t = self.tags("role", i)
            r = iam.create_role(RoleName=f"ferry-role-{i}", AssumeRolePolicyDocument=ASSUME_ROLE_POLICY,
                                Description=f"seeded role {i}", Tags=self.kv(t))["Role"]
            iam.put_role_policy(RoleName=r["RoleName"], PolicyName="inline", PolicyDocument=policy_doc(["logs:*"]))
            attached = [policies[i % len(policies)]] if policies else []
            for a in attached:
                iam.attach_role_policy(RoleName=r["RoleName"], PolicyArn=a)
            self.add("aws_iam_roles", {"account_id": acct, "region": None, "role_name": r["RoleName"],
                                       "arn": r["Arn"], "id": r["RoleId"], "tags": t,
                                       "inline_policies": ["inline"], "attached_policies": attached})
        for i in range(n_users):
            t = self.tags("user", i)
            u = iam.create_user(UserName=f"ferry-user-{i}", Path="/ferry/", Tags=self.kv(t))["User"]
            keys = []
            for _ in range(1 + i % 2):
                k = iam.create_access_key(UserName=u["UserName"])["AccessKey"]
                keys.append(k["AccessKeyId"])  # the secret is not recorded
            inline = []
            if i % 2 == 0:
                iam.put_user_policy(UserName=u["UserName"], PolicyName="inline",
                                    PolicyDocument=policy_doc(["s3:ListBucket"]))
                inline.append("inline")
            attached = [policies[i % len(policies)]] if policies else []
            for a in attached:
                iam.attach_user_policy(UserName=u["UserName"], PolicyArn=a)
            user_groups = [groups[i % len(groups)]] if groups else []
            for g in user_groups:
                iam.add_user_to_group(GroupName=g, UserName=u["UserName"])
            self.add("aws_iam_users", {"account_id": acct, "region": None, "user_name": u["UserName"],
                                       "arn": u["Arn"], "id": u["UserId"], "path": "/ferry/", "tags": t,
                                       "access_key_ids": keys, "inline_policies": inline,
                                       "attached_policies": attached, "groups": user_groups})
            for k in keys:
                self.add("aws_iam_user_access_keys", {"account_id": acct, "region": None,
                                                      "user_arn": u["Arn"], "access_key_id": k, "tags": {}})

    # ---- S3 (global listing, regional buckets)

    def seed_bucket(self, acct, region, i):
        s3 = self.client("s3", acct, region)
        name = f"ferry-{acct}-{i:04d}"
        kw = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **kw)
        t = self.tags("bucket", i)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": self.kv(t)})
        arn = f"arn:aws:s3:::{name}"
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Sid": "ferry", "Effect": "Deny", "Principal": "*",
                                                    "Action": "s3:*", "Resource": [arn, arn + "/*"],
                                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
        versioning = "Enabled" if i % 2 == 0 else "Suspended"
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
        algo = "AES256" if i % 3 else "aws:kms"
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algo}}]})
        block = i % 4 != 3
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": block, "IgnorePublicAcls": block, "BlockPublicPolicy": block,
            "RestrictPublicBuckets": block})
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
            {"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7 + i % 30}}]})
        self.add("aws_s3_buckets", {"account_id": acct, "region": region, "name": name, "arn": arn, "tags": t,
                                    "versioning_status": versioning, "sse_algorithm": algo,
                                    "block_public_acls": block, "policy_sids": ["ferry"],
                                    "lifecycle_rule_ids": ["expire-tmp"]})

    # ---- EC2 (regional)

    def seed_network(self, acct, region, n):
        ec2 = self.client("ec2", acct, region)
        azs = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
        out = []
        for i in range(n):
            t = self.tags("vpc", i)
            vpc = ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16", TagSpecifications=[
                {"ResourceType": "vpc", "Tags": self.kv(t)}])["Vpc"]["VpcId"]
            subnets = []
            for j, az in enumerate(azs):
                st = self.tags("subnet", f"{i}-{j}")
                s = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{i}.{j}.0/24", AvailabilityZone=az,
                                      TagSpecifications=[{"ResourceType": "subnet", "Tags": self.kv(st)}])["Subnet"]
                subnets.append(s["SubnetId"])
                self.add("aws_ec2_subnets", {"account_id": acct, "region": region, "subnet_id": s["SubnetId"],
                                             "arn": s.get("SubnetArn"), "vpc_id": vpc, "tags": st, "seeded": True})
            gt = self.tags("sg", i)
            sg = ec2.create_security_group(GroupName=f"ferry-sg-{i}", Description="seeded", VpcId=vpc,
                                           TagSpecifications=[{"ResourceType": "security-group",
                                                               "Tags": self.kv(gt)}])["GroupId"]
            ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
            it = self.tags("igw", i)
            igw = ec2.create_internet_gateway(TagSpecifications=[
                {"ResourceType": "internet-gateway", "Tags": self.kv(it)}])["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
            rt_t = self.tags("rtb", i)
            rtb = ec2.create_route_table(VpcId=vpc, TagSpecifications=[
                {"ResourceType": "route-table", "Tags": self.kv(rt_t)}])["RouteTable"]["RouteTableId"]
            ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
            ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnets[0])
            et = self.tags("eip", i)
            eip = ec2.allocate_address(Domain="vpc", TagSpecifications=[
                {"ResourceType": "elastic-ip", "Tags": self.kv(et)}])
            nt = self.tags("nat", i)
            nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip["AllocationId"], TagSpecifications=[
                {"ResourceType": "natgateway", "Tags": self.kv(nt)}])["NatGateway"]["NatGatewayId"]
            nit = self.tags("eni", i)
            eni = ec2.create_network_interface(SubnetId=subnets[-1], Groups=[sg], TagSpecifications=[
                {"ResourceType": "network-interface", "Tags": self.kv(nit)}])["NetworkInterface"]["NetworkInterfaceId"]
            kt = self.tags("key", i)
            key = ec2.create_key_pair(KeyName=f"ferry-key-{i}", TagSpecifications=[
                {"ResourceType": "key-pair", "Tags": self.kv(kt)}])
            vt = self.tags("vol", i)
            vol = ec2.create_volume(AvailabilityZone=azs[0], Size=8 + i, VolumeType="gp3", TagSpecifications=[
                {"ResourceType": "volume", "Tags": self.kv(vt)}])["VolumeId"]
            snt = self.tags("snap", i)
            snap = ec2.create_snapshot(VolumeId=vol, Description="seeded", TagSpecifications=[
                {"ResourceType": "snapshot", "Tags": self.kv(snt)}])["SnapshotId"]
            common = {"account_id": acct, "region": region, "seeded": True}
            self.add("aws_ec2_vpcs", {**common, "vpc_id": vpc, "tags": t})
            self.add("aws_ec2_security_groups", {**common, "group_id": sg, "vpc_id": vpc, "tags": gt})
            self.add("aws_ec2_internet_gateways", {**common, "internet_gateway_id": igw, "vpc_id": vpc, "tags": it})
            self.add("aws_ec2_route_tables", {**common, "route_table_id": rtb, "vpc_id": vpc, "tags": rt_t})
            self.add("aws_ec2_eips", {**common, "allocation_id": eip["AllocationId"], "public_ip": eip["PublicIp"],
                                      "tags": et})
            self.add("aws_ec2_nat_gateways", {**common, "nat_gateway_id": nat, "vpc_id": vpc, "subnet_id": subnets[0],
                                              "tags": nt})
            self.add("aws_ec2_network_interfaces", {**common, "network_interface_id": eni, "tags": nit})
            self.add("aws_ec2_key_pairs", {**common, "key_pair_id": key["KeyPairId"], "key_name": key["KeyName"],
                                           "tags": kt})
            self.add("aws_ec2_ebs_volumes", {**common, "volume_id": vol, "tags": vt})
            self.add("aws_ec2_ebs_snapshots", {**common, "snapshot_id": snap, "volume_id": vol, "tags": snt})
            out.append({"vpc": vpc, "subnets": subnets, "sg": sg})
        return out

    def seed_instances(self, acct, region, n, networks):
        ec2 = self.client("ec2", acct, region)
        made = 0
        call = 0
        while made < n:
            count = min(n - made, 1 + self.rng.randrange(5))
            net = networks[call % len(networks)] if networks else None
            t = self.tags("instance", call, {"batch": str(call)})
            kw = {"SubnetId": net["subnets"][call % len(net["subnets"])], "SecurityGroupIds": [net["sg"]]} if net else {}
            r = ec2.run_instances(ImageId=AMIS[call % len(AMIS)], InstanceType=INSTANCE_TYPES[call % len(INSTANCE_TYPES)],
                                  MinCount=count, MaxCount=count,
                                  TagSpecifications=[{"ResourceType": "instance", "Tags": self.kv(t)}], **kw)
            for inst in r["Instances"]:
                self.add("aws_ec2_instances", {"account_id": acct, "region": region, "instance_id": inst["InstanceId"],
                                               "arn": f"arn:aws:ec2:{region}:{acct}:instance/{inst['InstanceId']}",
                                               "reservation_id": r["ReservationId"], "image_id": inst["ImageId"],
                                               "instance_type": inst["InstanceType"], "subnet_id": inst.get("SubnetId"),
                                               "vpc_id": inst.get("VpcId"), "tags": t, "seeded": True})
            made += count
            call += 1

    # ---- the other regional services

    def seed_regional(self, acct, region, n, role_arn):
        common = {"account_id": acct, "region": region}
        lam = self.client("lambda", acct, region)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("index.py", "def handler(event, context):\n    return event\n")
        code = buf.getvalue()
        for i in range(n):
            t = self.tags("fn", i)
            f = lam.create_function(FunctionName=f"ferry-fn-{i}", Runtime="python3.12", Role=role_arn,
                                    Handler="index.handler", Code={"ZipFile": code}, Tags=t,
                                    Environment={"Variables": {"STAGE": "test"}})
            self.add("aws_lambda_functions", {**common, "function_name": f["FunctionName"], "arn": f["FunctionArn"],
                                              "role": role_arn, "tags": t})
            if i == 0:   # one function URL per account x region
                u = lam.create_function_url_config(FunctionName=f["FunctionName"], AuthType="AWS_IAM")
                self.add("aws_lambda_function_url_configs", {**common, "function_arn": f["FunctionArn"],
                                                             "function_url": u["FunctionUrl"], "auth_type": "AWS_IAM",
                                                             "tags": {}})
        for i in range(n):
            v = lam.publish_layer_version(LayerName=f"ferry-layer-{i}", Content={"ZipFile": code},
                                          CompatibleRuntimes=["python3.12"])
            self.add("aws_lambda_layer_versions", {**common, "arn": v["LayerVersionArn"], "layer_arn": v["LayerArn"],
                                                   "version": v["Version"], "tags": {}})
        # AWS Config: the recorder and delivery channel (one of each per account x region, as AWS allows)
        cfg = self.client("config", acct, region)
        cfg.put_configuration_recorder(ConfigurationRecorder={
            "name": "default", "roleARN": role_arn,
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": False}})
        self.add("aws_config_configuration_recorders", {
            **common, "name": "default", "arn": f"arn:aws:config:{region}:{acct}:config-recorder/default",
            "role_arn": role_arn, "tags": {}})
        cfg_bucket = f"ferry-config-{acct}-{region}"
        s3 = self.client("s3", acct, region)
        s3.create_bucket(Bucket=cfg_bucket, **({} if region == "us-east-1" else
                                               {"CreateBucketConfiguration": {"LocationConstraint": region}}))
        self.add("aws_s3_buckets", {**common, "name": cfg_bucket, "arn": f"arn:aws:s3:::{cfg_bucket}", "tags": {},
                                    "purpose": "config"})
        cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": cfg_bucket})
        self.add("aws_config_delivery_channels", {**common, "name": "default", "s3_bucket_name": cfg_bucket,
                                                  "tags": {}})
        ddb = self.client("dynamodb", acct, region)
        for i in range(n):
            t = self.tags("table", i)
            d = ddb.create_table(TableName=f"ferry-table-{i}", BillingMode="PAY_PER_REQUEST",
                                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                 KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                 Tags=self.kv(t))["TableDescription"]
            self.add("aws_dynamodb_tables", {**common, "table_name": d["TableName"], "arn": d["TableArn"], "tags": t})
        sqs = self.client("sqs", acct, region)
        queues = []
        for i in range(n):
            t = self.tags("queue", i)
            url = sqs.create_queue(QueueName=f"ferry-queue-{i}", tags=t)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            queues.append(arn)
            self.add("aws_sqs_queues", {**common, "url": url, "arn": arn, "tags": t})
        sns = self.client("sns", acct, region)
        for i in range(n):
            t = self.tags("topic", i)
            arn = sns.create_topic(Name=f"ferry-topic-{i}", Tags=self.kv(t))["TopicArn"]
            sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queues[i % len(queues)],
                                ReturnSubscriptionArn=True)["SubscriptionArn"]
            self.add("aws_sns_topics", {**common, "arn": arn, "tags": t})
            self.add("aws_sns_subscriptions", {**common, "arn": sub, "topic_arn": arn, "protocol": "sqs",
                                               "endpoint": queues[i % len(queues)], "tags": {}})
        kms = self.client("kms", acct, region)
        for i in range(n):
            t = self.tags("key", i)
            k = kms.create_key(Description=f"seeded key {i}", Tags=self.kv(t, "TagKey", "TagValue"))["KeyMetadata"]
            alias = f"alias/ferry-key-{i}"
            kms.create_alias(AliasName=alias, TargetKeyId=k["KeyId"])
            self.add("aws_kms_keys", {**common, "id": k["KeyId"], "arn": k["Arn"], "tags": t})
            self.add("aws_kms_aliases", {**common, "alias_name": alias,
                                         "arn": f"arn:aws:kms:{region}:{acct}:{alias}", "target_key_id": k["KeyId"],
                                         "tags": {}})
        cw = self.client("cloudwatch", acct, region)
        for i in range(n):
            t = self.tags("alarm", i)
            name = f"ferry-alarm-{i}"
            cw.put_metric_alarm(AlarmName=name, MetricName="CPUUtilization", Namespace="AWS/EC2", Statistic="Average",
                                Period=300, EvaluationPeriods=1, Threshold=80.0 + i,
                                ComparisonOperator="GreaterThanThreshold", Tags=self.kv(t))
            self.add("aws_cloudwatch_alarms", {**common, "alarm_name": name,
                                               "arn": f"arn:aws:cloudwatch:{region}:{acct}:alarm:{name}", "tags": t})
        ecs = self.client("ecs", acct, region)
        for i in range(n):
            t = self.tags("ecs", i)
            cl = ecs.create_cluster(clusterName=f"ferry-ecs-{i}", tags=self.kv(t, "key", "value"))["cluster"]
            self.add("aws_ecs_clusters", {**common, "cluster_name": cl["clusterName"], "arn": cl["clusterArn"],
                                          "tags": t})
        secrets = self.client("secretsmanager", acct, region)
        for i in range(n):
            t = self.tags("secret", i)
            s = secrets.create_secret(Name=f"ferry/secret-{i}", SecretString="not-a-real-secret", Tags=self.kv(t))
            self.add("aws_secretsmanager_secrets", {**common, "name": s["Name"], "arn": s["ARN"], "tags": t})
        ssm = self.client("ssm", acct, region)
        for i in range(n):
            t = self.tags("param", i)
            name = f"/ferry/param-{i}"
            ssm.put_parameter(Name=name, Value=f"value-{i}", Type="String" if i % 2 == 0 else "SecureString",
                              Tags=self.kv(t))
            self.add("aws_ssm_parameters", {**common, "name": name,
                                            "arn": f"arn:aws:ssm:{region}:{acct}:parameter{name}", "tags": t})
        ecr = self.client("ecr", acct, region)
        for i in range(n):
            t = self.tags("repo", i)
            r = ecr.create_repository(repositoryName=f"ferry/repo-{i}", tags=self.kv(t))["repository"]
            self.add("aws_ecr_repositories", {**common, "repository_name": r["repositoryName"],
                                              "arn": r["repositoryArn"], "tags": t})
        rds = self.client("rds", acct, region)
        for i in range(n):
            t = self.tags("db", i)
            d = rds.create_db_instance(DBInstanceIdentifier=f"ferry-db-{i}", Engine="postgres",
                                       DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="ferry",
                                       MasterUserPassword="not-a-real-password", Tags=self.kv(t))["DBInstance"]
            self.add("aws_rds_instances", {**common, "db_instance_identifier": d["DBInstanceIdentifier"],
                                           "arn": d["DBInstanceArn"], "tags": t})
            t = self.tags("cluster", i)
            d = rds.create_db_cluster(DBClusterIdentifier=f"ferry-cluster-{i}", Engine="aurora-postgresql",
                                      MasterUsername="ferry", MasterUserPassword="not-a-real-password",
                                      Tags=self.kv(t))["DBCluster"]
            self.add("aws_rds_clusters", {**common, "db_cluster_identifier": d["DBClusterIdentifier"],
                                          "arn": d["DBClusterArn"], "tags": t})
        # Neptune: RDS's API with engine neptune. RDS's own tables list them too
        # (as AWS's do); the aws_neptune_* tables list only them (Filters
        # engine=neptune), the aws_docdb_* ones none (moto cannot create docdb).
        neptune = self.client("neptune", acct, region)
        for i in range(min(n, 1)):
            t = self.tags("neptune", i)
            c = neptune.create_db_cluster(DBClusterIdentifier=f"ferry-neptune-{i}", Engine="neptune",
                                          Tags=self.kv(t))["DBCluster"]
            row = {**common, "db_cluster_identifier": c["DBClusterIdentifier"], "arn": c["DBClusterArn"], "tags": t}
            self.add("aws_neptune_clusters", row)
            self.add("aws_rds_clusters", row)
            t = self.tags("neptune-db", i)
            d = neptune.create_db_instance(DBInstanceIdentifier=f"ferry-neptune-db-{i}", Engine="neptune",
                                           DBInstanceClass="db.r5.large", DBClusterIdentifier=c["DBClusterIdentifier"],
                                           Tags=self.kv(t))["DBInstance"]
            row = {**common, "db_instance_identifier": d["DBInstanceIdentifier"], "arn": d["DBInstanceArn"], "tags": t}
            self.add("aws_neptune_instances", row)
            self.add("aws_rds_instances", row)
        cfn = self.client("cloudformation", acct, region)
        for i in range(min(n, 1)):
            t = self.tags("stack", i)
            template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic",
                                                "Properties": {"TopicName": f"ferry-stack-topic-{i}"}}}}
            s = cfn.create_stack(StackName=f"ferry-stack-{i}", TemplateBody=json.dumps(template), Tags=self.kv(t))
            self.add("aws_cloudformation_stacks", {**common, "stack_name": f"ferry-stack-{i}", "id": s["StackId"],
                                                   "arn": s["StackId"], "tags": t})
            self.add("aws_cloudformation_stack_templates", {**common, "stack_arn": s["StackId"]})
            # the stack's own resource, made by moto's CloudFormation
            self.add("aws_sns_topics", {**common, "arn": f"arn:aws:sns:{region}:{acct}:ferry-stack-topic-{i}",
                                        "tags": {}, "created_by": "cloudformation"})

    def seed_load_balancers(self, acct, region, n, networks):
        elb = self.client("elbv2", acct, region)
        common = {"account_id": acct, "region": region}
        for i in range(n):
            net = networks[i % len(networks)]
            t = self.tags("alb", i)
            lb = elb.create_load_balancer(Name=f"ferry-alb-{i}", Subnets=net["subnets"], SecurityGroups=[net["sg"]],
                                          Scheme="internal", Type="application", Tags=self.kv(t))["LoadBalancers"][0]
            tt = self.tags("tg", i)
            tg = elb.create_target_group(Name=f"ferry-tg-{i}", Protocol="HTTP", Port=80, VpcId=net["vpc"],
                                         TargetType="ip", Tags=self.kv(tt))["TargetGroups"][0]
            elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
            self.add("aws_elbv2_load_balancers", {**common, "name": lb["LoadBalancerName"],
                                                  "arn": lb["LoadBalancerArn"], "vpc_id": net["vpc"], "tags": t})
            self.add("aws_elbv2_target_groups", {**common, "name": tg["TargetGroupName"], "arn": tg["TargetGroupArn"],
                                                 "load_balancer_arns": [lb["LoadBalancerArn"]], "tags": tt})

    def seed_api_gateways(self, acct, region):
        """One REST API (a resource with a method and its integration, an authorizer, a model, a request
        validator, a deployment and its stage, a gateway response), a usage plan with a key, a custom
        domain with a base path mapping; one HTTP API (an integration with a response, a route, a stage) and a v2
        domain with an API mapping. Rows are keyed by the ARNs API Gateway's documentation gives."""
        common = {"account_id": acct, "region": region}
        ag = self.client("apigateway", acct, region)
        base = f"arn:aws:apigateway:{region}::"
        t = self.tags("restapi", 0)
        api = ag.create_rest_api(name="ferry-rest-api", tags=t)["id"]
        rest = f"{base}/restapis/{api}"
        self.add("aws_apigateway_rest_apis", {**common, "id": api, "arn": rest, "tags": t})
        root = ag.get_resources(restApiId=api)["items"][0]["id"]
        res = ag.create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
        ag.put_method(restApiId=api, resourceId=res, httpMethod="GET", authorizationType="NONE")
        ag.put_integration(restApiId=api, resourceId=res, httpMethod="GET", type="MOCK")
        for rid in (root, res):
            self.add("aws_apigateway_rest_api_resources", {**common, "rest_api_arn": rest,
                                                           "arn": f"{rest}/resources/{rid}"})
        method = f"{rest}/resources/{res}/methods/GET"
        self.add("aws_apigateway_rest_api_resource_methods", {**common, "rest_api_arn": rest,
                                                              "resource_arn": f"{rest}/resources/{res}", "arn": method})
        self.add("aws_apigateway_rest_api_resource_method_integrations", {**common, "method_arn": method,
                                                                          "arn": f"{method}/integration"})
        au = ag.create_authorizer(restApiId=api, name="ferry-authorizer", type="TOKEN",
                                  authorizerUri=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/"
                                                f"arn:aws:lambda:{region}:{acct}:function:ferry-fn-0/invocations",
                                  identitySource="method.request.header.Authorization")["id"]
        self.add("aws_apigateway_rest_api_authorizers", {**common, "rest_api_arn": rest,
                                                         "arn": f"{rest}/authorizers/{au}"})
        ag.create_model(restApiId=api, name="Item", contentType="application/json",
                        schema=json.dumps({"type": "object"}))
        self.add("aws_apigateway_rest_api_models", {**common, "rest_api_arn": rest, "arn": f"{rest}/models/Item"})
        rv = ag.create_request_validator(restApiId=api, name="ferry-validator", validateRequestBody=True)["id"]
        self.add("aws_apigateway_rest_api_request_validators", {**common, "rest_api_arn": rest,
                                                                "arn": f"{rest}/requestvalidators/{rv}"})
        dep = ag.create_deployment(restApiId=api, stageName="prod")["id"]
        self.add("aws_apigateway_rest_api_deployments", {**common, "rest_api_arn": rest,
                                                         "arn": f"{rest}/deployments/{dep}"})
        self.add("aws_apigateway_rest_api_stages", {**common, "rest_api_arn": rest, "arn": f"{rest}/stages/prod",
                                                    "deployment_id": dep})
        ag.put_gateway_response(restApiId=api, responseType="DEFAULT_4XX", statusCode="400")
        self.add("aws_apigateway_rest_api_gateway_responses", {**common, "rest_api_arn": rest,
                                                               "arn": f"{rest}/gatewayresponses/DEFAULT_4XX"})
        plan = ag.create_usage_plan(name="ferry-plan", apiStages=[{"apiId": api, "stage": "prod"}])["id"]
        self.add("aws_apigateway_usage_plans", {**common, "id": plan, "arn": f"{base}/usageplans/{plan}"})
        key = ag.create_api_key(name="ferry-key", enabled=True)["id"]
        ag.create_usage_plan_key(usagePlanId=plan, keyId=key, keyType="API_KEY")
        self.add("aws_apigateway_usage_plan_keys", {**common, "usage_plan_arn": f"{base}/usageplans/{plan}",
                                                    "arn": f"{base}/usageplans/{plan}/keys/{key}"})
        domain = f"api-{region}.{acct}.ferry.example"
        ag.create_domain_name(domainName=domain, regionalCertificateArn=f"arn:aws:acm:{region}:{acct}:certificate/ferry",
                              endpointConfiguration={"types": ["REGIONAL"]})
        ag.create_base_path_mapping(domainName=domain, restApiId=api, basePath="v1", stage="prod")
        self.add("aws_apigateway_domain_name_base_path_mappings", {
            **common, "domain_name_arn": f"{base}/domainnames/{domain}",
            "arn": f"{base}/domainnames/{domain}/basepathmappings/v1", "rest_api_id": api})
        # API Gateway v2
        v2 = self.client("apigatewayv2", acct, region)
        t = self.tags("httpapi", 0)
        h = v2.create_api(Name="ferry-http-api", ProtocolType="HTTP", Tags=t)["ApiId"]
        hp = f"{base}/apis/{h}"
        self.add("aws_apigatewayv2_apis", {**common, "id": h, "arn": hp, "tags": t})
        integ = v2.create_integration(ApiId=h, IntegrationType="HTTP_PROXY", IntegrationUri="https://example.com",
                                      IntegrationMethod="GET", PayloadFormatVersion="1.0")["IntegrationId"]
        self.add("aws_apigatewayv2_api_integrations", {**common, "api_arn": hp, "arn": f"{hp}/integrations/{integ}"})
        ir = v2.create_integration_response(ApiId=h, IntegrationId=integ,
                                            IntegrationResponseKey="/200/")["IntegrationResponseId"]
        self.add("aws_apigatewayv2_api_integration_responses", {
            **common, "api_integration_arn": f"{hp}/integrations/{integ}",
            "arn": f"{hp}/integrations/{integ}/integrationresponses/{ir}"})
        route = v2.create_route(ApiId=h, RouteKey="GET /items", Target=f"integrations/{integ}")["RouteId"]
        self.add("aws_apigatewayv2_api_routes", {**common, "api_arn": hp, "arn": f"{hp}/routes/{route}"})
        v2.create_stage(ApiId=h, StageName="prod")
        self.add("aws_apigatewayv2_api_stages", {**common, "api_arn": hp, "arn": f"{hp}/stages/prod"})
        d2 = f"http-{region}.{acct}.ferry.example"
        v2.create_domain_name(DomainName=d2)
        mapping = v2.create_api_mapping(DomainName=d2, ApiId=h, Stage="prod")["ApiMappingId"]
        self.add("aws_apigatewayv2_domain_name_rest_api_mappings", {
            **common, "domain_name_arn": f"{base}/domainnames/{d2}",
            "arn": f"{base}/domainnames/{d2}/apimappings/{mapping}", "api_id": h})

    def seed_glue_and_cloud_map(self, acct, region):
        """Glue: a connection with a password (which HidePassword keeps out of the rows), a database
        with a table, a job with a run, a trigger, a workflow, a security configuration, a registry, a
        development endpoint. Cloud Map: an HTTP namespace with a service and an instance. Direct
        Connect: a connection and a LAG. DMS: a replication instance. Scheduler: a schedule group.
        WAFv2: an IP set and a regex pattern set. Route 53 Resolver: a rule."""
        common = {"account_id": acct, "region": region}
        g = self.client("glue", acct, region)
        arn = f"arn:aws:glue:{region}:{acct}"
        t = self.tags("connection", 0)
        g.create_connection(ConnectionInput={
            "Name": "ferry-connection", "ConnectionType": "JDBC",
            "ConnectionProperties": {"JDBC_CONNECTION_URL": "jdbc:mysql://db.example:3306/app", "USERNAME": "app",
                                     "PASSWORD": "ferry-connection-password"}}, Tags=t)
        self.add("aws_glue_connections", {**common, "name": "ferry-connection", "arn": f"{arn}:connection/ferry-connection"})
        g.create_database(DatabaseInput={"Name": "ferry_db"})
        self.add("aws_glue_databases", {**common, "name": "ferry_db", "arn": f"{arn}:database/ferry_db"})
        g.create_table(DatabaseName="ferry_db", TableInput={"Name": "ferry_table"})
        self.add("aws_glue_database_tables", {**common, "name": "ferry_table",
                                              "database_arn": f"{arn}:database/ferry_db"})
        t = self.tags("job", 0)
        g.create_job(Name="ferry-job", Role="ferry-service-role", Tags=t,
                     Command={"Name": "glueetl", "ScriptLocation": "s3://ferry-scripts/job.py"})
        self.add("aws_glue_jobs", {**common, "name": "ferry-job", "arn": f"{arn}:job/ferry-job", "tags": t})
        run = g.start_job_run(JobName="ferry-job")["JobRunId"]
        self.add("aws_glue_job_runs", {**common, "id": run, "job_arn": f"{arn}:job/ferry-job"})
        t = self.tags("trigger", 0)
        g.create_trigger(Name="ferry-trigger", Type="ON_DEMAND", Actions=[{"JobName": "ferry-job"}], Tags=t)
        self.add("aws_glue_triggers", {**common, "name": "ferry-trigger", "arn": f"{arn}:trigger/ferry-trigger",
                                       "tags": t})
        t = self.tags("workflow", 0)
        g.create_workflow(Name="ferry-workflow", Tags=t)
        self.add("aws_glue_workflows", {**common, "name": "ferry-workflow", "arn": f"{arn}:workflow/ferry-workflow",
                                        "tags": t})
        g.create_security_configuration(Name="ferry-security",
                                        EncryptionConfiguration={"S3Encryption": [{"S3EncryptionMode": "DISABLED"}]})
        self.add("aws_glue_security_configurations", {**common, "name": "ferry-security"})
        reg = g.create_registry(RegistryName="ferry-registry")["RegistryArn"]
        self.add("aws_glue_registries", {**common, "arn": reg})
        g.create_dev_endpoint(EndpointName="ferry-dev", RoleArn=f"arn:aws:iam::{acct}:role/ferry-service-role")
        self.add("aws_glue_dev_endpoints", {**common, "arn": f"{arn}:devEndpoint/ferry-dev"})
        sd = self.client("servicediscovery", acct, region)
        sd.create_http_namespace(Name=f"ferry-{region}.local")
        ns = sd.list_namespaces()["Namespaces"][0]
        self.add("aws_servicediscovery_namespaces", {**common, "id": ns["Id"], "arn": ns["Arn"]})
        svc = sd.create_service(Name="ferry-service", NamespaceId=ns["Id"])["Service"]
        self.add("aws_servicediscovery_services", {**common, "id": svc["Id"], "arn": svc["Arn"]})
        sd.register_instance(ServiceId=svc["Id"], InstanceId=f"ferry-{region}-instance",
                             Attributes={"AWS_INSTANCE_IPV4": "10.0.0.10"})
        self.add("aws_servicediscovery_instances", {**common, "id": f"ferry-{region}-instance"})
        dx = self.client("directconnect", acct, region)
        c = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="ferry-dx")
        self.add("aws_directconnect_connections", {**common, "connection_id": c["connectionId"]})
        lag = dx.create_lag(numberOfConnections=1, location="EqDC2", connectionsBandwidth="1Gbps", lagName="ferry-lag")
        self.add("aws_directconnect_lags", {**common, "lag_id": lag["lagId"]})
        for lc in lag.get("connections", []):   # a LAG's connections are connections too, as in AWS
            self.add("aws_directconnect_connections", {**common, "connection_id": lc["connectionId"]})
        # A DMS replication instance and an EventBridge Scheduler group, both tagged; moto has a
        # "default" schedule group in every region, listed too.
        t = self.tags("dms", 0)
        ri = self.client("dms", acct, region).create_replication_instance(
            ReplicationInstanceIdentifier="ferry-dms", ReplicationInstanceClass="dms.t3.micro",
            Tags=self.kv(t))["ReplicationInstance"]
        self.add("aws_dms_replication_instances", {**common, "arn": ri["ReplicationInstanceArn"], "tags": t})
        t = self.tags("schedule-group", 0)
        sg = self.client("scheduler", acct, region).create_schedule_group(Name="ferry-group", Tags=self.kv(t))
        self.add("aws_scheduler_schedule_groups", {**common, "arn": sg["ScheduleGroupArn"], "tags": t})
        self.add("aws_scheduler_schedule_groups", {**common, "arn": f"arn:aws:scheduler:{region}:{acct}:schedule-group/default",
                                                   "tags": {}, "seeded": False})
        # WAFv2 (regional): an IP set and a regex pattern set, tagged; a Route 53 Resolver rule.
        waf = self.client("wafv2", acct, region)
        t = self.tags("ipset", 0)
        ips = waf.create_ip_set(Name="ferry-ipset", Scope="REGIONAL", IPAddressVersion="IPV4",
                                Addresses=["10.0.0.0/24"], Tags=self.kv(t))["Summary"]
        self.add("aws_wafv2_ipsets", {**common, "arn": ips["ARN"], "addresses": ["10.0.0.0/24"], "tags": t})
        t = self.tags("regex", 0)
        rx = waf.create_regex_pattern_set(Name="ferry-regex", Scope="REGIONAL", RegularExpressionList=[
            {"RegexString": "^/ferry/"}], Tags=self.kv(t))["Summary"]
        self.add("aws_wafv2_regex_pattern_sets", {**common, "arn": rx["ARN"], "tags": t})
        rule = self.client("route53resolver", acct, region).create_resolver_rule(
            CreatorRequestId=f"{self.run}-rule", Name="ferry-rule", RuleType="SYSTEM",
            DomainName=f"{region}.ferry.example")["ResolverRule"]
        self.add("aws_route53resolver_resolver_rules", {**common, "arn": rule["Arn"]})

    def seed_analytics(self, acct, region):
        """SageMaker: a model and an endpoint configuration, tagged. Batch: a job definition, tagged.
        Step Functions: a state machine with an execution. EventBridge Scheduler: a schedule. AWS
        Backup: a report plan. EventBridge: a rule with a target. Cognito: a user pool with an identity
        provider. IoT: a thing and a certificate. DynamoDB Streams: a stream. SES: an email identity. IAM Identity Center: a
        permission set with a managed policy and an account assignment. Resilience Hub: an app (its draft
        version) and a resiliency policy, tagged. Service Catalog: a portfolio, tagged. (No EMR cluster: moto
        starts EC2 instances for its instance groups, which the EC2 checks would count.)"""
        common = {"account_id": acct, "region": region}
        role = f"arn:aws:iam::{acct}:role/ferry-service-role"
        sm = self.client("sagemaker", acct, region)
        t = self.tags("model", 0)
        model = sm.create_model(ModelName="ferry-model", ExecutionRoleArn=role, Tags=self.kv(t),
                                PrimaryContainer={"Image": f"{acct}.dkr.ecr.{region}.amazonaws.com/ferry:1",
                                                  "ModelDataUrl": "s3://ferry-models/model.tar.gz"})["ModelArn"]
        self.add("aws_sagemaker_models", {**common, "arn": model, "tags": t})
        t = self.tags("endpoint-config", 0)
        ec = sm.create_endpoint_config(EndpointConfigName="ferry-endpoint-config", Tags=self.kv(t), ProductionVariants=[
            {"VariantName": "main", "ModelName": "ferry-model", "InitialInstanceCount": 1,
             "InstanceType": "ml.t2.medium"}])["EndpointConfigArn"]
        self.add("aws_sagemaker_endpoint_configurations", {**common, "arn": ec, "tags": t})
        t = self.tags("job-definition", 0)
        jd = self.client("batch", acct, region).register_job_definition(
            jobDefinitionName="ferry-job-definition", type="container", tags=t,
            containerProperties={"image": "busybox", "vcpus": 1, "memory": 128, "command": ["true"]})
        self.add("aws_batch_job_definitions", {**common, "arn": jd["jobDefinitionArn"], "tags": t})
        sfn = self.client("stepfunctions", acct, region)
        machine = sfn.create_state_machine(name="ferry-machine", roleArn=role, definition=json.dumps(
            {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
        ex = sfn.start_execution(stateMachineArn=machine, name="ferry-execution")["executionArn"]
        self.add("aws_stepfunctions_executions", {**common, "arn": ex, "state_machine_arn": machine})
        # EventBridge Scheduler: a schedule in the default group. AWS Backup: a report plan.
        sch = self.client("scheduler", acct, region).create_schedule(
            Name="ferry-schedule", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": f"arn:aws:sqs:{region}:{acct}:ferry-target", "RoleArn": role})["ScheduleArn"]
        self.add("aws_scheduler_schedules", {**common, "arn": sch})
        plan = self.client("backup", acct, region).create_report_plan(
            ReportPlanName="ferry_report_plan", ReportDeliveryChannel={"S3BucketName": "ferry-reports"},
            ReportSetting={"ReportTemplate": "BACKUP_JOB_REPORT"})["ReportPlanArn"]
        self.add("aws_backup_report_plans", {**common, "arn": plan})
        # EventBridge: a tagged rule on the default bus with an SQS target. Cognito: a user pool with
        # a SAML identity provider. IoT: a thing. DynamoDB Streams: a stream on the first seeded table.
        ev = self.client("events", acct, region)
        t = self.tags("rule", 0)
        rule = ev.put_rule(Name="ferry-rule", ScheduleExpression="rate(1 hour)", Tags=self.kv(t))["RuleArn"]
        bus = f"arn:aws:events:{region}:{acct}:event-bus/default"
        self.add("aws_eventbridge_event_bus_rules", {**common, "arn": rule, "event_bus_arn": bus, "tags": t})
        ev.put_targets(Rule="ferry-rule", Targets=[{"Id": "ferry-target", "Arn": f"arn:aws:sqs:{region}:{acct}:ferry-target"}])
        self.add("aws_eventbridge_event_bus_targets", {**common, "id": "ferry-target", "rule_arn": rule})
        idp = self.client("cognito-idp", acct, region)
        pool = idp.create_user_pool(PoolName="ferry-pool")["UserPool"]
        idp.create_identity_provider(UserPoolId=pool["Id"], ProviderName="ferry-saml", ProviderType="SAML",
                                     ProviderDetails={"MetadataURL": "https://idp.ferry.example/metadata"})
        self.add("aws_cognito_user_pool_identity_providers", {**common, "provider_name": "ferry-saml",
                                                              "user_pool_arn": pool["Arn"]})
        iot = self.client("iot", acct, region)
        thing = iot.create_thing(thingName="ferry-thing")["thingArn"]
        self.add("aws_iot_things", {**common, "arn": thing})
        # An IoT certificate (the key pair moto makes stays here). No policy is attached: moto 5.2.6
        # answers ListTagsForResource of an IoT policy with a 500, which aws_iot_policies would warn of.
        cert = iot.create_keys_and_certificate(setAsActive=True)
        self.add("aws_iot_certificates", {**common, "arn": cert["certificateArn"], "id": cert["certificateId"]})
        ddb = self.client("dynamodb", acct, region)
        tables = ddb.list_tables()["TableNames"]
        if tables:
            d = ddb.update_table(TableName=tables[0], StreamSpecification={
                "StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]
            self.add("aws_dynamodbstreams_streams", {**common, "arn": d["LatestStreamArn"]})
        # App Mesh: a tagged mesh with a virtual node and a virtual router.
        am = self.client("appmesh", acct, region)
        t = self.tags("mesh", 0)
        mesh = am.create_mesh(meshName="ferry-mesh", tags=self.kv(t, "key", "value"))["mesh"]["metadata"]["arn"]
        self.add("aws_appmesh_meshes", {**common, "arn": mesh, "tags": t})
        node = am.create_virtual_node(meshName="ferry-mesh", virtualNodeName="ferry-node", spec={
            "listeners": [{"portMapping": {"port": 80, "protocol": "http"}}]})["virtualNode"]["metadata"]["arn"]
        self.add("aws_appmesh_virtual_nodes", {**common, "arn": node, "mesh_arn": mesh})
        router = am.create_virtual_router(meshName="ferry-mesh", virtualRouterName="ferry-router", spec={
            "listeners": [{"portMapping": {"port": 80, "protocol": "http"}}]})["virtualRouter"]["metadata"]["arn"]
        self.add("aws_appmesh_virtual_routers", {**common, "arn": router, "mesh_arn": mesh})
        # SES: an email identity (its name and sending flag come from the listing, the rest from
        # GetEmailIdentity). IAM Identity Center: a permission set with an AWS managed policy, assigned
        # to a user in the account.
        email = f"ferry-{region}@ferry.example"
        self.client("sesv2", acct, region).create_email_identity(EmailIdentity=email)
        self.add("aws_ses_identities", {**common, "arn": f"arn:aws:ses:{region}:{acct}:identity/{email}",
                                        "identity_name": email})
        sso = self.client("sso-admin", acct, region)
        instance = sso.list_instances()["Instances"][0]["InstanceArn"]
        ps = sso.create_permission_set(Name="ferry-permission-set", InstanceArn=instance)["PermissionSet"]
        ps_arn = ps["PermissionSetArn"]
        self.add("aws_ssoadmin_permission_sets", {**common, "permission_set_arn": ps_arn, "instance_arn": instance})
        sso.attach_managed_policy_to_permission_set(InstanceArn=instance, PermissionSetArn=ps_arn,
                                                    ManagedPolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        self.add("aws_ssoadmin_permission_set_managed_policies", {
            **common, "permission_set_arn": ps_arn, "arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
        sso.create_account_assignment(InstanceArn=instance, TargetId=acct, TargetType="AWS_ACCOUNT",
                                      PermissionSetArn=ps_arn, PrincipalType="USER", PrincipalId="ferry-user")
        sso.provision_permission_set(InstanceArn=instance, PermissionSetArn=ps_arn, TargetType="AWS_ACCOUNT",
                                     TargetId=acct)
        self.add("aws_ssoadmin_permission_set_account_assignments", {
            **common, "permission_set_arn": ps_arn, "principal_id": "ferry-user"})
        # Resilience Hub: an app (moto lists its "draft" version; no version is published, as moto 5.2.6
        # names a published one "draft" too) and a resiliency policy, both tagged.
        rh = self.client("resiliencehub", acct, region)
        t = self.tags("resilience-app", 0)
        app = rh.create_app(name="ferry-app", tags=t)["app"]["appArn"]
        self.add("aws_resiliencehub_apps", {**common, "arn": app, "tags": t})
        self.add("aws_resiliencehub_app_versions", {**common, "app_arn": app, "app_version": "draft"})
        t = self.tags("resiliency-policy", 0)
        rto = {"rpoInSecs": 3600, "rtoInSecs": 3600}
        pol = rh.create_resiliency_policy(policyName="ferry-policy", tier="NonCritical", tags=t,
                                          policy={"Software": rto, "Hardware": rto, "AZ": rto})["policy"]["policyArn"]
        self.add("aws_resiliencehub_resiliency_policies", {**common, "arn": pol, "tags": t})
        # Service Catalog: a portfolio, tagged.
        t = self.tags("portfolio", 0)
        pf = self.client("servicecatalog", acct, region).create_portfolio(
            DisplayName="ferry-portfolio", ProviderName="ferry", Tags=self.kv(t),
            IdempotencyToken=f"{self.run}-{acct}-{region}")["PortfolioDetail"]
        self.add("aws_servicecatalog_portfolios", {**common, "arn": pf["ARN"], "id": pf["Id"], "tags": t})
        # Identity Store: a user in a group, in the identity store of the instance (moto answers
        # no UserArn, GroupArn or MembershipArn; the arn columns are AWS's documented form).
        store = sso.list_instances()["Instances"][0]["IdentityStoreId"]
        ids = self.client("identitystore", acct, region)
        user = ids.create_user(IdentityStoreId=store, UserName=f"ferry-user-{region}", DisplayName="Ferry User",
                               Name={"GivenName": "Ferry", "FamilyName": "User"})["UserId"]
        group = ids.create_group(IdentityStoreId=store, DisplayName="ferry-group")["GroupId"]
        membership = ids.create_group_membership(IdentityStoreId=store, GroupId=group,
                                                 MemberId={"UserId": user})["MembershipId"]
        self.add("aws_identitystore_users", {**common, "user_id": user, "identity_store_id": store})
        self.add("aws_identitystore_groups", {**common, "group_id": group, "identity_store_id": store})
        self.add("aws_identitystore_group_memberships", {**common, "membership_id": membership,
                                                         "member_id": user})

    def seed_eks(self, acct, region, n, networks, role_arn):
        eks = self.client("eks", acct, region)
        for i in range(n):
            t = self.tags("eks", i)
            cl = eks.create_cluster(name=f"ferry-eks-{i}", roleArn=role_arn, tags=t,
                                    resourcesVpcConfig={"subnetIds": networks[i % len(networks)]["subnets"]})["cluster"]
            self.add("aws_eks_clusters", {"account_id": acct, "region": region, "name": cl["name"], "arn": cl["arn"],
                                          "tags": t})

    def seed_account_globals(self, acct, n):
        # The account's security alternate contact (AWS Account Management).
        self.client("account", acct).put_alternate_contact(
            AlternateContactType="SECURITY", Name=f"ferry-security-{acct}", Title="security",
            EmailAddress=f"security@{acct}.example.com", PhoneNumber="+1-555-0100")
        self.add("aws_account_alternate_contacts", {"account_id": acct, "region": None,
                                                    "alternate_contact_type": "SECURITY",
                                                    "name": f"ferry-security-{acct}"})
        r53 = self.client("route53", acct)
        for i in range(n):
            t = self.tags("zone", i)
            name = f"ferry{i}.{acct}.example.com."
            z = r53.create_hosted_zone(Name=name, CallerReference=f"{self.run}-{acct}-{i}")["HostedZone"]
            zid = z["Id"].split("/")[-1]
            r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zid, AddTags=self.kv(t))
            self.add("aws_route53_hosted_zones", {"account_id": acct, "region": None, "id": zid, "name": name,
                                                  "arn": f"arn:aws:route53:::hostedzone/{zid}", "tags": t})
            if i == 0 and self.args.record_sets > 0:
                self.seed_record_sets(r53, acct, zid, name, self.args.record_sets)
            if i == 0:   # a Shield Advanced protection of the first zone, tagged (Shield is in us-east-1)
                sh = self.client("shield", acct, "us-east-1")
                t = self.tags("protection", 0)
                pid = sh.create_protection(Name="ferry-protection", ResourceArn=f"arn:aws:route53:::hostedzone/{zid}",
                                           Tags=self.kv(t))["ProtectionId"]
                parn = sh.describe_protection(ProtectionId=pid)["Protection"]["ProtectionArn"]
                self.add("aws_shield_protections", {"account_id": acct, "region": None, "arn": parn, "tags": t})
        if self.args.record_sets > 0:
            ds = r53.create_reusable_delegation_set(CallerReference=f"{self.run}-{acct}-ds")["DelegationSet"]
            dsid = ds["Id"].split("/")[-1]
            self.add("aws_route53_delegation_sets", {"account_id": acct, "region": None, "id": ds["Id"],
                                                     "arn": f"arn:aws:route53:::delegationset/{dsid}",
                                                     "name_servers": ds["NameServers"], "tags": {}})
        # an AWS Support case per account (Support's API is in us-east-1 only)
        case = self.client("support", acct, "us-east-1").create_case(
            subject="ferry case", communicationBody="ferry", serviceCode="general-info", severityCode="low",
            categoryCode="using-aws")["caseId"]
        self.add("aws_support_cases", {"account_id": acct, "region": "us-east-1", "case_id": case})
        # one multi-region trail per account, logging into a bucket of that account
        s3 = self.client("s3", acct, self.home)
        bucket = f"ferry-trail-{acct}"
        kw = {} if self.home == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": self.home}}
        s3.create_bucket(Bucket=bucket, **kw)
        self.add("aws_s3_buckets", {"account_id": acct, "region": self.home, "name": bucket,
                                    "arn": f"arn:aws:s3:::{bucket}", "tags": {}, "purpose": "cloudtrail"})
        self.seed_s3_control(acct, bucket)
        ct = self.client("cloudtrail", acct, self.home)
        t = self.tags("trail", 0)
        tr = ct.create_trail(Name="ferry-trail", S3BucketName=bucket, IsMultiRegionTrail=True,
                             TagsList=self.kv(t))
        ct.start_logging(Name="ferry-trail")
        self.add("aws_cloudtrail_trails", {"account_id": acct, "region": self.home, "name": tr["Name"],
                                           "arn": tr["TrailARN"], "is_multi_region_trail": True, "tags": t})

    def seed_s3_control(self, acct, bucket):
        """An access point on the account's trail bucket; the account's public
        access block in the management account only (the members have none:
        GetPublicAccessBlock answers NoSuchPublicAccessBlockConfiguration).
        boto3 puts the account id in front of the host even with a custom
        endpoint ({AccountId}.127.0.0.1), so the prefix is taken off again;
        moto reads the account from x-amz-account-id. moto keeps access points
        per account, not per region: ListAccessPoints shows them in every region
        (ARN region us-east-1)."""
        s3c = self.client("s3control", acct, self.home)
        host = urllib.parse.urlsplit(self.endpoint).netloc

        def strip_account(request, **_):
            request.url = request.url.replace(f"//{acct}.{host}", f"//{host}", 1)
        s3c.meta.events.register("before-send.s3-control", strip_account)
        ap = s3c.create_access_point(AccountId=acct, Name=f"ferry-ap-{acct}", Bucket=bucket)
        self.add("aws_s3_access_points", {"account_id": acct, "region": None, "name": f"ferry-ap-{acct}",
                                          "arn": ap["AccessPointArn"], "bucket": bucket})
        if acct == self.accounts[0]["id"]:
            cfg = {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
                   "RestrictPublicBuckets": False}
            s3c.put_public_access_block(AccountId=acct, PublicAccessBlockConfiguration=cfg)
            self.add("aws_s3_accounts", {"account_id": acct, "region": None, **{
                k: cfg[v] for k, v in (("block_public_acls", "BlockPublicAcls"), ("ignore_public_acls", "IgnorePublicAcls"),
                                       ("block_public_policy", "BlockPublicPolicy"),
                                       ("restrict_public_buckets", "RestrictPublicBuckets"))}})

    def seed_record_sets(self, r53, acct, zid, zone_name, n):
        """n A records (r0000.<zone>, ...) and a weighted pair (same name and type, two set
        identifiers) in one zone, so ListResourceRecordSets (300 a page at most) pages by its
        tokens; then every record set of the zone, as boto3 pages them, the ones moto made
        itself (NS, SOA) with "seeded": false."""
        zone_arn = f"arn:aws:route53:::hostedzone/{zid}"
        changes = [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": f"r{k:04d}.{zone_name}", "Type": "A", "TTL": 60 + k,
            "ResourceRecords": [{"Value": f"10.{k // 65536 % 256}.{k // 256 % 256}.{k % 256}"}]}} for k in range(n)]
        changes += [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": f"weighted.{zone_name}", "Type": "CNAME", "SetIdentifier": f"w{k}", "Weight": 10 * (k + 1),
            "TTL": 300, "ResourceRecords": [{"Value": f"target{k}.example.net"}]}} for k in range(2)]
        for at in range(0, len(changes), 1000):   # at most 1,000 changes a batch
            r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": changes[at:at + 1000]})
        mine = {(c["ResourceRecordSet"]["Name"], c["ResourceRecordSet"]["Type"],
                 c["ResourceRecordSet"].get("SetIdentifier")) for c in changes}
        for page in r53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zid):
            for rr in page["ResourceRecordSets"]:
                key = (rr["Name"], rr["Type"], rr.get("SetIdentifier"))
                row = {"account_id": acct, "region": None, "hosted_zone_arn": zone_arn, "name": rr["Name"],
                       "type": rr["Type"], "set_identifier": rr.get("SetIdentifier"), "ttl": rr.get("TTL"),
                       "weight": rr.get("Weight"), "seeded": key in mine}
                self.add("aws_route53_hosted_zone_resource_record_sets", row)

    # ---- by-products moto makes without being asked (default VPCs, root volumes, ...)

    def list_ec2_defaults(self, acct, region):
        ec2 = self.client("ec2", acct, region)

        def tagmap(x):
            return {t["Key"]: t["Value"] for t in x.get("Tags", [])}

        def pages(op, key, **kw):
            tok = None
            while True:
                r = getattr(ec2, op)(**kw, **({"NextToken": tok} if tok else {}))
                yield from r[key]
                tok = r.get("NextToken")
                if not tok:
                    return

        spec = [("aws_ec2_vpcs", "describe_vpcs", "Vpcs", "VpcId", "vpc_id"),
                ("aws_ec2_subnets", "describe_subnets", "Subnets", "SubnetId", "subnet_id"),
                ("aws_ec2_security_groups", "describe_security_groups", "SecurityGroups", "GroupId", "group_id"),
                ("aws_ec2_route_tables", "describe_route_tables", "RouteTables", "RouteTableId", "route_table_id"),
                ("aws_ec2_internet_gateways", "describe_internet_gateways", "InternetGateways", "InternetGatewayId",
                 "internet_gateway_id"),
                ("aws_ec2_network_acls", "describe_network_acls", "NetworkAcls", "NetworkAclId", "network_acl_id"),
                ("aws_ec2_network_interfaces", "describe_network_interfaces", "NetworkInterfaces",
                 "NetworkInterfaceId", "network_interface_id"),
                ("aws_ec2_ebs_volumes", "describe_volumes", "Volumes", "VolumeId", "volume_id")]
        with self.lock:
            seen = {(tb, r.get(col)) for tb, _, _, _, col in spec for r in self.tables.get(tb, [])
                    if r["account_id"] == acct and r["region"] == region}
        # moto ignores DescribeSnapshots' OwnerIds (even "self") and serves the ~1,360
        # snapshots behind its default AMIs (owners such as 801119661308) to every account; KMS has
        # AWS-managed aliases (alias/aws/*) nobody created. Counted, not listed.
        snaps = [x for x in pages("describe_snapshots", "Snapshots", OwnerIds=["self"]) if x["OwnerId"] != acct]
        kms_aliases = [a for a in self.client("kms", acct, region).list_aliases()["Aliases"]
                       if a["AliasName"].startswith("alias/aws/")]
        with self.lock:
            self.also_served.append({"table": "aws_ec2_ebs_snapshots", "account_id": acct, "region": region,
                                     "count": len(snaps), "owner_ids": sorted({x["OwnerId"] for x in snaps}),
                                     "why": "snapshots of moto's default AMIs (Amazon, Canonical, ... owners); DescribeSnapshots ignores OwnerIds"})
            self.also_served.append({"table": "aws_kms_aliases", "account_id": acct, "region": region,
                                     "count": len(kms_aliases), "why": "AWS-managed aliases alias/aws/*"})
        for table, op, key, idf, col in spec:
            for x in pages(op, key):
                if (table, x[idf]) not in seen:
                    row = {"account_id": acct, "region": region, col: x[idf], "tags": tagmap(x), "seeded": False}
                    if "VpcId" in x and col != "vpc_id":
                        row["vpc_id"] = x["VpcId"]
                    if x.get("IsDefault") is not None:
                        row["is_default"] = x["IsDefault"]
                    self.add(table, row)

    # ---- driver

    def seed(self):
        t0 = time.monotonic()
        a = self.args
        self.seed_organization()
        accts = [x["id"] for x in self.accounts]
        na, nr = len(accts), len(self.regions)

        def share(total, k, parts):
            return total // parts + (1 if k < total % parts else 0)

        # IAM first: Lambda and EKS need a role in their account.
        self.parallel(self.seed_iam_account, [
            (acct, share(a.users, k, na), share(a.roles, k, na), a.groups, a.policies)
            for k, acct in enumerate(accts)])
        svc_roles = {}
        for acct in accts:
            r = self.client("iam", acct).create_role(RoleName="ferry-service-role",
                                                     AssumeRolePolicyDocument=ASSUME_ROLE_POLICY)["Role"]
            svc_roles[acct] = r["Arn"]
            self.add("aws_iam_roles", {"account_id": acct, "region": None, "role_name": "ferry-service-role",
                                       "arn": r["Arn"], "id": r["RoleId"], "tags": {}, "inline_policies": [],
                                       "attached_policies": []})
        self.parallel(self.seed_account_globals, [(acct, a.per_region) for acct in accts])

        networks = {}

        def net(acct, region):
            networks[(acct, region)] = self.seed_network(acct, region, max(1, a.per_region))

        cells = [(acct, region) for acct in accts for region in self.regions]
        self.parallel(net, cells)
        # instances: split over the cells, each cell's share in its own task chunks of ~50
        tasks = []
        for k, (acct, region) in enumerate(cells):
            n = share(a.instances, k, len(cells))
            while n > 0:
                m = min(n, 50)
                tasks.append((acct, region, m, networks[(acct, region)]))
                n -= m
        self.parallel(self.seed_instances, tasks)
        self.parallel(self.seed_bucket, [
            (accts[i % na], self.regions[(i // na) % nr], i) for i in range(a.buckets)])
        self.parallel(self.seed_regional, [(acct, region, a.per_region, svc_roles[acct]) for acct, region in cells])
        self.parallel(self.seed_load_balancers, [(acct, region, a.per_region, networks[(acct, region)])
                                                 for acct, region in cells])
        self.parallel(self.seed_api_gateways, cells)
        self.parallel(self.seed_glue_and_cloud_map, cells)
        self.parallel(self.seed_analytics, cells)
        if a.eks:
            self.parallel(self.seed_eks, [(acct, region, a.per_region, networks[(acct, region)], svc_roles[acct])
                                          for acct, region in cells])
        self.parallel(self.list_ec2_defaults, cells)
        return time.monotonic() - t0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--endpoint", default=os.environ.get("FERRY_MOTO_URL"),
                   help="moto's URL (default $FERRY_MOTO_URL)")
    p.add_argument("--out", required=True, help="where to write the JSON expectation")
    p.add_argument("--accounts", type=int, default=3, help="accounts: 1 management + N-1 members (default 3)")
    p.add_argument("--regions", default="us-east-1,eu-west-1,us-west-2",
                   help="comma-separated; the first is the home region (default us-east-1,eu-west-1,us-west-2)")
    p.add_argument("--instances", type=int, default=60, help="EC2 instances in all (default 60)")
    p.add_argument("--users", type=int, default=12, help="IAM users in all (default 12)")
    p.add_argument("--roles", type=int, default=6, help="IAM roles in all, besides the service roles (default 6)")
    p.add_argument("--groups", type=int, default=2, help="IAM groups per account (default 2)")
    p.add_argument("--policies", type=int, default=3, help="customer managed IAM policies per account (default 3)")
    p.add_argument("--buckets", type=int, default=9, help="S3 buckets in all, besides the trail buckets (default 9)")
    p.add_argument("--per-region", type=int, default=1,
                   help="of every other resource kind per account x region (per account: Route53 zones) (default 1)")
    p.add_argument("--no-eks", dest="eks", action="store_false", help="skip EKS clusters")
    p.add_argument("--record-sets", type=int, default=0,
                   help="Route 53 A records in each account's first zone (with a weighted pair), and a "
                        "reusable delegation set per account; 0: none (default 0)")
    p.add_argument("--jobs", type=int, default=4, help="concurrent API callers (default 4)")
    p.add_argument("--run-id", default="ferry", help="value of the ferry-seed tag (default ferry)")
    p.add_argument("--random-seed", type=int, default=1, help="for the RunInstances batch sizes (default 1)")
    args = p.parse_args()
    if not args.endpoint:
        p.error("no --endpoint and no FERRY_MOTO_URL")
    args.regions = [r for r in args.regions.split(",") if r]
    if args.accounts < 1 or not args.regions:
        p.error("need at least one account and one region")

    s = Seeder(args)
    try:
        secs = s.seed()
    except Exception as e:  # the AWS error as moto answered it, then exit 1
        print(f"seed_moto: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    try:
        import moto
        version = moto.__version__
    except ImportError:
        version = None
    tables = {k: sorted(v, key=lambda r: json.dumps(r, sort_keys=True)) for k, v in sorted(s.tables.items())}
    doc = {"moto_version": version, "endpoint": s.endpoint, "run_id": args.run_id,
           "accounts": s.accounts, "regions": args.regions, "organization": s.organization,
           "tables": tables,
           "also_served": sorted(s.also_served, key=lambda r: (r["table"], r["account_id"], r["region"])),
           "counts": {k: {"seeded": sum(1 for r in v if r.get("seeded", True)),
                          "total": len(v)} for k, v in tables.items()},
           "seconds": round(secs, 2)}
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")
    os.replace(tmp, args.out)
    print(f"seed_moto: {sum(len(v) for v in tables.values())} rows in {len(tables)} tables, "
          f"{len(s.accounts)} accounts x {len(args.regions)} regions, {secs:.1f} s -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
