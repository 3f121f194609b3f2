#!/usr/bin/env python3
"""Signs in through the test provider without a browser (for integration tests).

Starts at a URL (the gateway's protected page, or the provider's /auth URL), follows every
redirect with one cookie jar, and fills oidc-provider's development login and consent forms
with a login name. Stops at the first response that is not a redirect and not a provider form,
or (with --stop-at PREFIX) at the first redirect to a URL starting with PREFIX, without
following it. Prints one JSON line: final url, status, and the cookie jar.

  python3 tests/support/oidc/headless_login.py --start http://127.0.0.1:18080/ \
      --issuer http://127.0.0.1:41234 --login alice [--ca ca.pem] [--stop-at https://oh.test/_callback]
"""
import argparse
import json
import re
import sys
from urllib.parse import urljoin

import requests


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--start", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--login", default="alice")
    parser.add_argument("--stop-at", default=None)
    parser.add_argument("--max-steps", type=int, default=20)
    parser.add_argument("--ca", default=None, help="PEM file of the CA that signed the provider's certificate")
    args = parser.parse_args()

    session = requests.Session()
    # Per request: a session-level verify loses to $REQUESTS_CA_BUNDLE / $CURL_CA_BUNDLE.
    verify = args.ca if args.ca else True
    url, method, data = args.start, "GET", None
    for _ in range(args.max_steps):
        response = session.request(method, url, data=data, allow_redirects=False, timeout=10, verify=verify)
        method, data = "GET", None
        if response.status_code in (301, 302, 303, 307, 308):
            target = urljoin(url, response.headers["location"])
            if args.stop_at and target.startswith(args.stop_at):
                url = target
                break
            url = target
            continue
        form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', response.text or "")
        if url.startswith(args.issuer) and form:
            fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text))
            fields.update({"login": args.login, "password": "unused"})
            url, method, data = urljoin(url, form.group(1)), "POST", fields
            continue
        print(json.dumps({"url": url, "status": response.status_code, "cookies": session.cookies.get_dict()}))
        return 0
    print(json.dumps({"url": url, "status": None, "cookies": session.cookies.get_dict()}))
    return 0 if args.stop_at else 1


if __name__ == "__main__":
    sys.exit(main())
