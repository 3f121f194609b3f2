#!/usr/bin/env python3
"""Prepares a moto server for the credential endpoint's tests (issue 15) and prints what it made.

moto runs with INITIAL_NO_AUTH_ACTION_COUNT=6: these six unauthenticated calls set it up, and
from then on moto checks every request's SigV4 signature (recomputed with botocore over the
headers the request says it signed) and the caller's IAM policies and the role's trust policy.

Made: IAM user "oh-gateway" with an access key and an inline policy allowing sts:AssumeRole of
the two roles; role "oh-instance" (what the fake IMDS serves as the instance role), trusting the
user and allowed to assume oh-bedrock; role "oh-bedrock" (what sandboxes get), trusting both.

Usage: moto_iam_setup.py ENDPOINT   -> one JSON line on stdout
"""
import json
import sys

import boto3

ACCOUNT = "123456789012"  # moto's default account


def main():
    endpoint = sys.argv[1]
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="setup", aws_secret_access_key="setup")
    user = iam.create_user(UserName="oh-gateway")["User"]
    key = iam.create_access_key(UserName="oh-gateway")["AccessKey"]
    roles = [f"arn:aws:iam::{ACCOUNT}:role/oh-bedrock", f"arn:aws:iam::{ACCOUNT}:role/oh-instance"]
    iam.put_user_policy(UserName="oh-gateway", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": roles}],
    }))
    def trusting(*principals):
        return json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}],
        })
    iam.create_role(RoleName="oh-instance", AssumeRolePolicyDocument=trusting(user["Arn"]))
    iam.put_role_policy(RoleName="oh-instance", PolicyName="assume-bedrock", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": roles[0]}],
    }))
    # The instance role's session by name too: moto matches a trust principal against the caller's
    # assumed-role ARN literally, where AWS would also accept the role's ARN (fake_imds.py's session).
    instance_session = f"arn:aws:sts::{ACCOUNT}:assumed-role/oh-instance/i-0123456789abcdef0"
    iam.create_role(RoleName="oh-bedrock", AssumeRolePolicyDocument=trusting(user["Arn"], roles[1], instance_session))
    print(json.dumps({
        "access_key_id": key["AccessKeyId"],
        "secret_access_key": key["SecretAccessKey"],
        "bedrock_role_arn": roles[0],
        "instance_role_arn": roles[1],
        "user_arn": user["Arn"],
    }))


if __name__ == "__main__":
    main()
