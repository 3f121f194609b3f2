#!/usr/bin/env python3
"""One OpenHands app server per user (issue 14) against peers measured in the same run.

1. start: a user's first main-site request to a ready app server, against the container's own
   start. Ours: a new user (signed in, untimed) sends GET /alive through oh-gateway every 10 ms,
   as a script would; the gateway answers 503 with the start phase until the user's server (the
   app-server stand-in image, localhost/oh-appserver-standin:1.7.0) is ready, then proxies and the
   stand-in answers 200. That covers the pool's whole start: the user's network, directory,
   container create and start, its health checks, and routing. Twice per round: "new user" (the
   pool creates the network) and "network made" (the user's network made untimed beforehand, as for a
   returning user after a gateway restart; the pool's backend still asks the engine to create it). The peer: `podman run -d` of the same image with
   the same kind of environment and mount on an existing network (isolated, like the users'
   networks) with a fixed address, then GET /alive on that address every 10 ms. And the peer that
   isolates the gateway's share, "direct API": the very Docker API calls the pool's backend makes
   for a new user (network create, container create of the same shape, start, the inspects in
   between), made directly against the same Podman service, then GET /alive every 10 ms on the
   container's address. --starts rounds, the order reversed every other round. Prints each
   (median, min), when each start phase was first seen, the difference and ratio to podman run,
   and "gateway added" = new user - direct API (goal: under 100 ms).
   Then (--skip-calls to leave out) where a start's time goes on the engine's side: the Docker
   API calls the pool's backend makes for a new user, each timed alone against the same service.
2. proxy: main-site requests of a signed-in user, routed by the [appserver] pool to their server,
   against nginx proxying the same requests (same Cookie header) to the same server. The server
   is a container of nginx serving bench/gateway/bench.py's two bodies (runtime_bench.py's image,
   started by the pool as the user's app server): the stand-in's own HTTP server would be the
   limit of both. The method is bench.py's: wrk -t2 -c64 -d10s per target and body after a 2 s
   warm-up, 3 rounds interleaved, the median reported; direct = wrk to the container itself.
   Goal: gateway/nginx >= 0.97.
3. memory: RSS of oh-gateway with N signed-in users whose app servers (the stand-in) are ready
   and idle. Printed: idle gateway; after one warm-up user (the pool's workers, the Docker
   client, the first connections); after N sign-ins; after their N servers are ready; the KiB
   per user (sign-in and server) from the warm-up point, and from the idle start; next to the
   RSS of one stand-in app server (the container's process), the peer the per-user cost adds to.

Needs root, podman (a private API service is started here), nginx and wrk, the release
oh-gateway, and the stand-in image (cmake --build --preset ci --target oh_appserver_standin_image).
Everything started here is stopped by PID and every container and network removed by name.
Nothing here asserts: it measures and prints.

  bench/control/appserver_bench.py [--gateway build/release/src/gateway/oh-gateway]
      [--starts 5] [--users 20] [--duration 10] [--rounds 3]
      [--skip-start] [--skip-calls] [--skip-proxy] [--skip-memory]
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(HERE))
import common  # noqa: E402  (bench/common.py: shared with the other benchmarks)
from control.sandbox_api_bench import (  # noqa: E402
    api_key, podman, remove_container, sandbox_toml, user_key, wait_alive, write_key,
)
from gateway.bench import memory_of  # noqa: E402
from gateway.signin_bench import http_exchange, sign_in_local  # noqa: E402
from runtime.runtime_bench import IMAGE as NGINX_IMAGE, api as docker_api, build_image as build_nginx_image, inspect, start_podman  # noqa: E402

STANDIN_IMAGE = "localhost/oh-appserver-standin:1.7.0"
STANDIN_HINT = "cmake --preset ci && cmake --build --preset ci --target oh_appserver_standin_image"
PASSWORD = "bench-password-123"
# The users' networks, the pool's label, and the start peer's network (fixed subnet and address:
# `podman run` is then all the peer pays before polling, no inspect after it).
NETWORK_PREFIX = f"ohab{os.getpid() % 100000}-"
MANAGED_LABEL = "bench-appserver"
PEER_NETWORK, PEER_SUBNET, PEER_IP = "oh-bench-appserver-peer", "10.213.78.0/24", "10.213.78.10"
PEER_CONTAINER = "oh-bench-appserver-peer-c"
POLL = 0.01  # seconds between polls, ours and the peer's alike


def container_of(subject):
    return f"oh-appserver-{user_key(subject)}"  # appserver/app_server_workload.cpp appServerName


# ---------------------------------------------------------------------------------------
# a gateway with sign-in, the sandbox API and the app-server pool


class Bed:
    """oh-gateway (local accounts, [sandbox], [appserver]) over a private Podman service."""

    def __init__(self, args, work, sock, name, image, port, command, subjects, max_running):
        self.work, self.sock, self.subjects = work, sock, []
        os.makedirs(f"{work}/users.d", exist_ok=True)
        os.makedirs(f"{work}/workspaces", exist_ok=True)
        write_key(f"{work}/api-key")
        write_key(f"{work}/seal-key")
        write_key(f"{work}/appserver-key")
        write_key(f"{work}/cookie.key")
        write_key(f"{work}/ticket.key")
        users = f"{work}/users"
        for subject in subjects:  # before the gateway starts: it reads the file once
            subprocess.run([args.gateway, "users", "add", subject, "--file", users, "--password-stdin"],
                           input=PASSWORD + "\n", text=True, check=True, capture_output=True, timeout=120)
        self.api_port = common.free_port()
        listen = common.free_port()
        auth = (f'[auth]\nprovider = "local"\nusers_file = "{users}"\ncookie_key_file = "{work}/cookie.key"\n'
                f'ticket_key_file = "{work}/ticket.key"\ncallback_hosts = ["127.0.0.1:{listen}"]\ncookie_secure = false\n')
        appserver = f"""
