#!/usr/bin/env python3
"""The sandbox API (issue 13) against peers measured in the same run.

1. Status and list latency, flat in the number of recorded sandboxes: GET /sessions/{id} and
   GET /list for a user with 10 sandboxes while the store holds 10, then 10,000 sandboxes
   (9,990 of another user), against nginx serving the same JSON bodies from files (the fastest
   answer such a call can have). Prints requests/s and p50 for each, the ratio to nginx, and
   the flatness (10,000 / 10).
2. Resume of a missing sandbox: the time from POST /resume of a sandbox whose container was
   removed (an instance replacement) to a healthy agent server, against `podman run` of the same
   image and command to /alive on the container's address (on a network with a fixed subnet, so
   no inspect follows the run). Ours is timed to {url}/alive through the gateway, because that
   is what OpenHands' app server calls once the sandbox reports running (1.7.0
   openhands/app_server/sandbox/sandbox_service.py:78-150): so it includes the gateway
   learning the new container's address. Each round removes the container first and waits (untimed) until the
   gateway's periodic resync records the sandbox paused (up to 30 s). Prints both, median and
   min of --resumes rounds, and the ratios (goal: at most 1.1). Needs root, podman and busybox.

Usage: bench/control/sandbox_api_bench.py [--gateway build/release/src/gateway/oh-gateway]
       [--agent-server PATH] [--duration 5] [--rounds 3] [--resumes 5] [--peer-network isolated|plain]
       [--skip-latency] [--skip-resume]
Nothing here asserts: it measures and prints.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common  # noqa: E402

IMAGE = "localhost/oh-bench-agent:1"
AGENT_PORT = 60000
PEER_NETWORK, PEER_SUBNET, PEER_IP = "oh-bench-peer", "10.213.77.0/24", "10.213.77.10"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def sandbox_id():
    """22 base62 characters, the form OpenHands 1.7.0 gives its sandboxes
    (remote_sandbox_service.py:464, base62 of 16 random bytes)."""
    return "".join(random.choice(BASE62) for _ in range(22))


def user_key(subject):
    """control/sandbox/user_key.h: hex(SHA-256("openhands user v1\\n" || subject))[0:32]."""
    return hashlib.sha256(b"openhands user v1\n" + subject.encode()).hexdigest()[:32]


def api_key(secret, subject):
    """control/sandbox/api_keys.h: ohsb1_{userKey}_{base64url(HMAC-SHA256(secret, "sandbox api v1\\n" || userKey))}."""
    key = user_key(subject)
    mac = hmac.new(secret, b"sandbox api v1\n" + key.encode(), hashlib.sha256).digest()
    return f"ohsb1_{key}_" + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def start_body(session_id, image):
    """POST /start as OpenHands 1.7.0 sends it (remote_sandbox_service.py:482-500)."""
    return {
        "image": image,
        "command": ["/usr/local/bin/openhands-agent-server", "--port", str(AGENT_PORT)],
        "working_dir": "/workspace",
        "environment": {"OH_CONVERSATIONS_PATH": "/workspace/conversations", "WORKER_1": "12000",
                        "WORKER_2": "12001", "OH_VSCODE_PORT": "60001"},
        "session_id": session_id,
        "resource_factor": 1,
        "run_as_user": 10001,
        "run_as_group": 10001,
        "fs_group": 10001,
    }


def call(port, method, path, key, body=None, timeout=15.0):
    """One API call as the app server makes it: X-API-Key, JSON, a 15 s timeout."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                     headers={"X-API-Key": key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def write_key(path):
    secret = os.urandom(32)
    with open(path, "w") as f:
        f.write(secret.hex() + "\n")
    os.chmod(path, 0o600)
    return secret


