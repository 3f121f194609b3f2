#!/usr/bin/env python3
"""A stand-in for EC2's instance metadata service (IMDSv2) on loopback, for the gateway's own
credentials (issue 15). It serves what IMDS serves at the paths the gateway reads, with IMDSv2's
rules: PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds gives a token; every GET
needs it in X-aws-ec2-metadata-token (401 otherwise). The role's credentials are real session
credentials from moto's STS (AssumeRole of the instance role), so moto checks the signature the
gateway makes with them, session token included.

IMDS documents these paths and fields in the EC2 User Guide, "Retrieve security credentials
from instance metadata" (Code, LastUpdated, Type, AccessKeyId, SecretAccessKey, Token, Expiration).

Usage: fake_imds.py PORT MOTO_ENDPOINT ACCESS_KEY_ID SECRET ROLE_ARN   (prints "ready" when serving)
"""
import http.server
import json
import sys

import boto3

TOKEN = "imds-session-token-1"
ROLE = "oh-instance"


def main():
    port, endpoint, key_id, secret, role_arn = sys.argv[1:6]
    sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id=key_id, aws_secret_access_key=secret)
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="i-0123456789abcdef0")["Credentials"]
    document = json.dumps({
        "Code": "Success",
        "LastUpdated": "2026-12-07T10:00:00Z",
        "Type": "AWS-HMAC",
        "AccessKeyId": credentials["AccessKeyId"],
        "SecretAccessKey": credentials["SecretAccessKey"],
        "Token": credentials["SessionToken"],
        "Expiration": credentials["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    })
    served = {"token": 0, "credentials": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def reply(self, status, body=""):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self):
            if self.path != "/latest/api/token" or not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.reply(400)
            served["token"] += 1
            self.reply(200, TOKEN)

        def do_GET(self):
            if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
                return self.reply(401)
            if self.path == "/latest/meta-data/iam/security-credentials/":
                return self.reply(200, ROLE)
            if self.path == "/latest/meta-data/iam/security-credentials/" + ROLE:
                served["credentials"] += 1
                return self.reply(200, document)
            if self.path == "/served":
                return self.reply(200, json.dumps(served))
            self.reply(404)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", int(port)), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
