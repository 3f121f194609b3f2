"""Run inside the test container with Debian's python3-botocore: botocore's default credential
chain, given only AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN,
fetches credentials from our endpoint (credentials.py ContainerProvider), then signs STS
GetCallerIdentity with them against moto, which checks the signature and names the caller.
Prints one JSON line: the provider's method, the key id, and the caller's ARN (or the error)."""
import json
import os
import sys

import botocore.session

session = botocore.session.get_session()
try:
    credentials = session.get_credentials()
    if credentials is None:
        print(json.dumps({"error": "no credentials"}))
        sys.exit(0)
    frozen = credentials.get_frozen_credentials()
    sts = session.create_client("sts", region_name="us-east-1", endpoint_url=os.environ["OH_TEST_STS_ENDPOINT"])
    identity = sts.get_caller_identity()
    print(json.dumps({"method": credentials.method, "access_key_id": frozen.access_key, "arn": identity["Arn"]}))
except Exception as error:  # the test reads the kind of failure
    print(json.dumps({"error": type(error).__name__, "message": str(error)[:300]}))