def sandbox_toml(work, api_port, socket, image, max_per_user, network_prefix="oh-bench-"):
    """[runtime] and [sandbox] for the bench: no sign-in (runtime.access must then be public;
    the agent server's port is served without a session under every policy anyway)."""
    return f"""
[runtime]
enabled = true
host_suffixes = ["runtime.bench.test"]
docker_socket = "{socket}"
access = "public"

[sandbox]
enabled = true
listen_address = "127.0.0.1"
listen_port = {api_port}
key_file = "{work}/api-key"
seal_key_file = "{work}/seal-key"
store_url = "sqlite://{work}/sandboxes.db"
allowed_images = ["{image}"]
workspace_root = "{work}/workspaces"
public_scheme = "http"
runtime_suffix = "runtime.bench.test"
network_prefix = "{network_prefix}"
stop_grace_seconds = 1

[sandbox.limits]
cpus = 0
memory_mb = 0
pids = 0
max_running_per_user = {min(max_per_user, 1000)}
max_sandboxes_per_user = {max_per_user}
"""


# ---------------------------------------------------------------------------------------
# 1. status and list latency


def latency_phase(args, work):
    api_port = common.free_port()
    secret = write_key(f"{work}/api-key")
    write_key(f"{work}/seal-key")
    # No Docker behind it: /start only records (the reconciler keeps retrying in the background),
    # which is what the measured calls read.
    gateway = common.start_gateway(args.gateway, work, "gateway-api", "http://127.0.0.1:9", 1,
                                   extra=sandbox_toml(work, api_port, f"{work}/no-docker.sock", IMAGE, 20000))
    nginx_port = common.free_port()
    os.makedirs(f"{work}/www/sessions", exist_ok=True)
    nginx = common.start_nginx_static(work, nginx_port)
    procs = [gateway, nginx]
    try:
        common.wait_for_port(api_port)
        alice = api_key(secret, "alice")
        mine = [sandbox_id() for _ in range(10)]
        for sid in mine:
            status, _ = call(api_port, "POST", "/start", alice, start_body(sid, IMAGE))
            if status != 200:
                raise RuntimeError(f"/start answered {status}: is the sandbox API configured?")
        results = {}
        for total in (10, 10000):
            if total == 10000:
                # 9,990 more, of 10 other users (each within the running limit of 1,000).
                for n in range(total - 10):
                    other = api_key(secret, f"user-{n % 10}")
                    status, _ = call(api_port, "POST", "/start", other, start_body(sandbox_id(), IMAGE))
                    if status != 200:
                        raise RuntimeError(f"/start {n} answered {status}")
            # The peer serves the very bodies the API gave.
            _, one = call(api_port, "GET", f"/sessions/{mine[0]}", alice)
            _, listed = call(api_port, "GET", "/list", alice)
            with open(f"{work}/www/sessions/one", "w") as f:
                json.dump(one, f)
            with open(f"{work}/www/list", "w") as f:
                json.dump(listed, f)
            targets = {
                "gateway /sessions/{id}": (f"http://127.0.0.1:{api_port}/sessions/{mine[0]}", gateway),
                "nginx   /sessions/{id}": (f"http://127.0.0.1:{nginx_port}/sessions/one", nginx),
                "gateway /list": (f"http://127.0.0.1:{api_port}/list", gateway),
                "nginx   /list": (f"http://127.0.0.1:{nginx_port}/list", nginx),
            }
            runs = common.interleaved(
                targets, args.rounds,
                lambda name, target: common.run_wrk(target[0], 1, 4, args.duration, headers=[("X-API-Key", alice)],
                                                    cpu_pids=[target[1].popen.pid]))
            results[total] = {name: common.median_run(r) for name, r in runs.items()}
            print(f"\n{total} sandboxes recorded ({len(listed.get('runtimes', []))} listed for the caller)")
            for name, run in results[total].items():
                print(f"  {name:24} {run['rps']:9.0f} req/s  p50 {run['p50']:.3f} ms  "
                      f"non-2xx {run['non2xx']}  rounds {run['all_rps']}")
            for call_name in ("/sessions/{id}", "/list"):
                ours, peer = results[total][f"gateway {call_name}"], results[total][f"nginx   {call_name}"]
                print(f"  {call_name:14} gateway/nginx req/s {ours['rps'] / peer['rps']:.3f}  "
                      f"p50 {ours['p50'] / peer['p50']:.3f}")
        print("\nflatness (10,000 / 10 recorded):")
        for call_name in ("/sessions/{id}", "/list"):
            few, many = results[10][f"gateway {call_name}"], results[10000][f"gateway {call_name}"]
            print(f"  {call_name:14} req/s {many['rps'] / few['rps']:.3f}  p50 {many['p50'] / few['p50']:.3f}")
    finally:
        common.stop_all(procs)