[appserver]
enabled = true
image = "{image}"
port = {port}
command = {json.dumps(command)}
data_root = "{work}/users.d"
managed_label_value = "{MANAGED_LABEL}"
web_url = "http://127.0.0.1:{listen}"
secret_key_file = "{work}/appserver-key"
max_running = {max_running}
idle_timeout_seconds = 3600
cpus = 0
memory_mb = 0
pids = 0
"""
        extra = sandbox_toml(work, self.api_port, sock, image, 10, NETWORK_PREFIX) + appserver
        self.log = f"{work}/{name}.log"
        try:
            self.gateway = common.start_gateway(args.gateway, work, name, "http://127.0.0.1:9", args.gateway_threads,
                                                auth_config=auth, listen_port=listen, extra=extra)
        except RuntimeError:
            self.show_log()
            raise
        self.port = self.gateway.port

    def show_log(self):
        """The end of the gateway's log, on stderr: the run's directory goes with it."""
        with open(self.log) as log:
            sys.stderr.write(log.read()[-3000:])

    def sign_in(self, subject):
        self.subjects.append(subject)
        return f"oh_session={sign_in_local(self.port, subject, PASSWORD)}"

    def get(self, cookie, target="/alive"):
        """(status, body) of a script's GET through the gateway (Accept: application/json)."""
        status, _, body = http_exchange(self.port, "GET", target, headers=[("Cookie", cookie), ("Accept", "application/json")])
        return status, body

    def wait_ready(self, cookie, limit=300.0):
        """Polls GET /alive until the user's server answers it; returns (seconds, {phase: first seen})."""
        began = time.monotonic()
        phases = {}
        while True:
            status, body = self.get(cookie)
            elapsed = time.monotonic() - began
            if status == 200:
                return elapsed, phases
            try:
                phase = json.loads(body).get("phase", "?")
            except ValueError:
                phase = f"status {status}"
            phases.setdefault(phase, elapsed)
            if phase == "failed" or elapsed > limit:
                self.show_log()
                raise RuntimeError(f"the app server never became ready: {status} {body[:300]!r}")
            time.sleep(POLL)

    def stop(self):
        """Stops the gateway, then removes its users' containers and networks (the gateway leaves
        them running on purpose: a restart adopts them)."""
        self.gateway.stop()
        for subject in self.subjects:
            remove_container(container_of(subject))
        for subject in self.subjects:
            podman(self.sock, "network", "rm", "-f", NETWORK_PREFIX + user_key(subject), check=False)


# ---------------------------------------------------------------------------------------
# 1. first request to a ready server vs podman run


