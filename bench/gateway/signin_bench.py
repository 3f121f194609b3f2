#!/usr/bin/env python3
"""What checking the session costs: signed-in requests against plain proxying, in the same run.

oh-gateway processes in front of the same nginx upstream (a static 1 KB file):
  none    auth.provider = "none": plain proxying,
  local   auth.provider = "local": a users file made with `oh-gateway users add`, one sign-in
          through the login form (POST /_gateway/login with the CSRF cookie and field),
  oidc    auth.provider = "oidc" against the local OpenID Provider (tests/support/oidc,
          configured like Cognito; needs node_modules), one sign-in through its login form
          (tests/support/oidc/headless_login.py); this session cookie carries a refresh token.
Every request then carries that gateway's oh_session cookie; the "none" gateway gets the largest
of them, so plain proxying parses at least as many header bytes. The runs are interleaved
(`--rounds`, median reported). Printed: req/s, the ratio signed-in/none (issue 4 asks for
>= 0.90), the overhead per request in microseconds, from throughput (1/rps_signed - 1/rps_none,
machine-wide) and from the gateway's own CPU time per request (utime+stime from /proc/PID/stat),
and p50/p99.

Everything started here is stopped by PID. A measurement, not a test: it asserts nothing beyond
checking that the signed-in requests really reach the upstream (not the login page).

  bench/gateway/signin_bench.py --gateway build/release/src/gateway/oh-gateway
"""

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(HERE))
import common as bench  # noqa: E402  (bench/common.py: shared with the other benchmarks)

USER = "bench"
PASSWORD = "bench-password-123"
BODY_PATH = "1k.bin"


# ---------------------------------------------------------------------------------------
# minimal HTTP/1.1 over a socket: the bench needs the raw Set-Cookie lines and no redirects


def http_exchange(port, method, target, headers=(), body=b""):
    import socket

    lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(request)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    status = int(head_lines[0].split(" ", 2)[1])
    fields = []
    for line in head_lines[1:]:
        name, _, value = line.partition(":")
        fields.append((name.strip().lower(), value.strip()))
    return status, fields, rest


def set_cookies(fields):
    """name -> value of every Set-Cookie line."""
    found = {}
    for name, value in fields:
        if name == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            found[key.strip()] = val.strip()
    return found


def sign_in_local(port, user=USER, password=PASSWORD):
    """The oh_session cookie value, obtained through the login form."""
    status, fields, body = http_exchange(port, "GET", "/_gateway/login?rd=%2F")
    if status != 200:
        raise RuntimeError(f"GET /_gateway/login: status {status}")
    csrf_cookie = set_cookies(fields).get("oh_login_csrf")
    match = re.search(rb'name="csrf" value="([^"]*)"', body)
    if not csrf_cookie or not match:
        raise RuntimeError("login page without the CSRF cookie or field")
    form = urllib.parse.urlencode(
        {"username": user, "password": password, "rd": "/", "csrf": html.unescape(match.group(1).decode())}
    ).encode()
    status, fields, body = http_exchange(
        port, "POST", "/_gateway/login",
        headers=[("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", f"oh_login_csrf={csrf_cookie}")],
        body=form,
    )
    session = set_cookies(fields).get("oh_session")
    if status != 302 or not session:
        raise RuntimeError(f"POST /_gateway/login: status {status}, no oh_session cookie: {body[:200]!r}")
    return session


def sign_in_oidc(start, issuer):
    """Follows the code flow like a browser (one cookie jar, Accept: text/html so the gateway
    redirects instead of answering 401) and fills oidc-provider's login and consent forms;
    returns the gateway's oh_session cookie. (tests/support/oidc/headless_login.py does the same
    but sends Accept: */*, which the gateway rightly treats as an API call.)"""
    import requests

    jar = requests.Session()
    jar.headers["Accept"] = "text/html"
    url, method, data = start, "GET", None
    for _ in range(20):
        response = jar.request(method, url, data=data, allow_redirects=False, timeout=30)
        method, data = "GET", None
        if response.status_code in (301, 302, 303, 307, 308):
            url = urllib.parse.urljoin(url, response.headers["location"])
            continue
        form = re.search(r'<form[^>]*action="([^"]+)"[^>]*method="post"', response.text or "")
        if url.startswith(issuer) and form:
            fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text))
            fields.update({"login": USER, "password": "unused"})
            url, method, data = urllib.parse.urljoin(url, form.group(1)), "POST", fields
            continue
        break
    session = jar.cookies.get("oh_session")
    if not session:
        raise RuntimeError(f"oidc sign-in ended at {url} ({response.status_code}) without an oh_session cookie")
    return session