# ---------------------------------------------------------------------------------------
# 2. resume of a missing sandbox vs podman run


def podman(socket, *argv, check=True):
    return subprocess.run(["podman", "--url", f"unix://{socket}", *argv], check=check, capture_output=True,
                          text=True, timeout=300)


def remove_container(name):
    """Untimed removals go through podman's own CLI, not the API service: on a machine whose
    shared Podman storage holds many containers, a remove through the service took minutes
    (and once hung past 300 s), where the CLI takes seconds."""
    subprocess.run(["podman", "rm", "-f", "-t", "0", name], check=False, capture_output=True, timeout=300)


def build_image(work, agent_server):
    """A busybox root filesystem with the agent-server stand-in, imported under IMAGE."""
    root = f"{work}/rootfs"
    for d in ("bin", "usr/local/bin", "tmp", "workspace", "etc"):
        os.makedirs(f"{root}/{d}", exist_ok=True)
    shutil.copy("/bin/busybox", f"{root}/bin/busybox")
    os.symlink("busybox", f"{root}/bin/sh")
    shutil.copy(agent_server, f"{root}/usr/local/bin/openhands-agent-server")
    with open(f"{root}/etc/passwd", "w") as f:
        f.write("root:x:0:0::/:/bin/sh\nopenhands:x:10001:10001::/workspace:/bin/sh\n")
    subprocess.run(["tar", "-C", root, "-cf", f"{work}/rootfs.tar", "."], check=True)
    return f"{work}/rootfs.tar"


def wait_alive(url, host=None, limit=120.0):
    headers = {"Host": host} if host else {}
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.01)
    raise RuntimeError(f"{url} not alive after {limit} s")