def peer_run(sock, work, round_no):
    """podman run of the stand-in image, as the pool runs it (the same variables and mount),
    until its /alive answers on its address."""
    directory = f"{work}/peer-{round_no}"
    os.makedirs(directory)
    env = {
        "RUNTIME": "remote", "SANDBOX_REMOTE_RUNTIME_API_URL": "http://127.0.0.1:9",
        "SANDBOX_API_KEY": api_key(os.urandom(32), "peer"), "OH_PERSISTENCE_DIR": "/workspace",
        "FILE_STORE_PATH": "/workspace", "JWT_SECRET": os.urandom(32).hex(), "OH_WEB_URL": "http://127.0.0.1:9",
    }
    argv = ["run", "-d", "--name", PEER_CONTAINER, "--network", PEER_NETWORK, "--ip", PEER_IP,
            "-v", f"{directory}:/workspace"]
    for name, value in env.items():
        argv += ["-e", f"{name}={value}"]
    began = time.monotonic()
    podman(sock, *argv, STANDIN_IMAGE)
    returned = time.monotonic() - began
    wait_alive(f"http://{PEER_IP}:3000/alive")
    total = time.monotonic() - began
    remove_container(PEER_CONTAINER)
    return {"total": total, "phases": {"run returned": returned}}


def start_phase(args, work, sock):
    """Three kinds of start per round, interleaved (the order reversed every other round): a new
    user (the pool makes their network), a new user whose network exists (made untimed before:
    what the pool adds to the container's own start), and the peer."""
    subjects = {kind: [f"{kind}-{i}" for i in range(args.starts)] for kind in ("new", "net")}
    bed = Bed(args, work, sock, "gateway-start", STANDIN_IMAGE, 3000, [], subjects["new"] + subjects["net"],
              2 * args.starts + 1)
    podman(sock, "network", "rm", "-f", PEER_NETWORK, check=False)
    podman(sock, "network", "create", "-o", "isolate=true", "--subnet", PEER_SUBNET, PEER_NETWORK)
    done = {"new": 0, "net": 0, "peer": 0, "direct": 0}

    def measure(name, kind):
        i = done[kind]
        done[kind] += 1
        if kind == "peer":
            return peer_run(sock, work, i)
        if kind == "direct":
            return direct_api_start(sock, work, i)
        subject = subjects[kind][i]
        if kind == "net":  # as the pool's backend makes it (docker_requests.cpp networkCreateBody)
            status, data = docker_api(sock, "POST", "/networks/create", {
                "Name": NETWORK_PREFIX + user_key(subject), "Driver": "bridge", "Internal": False,
                "CheckDuplicate": True, "Labels": {"org.openhands.managed": MANAGED_LABEL}})
            if status not in (200, 201):
                raise RuntimeError(f"network create: {status} {data[:200]!r}")
        cookie = bed.sign_in(subject)
        took, phases = bed.wait_ready(cookie)
        remove_container(container_of(subject))  # untimed: a running server would only add load
        return {"total": took, "phases": phases}

    def report(r, runs):
        line = []
        for name, results in runs.items():
            last = results[-1]
            seen = ", ".join(f"{p} {t * 1000:.0f}" for p, t in last["phases"].items())
            line.append(f"{name} {last['total'] * 1000:.0f} ms ({seen})")
        print(f"  round {r + 1}: " + "; ".join(line), flush=True)

    kinds = {"new user": "new", "network made": "net", "direct API": "direct", "podman run": "peer"}
    try:
        runs = common.interleaved(kinds, args.starts, measure, on_round=report)
    finally:
        bed.stop()
        remove_container(PEER_CONTAINER)
        podman(sock, "network", "rm", "-f", PEER_NETWORK, check=False)
    median = statistics.median
    totals = {name: [r["total"] for r in results] for name, results in runs.items()}
    peer = totals["podman run"]
    print(f"\n{args.starts} rounds (order reversed every other round), a new user for each start of ours; ms")
    for name, values in totals.items():
        print(f"  {name:13} to /alive: median {median(values) * 1000:6.0f}, min {min(values) * 1000:6.0f} "
              f"({', '.join(f'{v * 1000:.0f}' for v in values)})")
        phases = {}
        for r in runs[name]:
            for phase, t in r["phases"].items():
                phases.setdefault(phase, []).append(t)
        print("      first seen at (median): " + ", ".join(f"{p} {median(t) * 1000:.0f}" for p, t in phases.items()))
    for name in ("new user", "network made"):
        ours = totals[name]
        print(f"{name} - podman run: median {(median(ours) - median(peer)) * 1000:.0f} ms, "
              f"min {(min(ours) - min(peer)) * 1000:.0f} ms; ratio to podman run: median "
              f"{median(ours) / median(peer):.3f}, min {min(ours) / min(peer):.3f}")
    ours, direct = totals["new user"], totals["direct API"]
    print(f"gateway added = new user - direct API (the same engine calls, no gateway; goal < 100 ms): "
          f"median {(median(ours) - median(direct)) * 1000:.0f} ms, min {(min(ours) - min(direct)) * 1000:.0f} ms; "
          f"ratio median {median(ours) / median(direct):.3f}, min {min(ours) / min(direct):.3f}")