def start_oidc(args, work, up_port, started):
    """The provider, an oidc gateway and its session cookie; None when node_modules is missing."""
    if not os.path.isdir(os.path.join(ROOT, "node_modules", "oidc-provider")):
        print("# oidc skipped: node_modules/oidc-provider missing (npm ci)")
        return None
    port = bench.free_port()  # the provider must know the callback URL before the gateway runs
    provider = bench.Proc("oidc-provider", [
        "node", os.path.join(ROOT, "tests/support/oidc/provider.mjs"), "--port", "0",
        "--redirect-uri", f"http://127.0.0.1:{port}/_callback",
        # Tokens outlive the run: renewals are not what this measures.
        "--id-token-ttl", "7200", "--refresh-token-ttl", "14400",
    ], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    started.append(provider)
    info = json.loads(provider.popen.stdout.readline())
    provider.helpers.append(bench.Proc("oidc-provider-stdout", ["cat"], stdin=provider.popen.stdout, stdout=subprocess.DEVNULL))
    secret_path = f"{work}/client-secret"
    with open(os.open(secret_path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(info["client_secret"])
    auth = (f'[auth]\nprovider = "oidc"\nclient_id = "{info["client_id"]}"\nclient_secret_file = "{secret_path}"\n'
            f'callback_hosts = ["127.0.0.1:{port}"]\ncookie_key_file = "{work}/cookie.key"\ncookie_secure = false\n'
            f'\n[auth.oidc]\nissuer = "{info["issuer"]}"\nrequire_token_use_id = true\n')
    gateway = bench.start_gateway(args.gateway, work, "gateway-oidc", f"http://127.0.0.1:{up_port}", args.gateway_threads,
                                  auth_config=auth, listen_port=port)
    started.append(gateway)
    session = sign_in_oidc(f"http://127.0.0.1:{port}/", info["issuer"])
    return gateway, f"oh_session={session}"


def check_reaches_upstream(port, cookie, expected):
    status, _, body = http_exchange(port, "GET", f"/{BODY_PATH}", headers=[("Cookie", cookie)])
    if status != 200 or body != expected:
        raise RuntimeError(f"GET /{BODY_PATH} with the session on port {port}: status {status}, "
                           f"{len(body)} bytes (expected the upstream's {len(expected)})")


def run_wrk(port, cookie, args, seconds, pid):
    return bench.run_wrk(f"http://127.0.0.1:{port}/{BODY_PATH}", args.threads, args.connections, seconds,
                         headers=[("Cookie", cookie)], cpu_pids=[pid])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default=bench.DEFAULT_GATEWAY, help="oh-gateway binary (release build)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per target (median reported)")
    parser.add_argument("--gateway-threads", type=int, default=0, help="server.threads (0 = one per core)")
    parser.add_argument("--providers", default="local,oidc", help="signed-in gateways to compare with none")
    args = parser.parse_args()
    bench.stop_on_sigterm()
    args.providers = [p.strip() for p in args.providers.split(",") if p.strip()]

    args.gateway = bench.require("signin_bench", binary=args.gateway, build_hint=bench.BUILD_HINT)
    bench.raise_nofile_limit()

    work = tempfile.mkdtemp(prefix="oh-signin-bench-")
    os.chmod(work, 0o755)  # nginx workers run as nobody and read www/ from here
    started = []
    try:
        os.makedirs(f"{work}/www")
        payload = os.urandom(1024)
        with open(f"{work}/www/{BODY_PATH}", "wb") as f:
            f.write(payload)
        key_path = f"{work}/cookie.key"
        with open(os.open(key_path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
            f.write(os.urandom(32))
        users_path = f"{work}/users"
        subprocess.run([args.gateway, "users", "add", USER, "--file", users_path, "--password-stdin"],
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True, timeout=60)

        up_port = bench.free_port()
        started.append(bench.start_nginx_static(work, up_port))
        upstream = f"http://127.0.0.1:{up_port}"
        none = bench.start_gateway(args.gateway, work, "gateway-none", upstream, args.gateway_threads)
        started.append(none)
        signed = {}  # name -> (gateway, Cookie header value)
        if "local" in args.providers:
            local_auth = (f'[auth]\nprovider = "local"\nusers_file = "{users_path}"\n'
                          f'cookie_key_file = "{key_path}"\ncookie_secure = false\n')
            local = bench.start_gateway(args.gateway, work, "gateway-local", upstream, args.gateway_threads,
                                        auth_config=local_auth)
            started.append(local)
            signed["local"] = (local, f"oh_session={sign_in_local(local.port)}")
        if "oidc" in args.providers:
            oidc = start_oidc(args, work, up_port, started)
            if oidc:
                signed["oidc"] = oidc
        if not signed:
            sys.exit("signin_bench: no signed-in gateway to measure")

        for name, (proc, cookie) in signed.items():
            # Without the session the gateway must not serve the file (else we measure nothing).
            status, _, _ = http_exchange(proc.port, "GET", f"/{BODY_PATH}", headers=[("Accept", "text/html")])
            if status == 200:
                raise RuntimeError(f"the {name} gateway served the file without a session: sign-in is not wired")
            check_reaches_upstream(proc.port, cookie, payload)
        longest = max((cookie for _, cookie in signed.values()), key=len)
        check_reaches_upstream(none.port, longest, payload)
        targets = {"none": (none, longest), **signed}

        print(f"# oh-gateway sign-in bench  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  cores={os.cpu_count()}  "
              f"load={os.getloadavg()[0]:.1f}")
        sizes = ", ".join(f"{name} {len(cookie)} B" for name, (_, cookie) in targets.items())
        print(f"# wrk -t{args.threads} -c{args.connections} -d{args.duration}s -H 'Cookie: oh_session=...' "
              f"/{BODY_PATH}, {args.rounds} rounds interleaved (median), gateway threads={args.gateway_threads or 'per core'}; "
              f"Cookie header: {sizes}")
        for proc, cookie in targets.values():  # warm-up: connections, session cache, page cache
            run_wrk(proc.port, cookie, args, 2, proc.pid)
        rounds = bench.interleaved(targets, args.rounds,
                                   lambda name, t: run_wrk(t[0].port, t[1], args, args.duration, t[0].pid))
        results = {name: bench.median_run(runs) for name, runs in rounds.items()}

        print("\n| auth | req/s | p50 ms | p99 ms | gateway CPU µs/req | non-2xx | runs req/s |")
        print("|---|---:|---:|---:|---:|---:|---|")
        for name, r in results.items():
            print(f"| {name} | {r['rps']:.0f} | {r['p50']:.3f} | {r['p99']:.3f} | {r['cpu_us_per_request']:.1f} "
                  f"| {r['non2xx']} | {r['all_rps']} |")
        n = results["none"]
        print("\n| signed in with | req/s ratio to none (issue 4: >= 0.90) | overhead µs/req (from req/s) | overhead µs/req (gateway CPU) |")
        print("|---|---:|---:|---:|")
        for name in signed:
            s = results[name]
            ratio = s["rps"] / n["rps"]
            wall_overhead = (1.0 / s["rps"] - 1.0 / n["rps"]) * 1e6
            cpu_overhead = s["cpu_us_per_request"] - n["cpu_us_per_request"]
            print(f"| {name} | {ratio:.3f} {'OK' if ratio >= 0.9 else 'OVER BUDGET'} | {wall_overhead:.2f} | {cpu_overhead:.2f} |")
    finally:
        bench.stop_all(started)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