def resume_phase(args, work):
    socket = f"{work}/podman.sock"
    service = common.Proc("podman-service", ["podman", "system", "service", "--time=0", f"unix://{socket}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs = [service]
    try:
        for _ in range(200):
            if os.path.exists(socket):
                break
            time.sleep(0.05)
        podman(socket, "import", build_image(work, args.agent_server), IMAGE)
        api_port = common.free_port()
        secret = write_key(f"{work}/api-key")
        write_key(f"{work}/seal-key")
        gateway = common.start_gateway(args.gateway, work, "gateway-resume", "http://127.0.0.1:9", 1,
                                       extra=sandbox_toml(work, api_port, socket, IMAGE, 10))
        procs.append(gateway)
        common.wait_for_port(api_port)
        key = api_key(secret, "alice")
        sid = sandbox_id()
        status, view = call(api_port, "POST", "/start", key, start_body(sid, IMAGE))
        if status != 200:
            raise RuntimeError(f"/start answered {status} {view}")
        host = view["url"].split("://", 1)[1]
        via_gateway = f"http://127.0.0.1:{gateway.port}/alive"
        wait_alive(via_gateway, host)

        # The peer's network has a fixed subnet so that its container gets a known address
        # (--ip): `podman run` is then all the peer pays before polling, no inspect after it.
        # It is isolated from other networks, as the owner's network the gateway creates through
        # the Docker API is (Podman's option isolate=true, Docker's default), unless
        # --peer-network plain: isolation costs firewall work at every container start.
        podman(socket, "network", "rm", "-f", PEER_NETWORK, check=False)
        isolation = ["-o", "isolate=true"] if args.peer_network == "isolated" else []
        podman(socket, "network", "create", *isolation, "--subnet", PEER_SUBNET, PEER_NETWORK)
        ours, ours_up, peer, peer_up, answered = [], [], [], [], []
        for _ in range(args.resumes):
            # Ours: the container is gone (instance replaced); the record says paused; resume.
            remove_container(f"oh-sandbox-{sid.lower()}")
            deadline = time.monotonic() + 60
            while call(api_port, "GET", f"/sessions/{sid}", key)[1].get("status") != "paused":
                if time.monotonic() > deadline:
                    raise RuntimeError("the removed sandbox never reported paused")
                time.sleep(0.05)
            began = time.monotonic()
            status, _ = call(api_port, "POST", "/resume", key, {"runtime_id": sid})
            answered.append(time.monotonic() - began)
            if status != 200:
                raise RuntimeError(f"/resume answered {status}")
            # Where the time goes: until the API reports running (container created and started,
            # its address known to the gateway), then until the agent answers through the gateway.
            while call(api_port, "GET", f"/sessions/{sid}", key)[1].get("status") != "running":
                if time.monotonic() - began > 120:
                    raise RuntimeError("the resumed sandbox never reported running")
                time.sleep(0.01)
            ours_up.append(time.monotonic() - began)
            wait_alive(via_gateway, host)
            ours.append(time.monotonic() - began)

            # The peer: podman run of the same image and command, to /alive on its address.
            began = time.monotonic()
            podman(socket, "run", "-d", "--name", "oh-bench-peer-c", "--network", PEER_NETWORK, "--ip", PEER_IP,
                   "--user", "10001:10001", IMAGE, "/usr/local/bin/openhands-agent-server", "--port", str(AGENT_PORT))
            peer_up.append(time.monotonic() - began)
            wait_alive(f"http://{PEER_IP}:{AGENT_PORT}/alive")
            peer.append(time.monotonic() - began)
            print(f"  round {len(ours)}: resume {ours[-1] * 1000:.0f} ms (reported running at "
                  f"{ours_up[-1] * 1000:.0f}), podman run {peer[-1] * 1000:.0f} ms (run returned at "
                  f"{peer_up[-1] * 1000:.0f})", flush=True)
            remove_container("oh-bench-peer-c")
        median = statistics.median
        rounds = lambda values: ", ".join(f"{v * 1000:.0f}" for v in values)  # noqa: E731
        print(f"\n{args.resumes} rounds, each: ours, then the peer")
        print(f"resume of a missing sandbox to /alive through the gateway: median {median(ours) * 1000:.0f} ms, "
              f"min {min(ours) * 1000:.0f} ms ({rounds(ours)})")
        print(f"podman run of the same image to /alive on its address:     median {median(peer) * 1000:.0f} ms, "
              f"min {min(peer) * 1000:.0f} ms ({rounds(peer)})")
        print(f"(POST /resume answered in: median {median(answered) * 1000:.0f} ms; reported running at: median "
              f"{median(ours_up) * 1000:.0f} ms; podman run returned at: median {median(peer_up) * 1000:.0f} ms)")
        print(f"ratio ours / podman run (goal <= 1.1): median {median(ours) / median(peer):.3f}, "
              f"min {min(ours) / min(peer):.3f}")
        call(api_port, "POST", "/stop", key, {"runtime_id": sid})
        podman(socket, "network", "rm", "-f", PEER_NETWORK, check=False)
        podman(socket, "network", "rm", "-f", f"oh-bench-{user_key('alice')}", check=False)
    finally:
        common.stop_all(procs)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default=common.DEFAULT_GATEWAY)
    parser.add_argument("--agent-server", default="build/ci/tests/integration/runtime/openhands-agent-server",
                        help="the stand-in agent server (a static binary)")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--resumes", type=int, default=5)
    parser.add_argument("--peer-network", choices=("isolated", "plain"), default="isolated",
                        help="the peer container's network: isolated like the owner's network, or plain")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-resume", action="store_true")
    args = parser.parse_args()
    common.require("sandbox_api_bench", binary=args.gateway, build_hint=common.BUILD_HINT)
    common.stop_on_sigterm()
    print(common.load_note())
    with tempfile.TemporaryDirectory(prefix="oh-sandbox-bench-") as work:
        os.chmod(work, 0o755)  # nginx's workers read {work}/www
        os.makedirs(f"{work}/latency")
        os.makedirs(f"{work}/resume")
        if not args.skip_latency:
            latency_phase(args, f"{work}/latency")
        if not args.skip_resume:
            resume_phase(args, f"{work}/resume")


if __name__ == "__main__":
    main()