def pool_network_body(network):
    """The pool's network create (control/backend/docker_requests.cpp networkCreateBody)."""
    bridge = "ohu" + hashlib.sha256(network.encode()).hexdigest()[:12]  # sandboxBridgeName
    return {"Name": network, "Driver": "bridge", "Internal": False, "CheckDuplicate": True,
            "Labels": {"org.openhands.managed": MANAGED_LABEL},
            "Options": {"com.docker.network.bridge.name": bridge}}


def pool_container_body(network, directory):
    """A container create of the pool's shape (docker_requests.cpp containerCreateBody of
    appserver/app_server_workload.cpp appServerSpec): the stand-in, the user's network, one bind."""
    return {
        "Image": STANDIN_IMAGE, "Env": ["RUNTIME=remote", "SANDBOX_REMOTE_RUNTIME_API_URL=http://127.0.0.1:9",
                                        "SANDBOX_API_KEY=x", "OH_PERSISTENCE_DIR=/workspace"],
        "Labels": {"org.openhands.managed": MANAGED_LABEL}, "ExposedPorts": {},
        "HostConfig": {"NetworkMode": network, "Binds": [f"{directory}:/workspace:rw"], "GroupAdd": [],
                       "SecurityOpt": [], "CapDrop": ["NET_RAW", "MKNOD", "AUDIT_WRITE"], "CapAdd": [],
                       "Privileged": False, "Devices": [], "PortBindings": {}, "PublishAllPorts": False,
                       "ReadonlyRootfs": False, "AutoRemove": False, "RestartPolicy": {"Name": "no"}}}


def direct_api_start(sock, work, round_no):
    """The Docker API calls the pool's backend makes for a new user (docker_backend.cpp: inspect
    the container, inspect the image, create the network, list it for its gateway, create the
    container, inspect it, start it, inspect it), made directly against the same Podman service,
    then GET /alive every 10 ms on the container's address: the engine's share of a start, with no
    gateway in it. Returns the total and when each call returned."""
    network, name = f"{NETWORK_PREFIX}direct-{round_no}", f"oh-bench-appserver-direct-{round_no}"
    directory = f"{work}/direct-{round_no}"
    os.makedirs(directory)
    phases = {}
    began = time.monotonic()

    def call(label, method, target, body=None, ok=(200, 201, 204)):
        status, data = docker_api(sock, method, target, body)
        if status not in ok:
            raise RuntimeError(f"direct API {label}: {status} {data[:200]!r}")
        phases[label] = time.monotonic() - began
        return data

    filters = urllib.parse.quote(json.dumps({"name": [network]}, separators=(",", ":")))
    try:
        call("inspect container", "GET", f"/containers/{name}/json", ok=(404,))
        call("inspect image", "GET", f"/images/{STANDIN_IMAGE}/json")
        call("create network", "POST", "/networks/create", pool_network_body(network))
        call("list network", "GET", f"/networks?filters={filters}")
        call("create container", "POST", f"/containers/create?name={name}", pool_container_body(network, directory))
        call("inspect created", "GET", f"/containers/{name}/json")
        call("start container", "POST", f"/containers/{name}/start")
        seen = json.loads(call("inspect started", "GET", f"/containers/{name}/json"))
        address = next(iter(seen["NetworkSettings"]["Networks"].values()))["IPAddress"]
        wait_alive(f"http://{address}:3000/alive")
        return {"total": time.monotonic() - began, "phases": phases}
    finally:
        remove_container(name)  # untimed
        podman(sock, "network", "rm", "-f", network, check=False)


def engine_calls_phase(args, work, sock):
    """Where a start's time goes on the engine's side: the Docker API calls the pool's backend
    makes for a new user (control/backend/docker_backend.cpp, docker_requests.cpp), each timed
    alone against the same Podman service, then /alive polled on the container's address."""
    calls = {}

    def timed(label, method, target, body=None, ok=(200, 201, 204)):
        began = time.monotonic()
        status, data = docker_api(sock, method, target, body)
        calls.setdefault(label, []).append(time.monotonic() - began)
        if status not in ok:
            raise RuntimeError(f"{label}: {status} {data[:200]!r}")
        return data

    for i in range(args.starts):
        network, name = f"{NETWORK_PREFIX}call-{i}", f"oh-bench-appserver-call-{i}"
        directory = f"{work}/call-{i}"
        os.makedirs(directory)
        network_body, container_body = pool_network_body(network), pool_container_body(network, directory)
        try:
            timed("inspect image", "GET", f"/images/{STANDIN_IMAGE}/json")
            timed("create network (new)", "POST", "/networks/create", network_body)
            timed("create network (exists)", "POST", "/networks/create", network_body, ok=(409, 500))
            timed("create container", "POST", f"/containers/create?name={name}", container_body)
            timed("inspect container", "GET", f"/containers/{name}/json")
            timed("start container", "POST", f"/containers/{name}/start")
            began = time.monotonic()
            address = json.loads(timed("inspect container", "GET", f"/containers/{name}/json"))
            address = next(iter(address["NetworkSettings"]["Networks"].values()))["IPAddress"]
            wait_alive(f"http://{address}:3000/alive")
            calls.setdefault("started to /alive (10 ms polls)", []).append(time.monotonic() - began)
        finally:
            remove_container(name)
            podman(sock, "network", "rm", "-f", network, check=False)
    median = statistics.median
    print(f"\nthe pool's engine calls for a new user, alone, {args.starts} rounds; ms, median (all)")
    for label, values in calls.items():
        print(f"  {label:32} {median(values) * 1000:6.0f}  ({', '.join(f'{v * 1000:.0f}' for v in values)})")


# ---------------------------------------------------------------------------------------
# 2. main-site proxying with per-user routing vs nginx


def proxy_phase(args, work, sock):
    build_nginx_image(work, sock)
    nginx_argv = ["/usr/sbin/nginx", "-c", "/conf/app.conf", "-g", "daemon off;"]
    bed = Bed(args, work, sock, "gateway-proxy", NGINX_IMAGE, 80, nginx_argv, ["proxy-user"], 2)
    started = []
    try:
        cookie = bed.sign_in("proxy-user")
        took, _ = bed.wait_ready(cookie)
        address, _ = inspect(sock, container_of("proxy-user"))
        print(f"the user's server (nginx in a container at {address}:80) ready in {took * 1000:.0f} ms")
        nginx_port = common.free_port()
        started.append(common.start_nginx_proxy(work, "proxy", nginx_port, f"{address}:80", args.nginx_workers))
        targets = {"direct": f"{address}:80", "nginx": f"127.0.0.1:{nginx_port}", "gateway": f"127.0.0.1:{bed.port}"}
        headers = [("Cookie", cookie)]
        for path in ("1k.bin", "64k.bin"):  # every peer serves the server's very file
            bodies = {}
            for name, target in targets.items():
                with urllib.request.urlopen(urllib.request.Request(f"http://{target}/{path}", headers=dict(headers)),
                                            timeout=30) as answer:
                    bodies[name] = answer.read()
            if len(set(bodies.values())) != 1:
                raise RuntimeError(f"/{path}: the peers answer different bodies: { {k: len(v) for k, v in bodies.items()} }")

        results = common.proxy_rounds(targets, args.rounds, args.duration, lambda target, path, seconds: common.run_wrk(
            f"http://{target}/{path}", args.threads, args.connections, seconds, headers=headers))
        print(f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s -H 'Cookie: oh_session=...', "
              f"{args.rounds} rounds interleaved (median); gateway threads={args.gateway_threads or 'per core'}, "
              f"nginx workers={args.nginx_workers}")
        common.print_proxy_tables(results, goal=" (goal >= 0.97)")
    finally:
        common.stop_all(started)
        bed.stop()


# ---------------------------------------------------------------------------------------
# 3. the gateway's memory per idle user


def rss_kb(pid):
    return memory_of([pid])["rss_kb"]


def settled_rss(pid, seconds=3.0):
    """VmRSS after the gateway has been left alone for a moment (its threads done with the last
    request)."""
    time.sleep(seconds)
    return rss_kb(pid)


def memory_phase(args, work, sock):
    n = args.users
    subjects = ["warm-up"] + [f"idle-{i}" for i in range(n)]
    bed = Bed(args, work, sock, "gateway-memory", STANDIN_IMAGE, 3000, [], subjects, n + 2)
    try:
        pid = bed.gateway.pid
        idle = settled_rss(pid)
        warm_cookie = bed.sign_in("warm-up")
        bed.wait_ready(warm_cookie)
        warm = settled_rss(pid)
        cookies = [bed.sign_in(subject) for subject in subjects[1:]]
        signed_in = settled_rss(pid)
        began = time.monotonic()
        for cookie in cookies:  # every user's first request: the pool starts them 4 at a time
            bed.get(cookie)
        for cookie in cookies:
            bed.wait_ready(cookie)
        print(f"{n} app servers ready in {time.monotonic() - began:.1f} s")
        ready = settled_rss(pid)
        _, server_pid = inspect(sock, container_of(subjects[1]))
        server = rss_kb(server_pid)
        print(f"\n| state | oh-gateway VmRSS MiB |")
        print("|---|---:|")
        for label, value in (("idle (no user)", idle), ("1 user signed in, server ready (warm-up)", warm),
                             (f"+ {n} users signed in, no server yet", signed_in),
                             (f"+ their {n} servers ready, idle", ready)):
            print(f"| {label} | {value / 1024:.1f} |")
        per_user = (ready - warm) / n
        print(f"\nper idle user (sign-in + registered server), from the warm-up point: {per_user:.1f} KiB "
              f"(sign-in {(signed_in - warm) / n:.1f}, server {(ready - signed_in) / n:.1f}); "
              f"from the idle start: {(ready - idle) / (n + 1):.1f} KiB")
        print(f"one stand-in app server's own process: {server / 1024:.1f} MiB VmRSS; the gateway's per-user "
              f"memory is {per_user / server:.4f} of it")
    finally:
        bed.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default=common.DEFAULT_GATEWAY, help="oh-gateway binary (release build)")
    parser.add_argument("--starts", type=int, default=5, help="rounds of the start phase (a new user each)")
    parser.add_argument("--users", type=int, default=20, help="idle users of the memory phase")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per target (median reported)")
    parser.add_argument("--gateway-threads", type=int, default=0, help="server.threads (0 = one per core)")
    parser.add_argument("--nginx-workers", default="auto", help="nginx worker_processes of the proxy")
    parser.add_argument("--skip-start", action="store_true")
    parser.add_argument("--skip-calls", action="store_true", help="skip timing the engine calls of a start")
    parser.add_argument("--skip-proxy", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    args.gateway = common.require("appserver_bench", tools=("nginx", "wrk", "podman"), binary=args.gateway,
                                  build_hint=common.BUILD_HINT)
    if subprocess.run(["podman", "image", "exists", STANDIN_IMAGE]).returncode != 0:
        sys.exit(f"appserver_bench: no image {STANDIN_IMAGE}; build it: {STANDIN_HINT}")
    common.stop_on_sigterm()
    common.raise_nofile_limit()
    print(f"# app-server bench  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  {common.load_note()}")
    with tempfile.TemporaryDirectory(prefix="oh-appserver-bench-") as work:
        os.chmod(work, 0o755)  # nginx's workers read files here
        podman_service, sock = start_podman(work)
        try:
            for phase, skip, run in (("start", args.skip_start, start_phase),
                                     ("engine calls", args.skip_calls, engine_calls_phase),
                                     ("proxy", args.skip_proxy, proxy_phase), ("memory", args.skip_memory, memory_phase)):
                if not skip:
                    print(f"\n## {phase}  ({common.load_note()})", flush=True)
                    directory = f"{work}/{phase.replace(' ', '-')}"
                    os.makedirs(directory)
                    run(args, directory, sock)
        finally:
            podman_service.stop()


if __name__ == "__main__":
    main()
