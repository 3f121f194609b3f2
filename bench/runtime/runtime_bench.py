#!/usr/bin/env python3
"""Runtime-app requests: oh-gateway against nginx proxying straight to the container's IP.

nginx with a fixed `proxy_pass http://{container IP}:80` is the best any discovery could do
(no lookup at all). oh-gateway finds the container through its ContainerDirectory (the live
Docker index, no Docker call per request) from the Host `80-{convId}.runtime.bench.test`, with
runtime.access = "public" and auth.provider = "none" so only routing is measured.

"plain" is the same oh-gateway binary as an ordinary reverse proxy with upstream.url set to the
container's IP (no runtime routing), which separates the routing's cost from the relay's.
All are measured in the same run, rounds interleaved, first with 10 containers known to the
Docker API (1 running app + 9 created) and then with 1,000 (990 more created, not started).
The app in the container is nginx serving a 1 KB file, copied with its libraries into a small
image at run time (no registry here). Prints requests/s, p50/p99 and the ratio gateway/nginx
for each size, and the ratio 1,000/10 for the gateway (flat = about 1.0).

Everything started here (a private Podman API service, containers, nginx, oh-gateway) is
stopped or removed by PID / name. This is a measurement, not a test: it asserts nothing and CI
does not run it. Run it when `uptime` shows a low load.

  bench/runtime/runtime_bench.py --gateway build/release/src/gateway/app/oh-gateway
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gateway"))
from bench import Proc, free_port, nginx_common, start_nginx, to_ms  # noqa: E402

IMAGE = "localhost/oh-runtime-bench-nginx:latest"
SUFFIX = "runtime.bench.test"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("docker", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def api(sock, method, target, body=None):
    conn = UnixHTTPConnection(sock)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, target, body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def start_podman(work):
    sock = f"{work}/podman.sock"
    log = open(f"{work}/podman.log", "w")
    proc = Proc("podman", ["podman", "system", "service", "--time=0", f"unix://{sock}"], stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if api(sock, "GET", "/_ping")[0] == 200:
                return proc, sock
        except OSError:
            pass
        time.sleep(0.1)
    proc.stop()
    raise RuntimeError("podman service did not start; see " + f"{work}/podman.log")


def build_image(work, sock):
    """nginx and the libraries it links, a 1 KB file, and a config: a fast keep-alive app."""
    root = f"{work}/rootfs"
    for d in ("usr/sbin", "etc", "tmp", "var/log/nginx", "var/lib/nginx", "www", "conf"):
        os.makedirs(f"{root}/{d}", exist_ok=True)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    shutil.copy(nginx, f"{root}/usr/sbin/nginx")
    libs = subprocess.run(["ldd", nginx], capture_output=True, text=True, check=True).stdout
    for token in libs.split():
        if token.startswith("/") and os.path.exists(token):
            os.makedirs(os.path.dirname(root + token), exist_ok=True)
            shutil.copy(os.path.realpath(token), root + token)
    with open(f"{root}/etc/passwd", "w") as f:
        f.write("root:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n")
    with open(f"{root}/etc/group", "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\n")
    with open(f"{root}/www/1k.bin", "wb") as f:
        f.write(os.urandom(1024))
    with open(f"{root}/conf/app.conf", "w") as f:
        f.write("""worker_processes 1;
pid /tmp/app.pid;
error_log /tmp/app-error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path /tmp/b; proxy_temp_path /tmp/p; fastcgi_temp_path /tmp/f;
  uwsgi_temp_path /tmp/u; scgi_temp_path /tmp/s;
  server { listen 80 backlog=4096; root /www; location / { } }
}
""")
    subprocess.run(["tar", "-C", root, "-cf", f"{work}/rootfs.tar", "."], check=True)
    subprocess.run(["podman", "--remote", "--url", f"unix://{sock}", "import", f"{work}/rootfs.tar", IMAGE],
                   check=True, stdout=subprocess.DEVNULL)


def conv_id(i):
    return f"{os.getpid():08x}{i:024x}"


def create(sock, names, i, start):
    name = f"oh-rt-bench-{os.getpid()}-{i}"
    body = {"Image": IMAGE, "Cmd": ["/usr/sbin/nginx", "-c", "/conf/app.conf", "-g", "daemon off;"],
            "Labels": {"conversation_id": conv_id(i), "user_id": "bench"}}
    status, data = api(sock, "POST", f"/containers/create?name={name}", body)
    if status != 201:
        raise RuntimeError(f"create {name}: {status} {data[:200]!r}")
    names.append(name)
    if start:
        status, data = api(sock, "POST", f"/containers/{name}/start")
        if status not in (204, 304):
            raise RuntimeError(f"start {name}: {status} {data[:200]!r}")
    return name


def create_many(sock, names, first, count):
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: create(sock, names, i, False), range(first, first + count)))


def remove_all(sock, names):
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: api(sock, "DELETE", f"/containers/{n}?force=true"), names))


def container_ip(sock, name):
    status, data = api(sock, "GET", f"/containers/{name}/json")
    networks = json.loads(data)["NetworkSettings"]["Networks"]
    return next(iter(networks.values()))["IPAddress"]


def start_nginx_to_ip(work, port, ip, workers):
    conf = f"""worker_processes {workers};
{nginx_common(work, "proxy")}
http {{
  access_log off;
  client_body_temp_path {work}/tmp-proxy-body;
  proxy_temp_path {work}/tmp-proxy-proxy;
  upstream app {{
    server {ip}:80;
    keepalive 64;
    keepalive_requests 1000000;
  }}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    keepalive_requests 1000000;
    location / {{
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
  }}
}}
"""
    return start_nginx(work, "proxy", conf, port)


def start_gateway(binary, work, sock, threads, name="gateway", upstream="http://127.0.0.1:9", runtime=True):
    runtime_toml = f"""
[runtime]
enabled = true
host_suffixes = ["{SUFFIX}"]
docker_socket = "{sock}"
access = "public"
""" if runtime else ""
    config = f"""mode = "local"

[server]
listen_address = "127.0.0.1"
listen_port = 0
threads = {threads}

[upstream]
url = "{upstream}"

[origin]
enabled = false

[rate_limit]
enabled = false

[admin]
enabled = true
listen_address = "127.0.0.1"
listen_port = 0

[log]
level = "warn"
access_log = false

[auth]
provider = "none"
{runtime_toml}"""
    path = f"{work}/{name}.toml"
    with open(path, "w") as f:
        f.write(config)
    log = open(f"{work}/{name}.log", "w")
    proc = Proc(name, [binary, "--config", path], stdout=subprocess.PIPE, stderr=log, text=True)
    line = proc.popen.stdout.readline()
    match = re.search(r"listening on [^ ]*:(\d+)", line)
    if not match:
        proc.stop()
        raise RuntimeError(f"{name}: no listening line, got {line!r}; see {work}/{name}.log")
    proc.helpers = [Proc(f"{name}-stdout", ["cat"], stdin=proc.popen.stdout, stdout=subprocess.DEVNULL)]
    proc.port = int(match.group(1))
    return proc


def http_status(port, host, path="/1k.bin"):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", path, headers={"Host": host})
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return 0


def wait_for(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def measure(args, targets, label, results):
    for name, (url, host) in targets.items():  # warm-up
        run_wrk_host(url, host, args.threads, args.connections, 2)
    rounds = {name: [] for name in targets}
    for r in range(args.rounds):
        order = list(targets.items())
        if r % 2 == 1:
            order.reverse()
        for name, (url, host) in order:
            rounds[name].append(run_wrk_host(url, host, args.threads, args.connections, args.duration))
    for name, runs in rounds.items():
        median = sorted(runs, key=lambda x: x["rps"])[len(runs) // 2]
        median["all_rps"] = [round(x["rps"]) for x in runs]
        results[(label, name)] = median


def run_wrk_host(url, host, threads, connections, seconds):
    """bench.run_wrk's measurement with an optional Host header."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if host is not None:
        argv.append(f"-HHost: {host}")
    out = subprocess.run(argv + [url], check=True, capture_output=True, text=True, timeout=seconds + 60).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "non2xx": int(errors.group(1)) if errors else 0,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", required=True, help="path of the oh-gateway binary (release build)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per target (median reported)")
    parser.add_argument("--gateway-threads", type=int, default=1)
    parser.add_argument("--nginx-workers", type=int, default=1)
    parser.add_argument("--many", type=int, default=1000, help="containers known in the second phase")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="oh-runtime-bench-")
    started = []
    names = []
    sock = None
    try:
        podman, sock = start_podman(work)
        started.append(podman)
        build_image(work, sock)
        app = create(sock, names, 0, True)
        create_many(sock, names, 1, 9)
        ip = container_ip(sock, app)
        host = f"80-{conv_id(0)}.{SUFFIX}"
        nginx_port = free_port()
        started.append(start_nginx_to_ip(work, nginx_port, ip, args.nginx_workers))
        gateway = start_gateway(args.gateway, work, sock, args.gateway_threads)
        started.append(gateway)
        started.extend(gateway.helpers)
        # The same binary as a plain reverse proxy to the container (upstream.url = its IP, no
        # runtime routing): separates the routing's cost from the relay's.
        plain = start_gateway(args.gateway, work, sock, args.gateway_threads, "plain", f"http://{ip}:80", False)
        started.append(plain)
        started.extend(plain.helpers)
        wait_for(lambda: http_status(gateway.port, host) == 200, "the gateway to route to the app")
        wait_for(lambda: http_status(plain.port, host) == 200, "the plain gateway to reach the app")
        wait_for(lambda: http_status(nginx_port, host) == 200, "nginx to reach the app")
        targets = {
            "direct": (f"http://{ip}:80/1k.bin", None),
            "nginx": (f"http://127.0.0.1:{nginx_port}/1k.bin", host),
            "plain": (f"http://127.0.0.1:{plain.port}/1k.bin", host),
            "gateway": (f"http://127.0.0.1:{gateway.port}/1k.bin", host),
        }
        results = {}
        measure(args, targets, "10", results)
        print(f"creating {args.many - 10} more containers ...", file=sys.stderr)
        create_many(sock, names, 10, args.many - 10)
        last = f"80-{conv_id(args.many - 1)}.{SUFFIX}"
        # The last one created is known once the gateway answers 502 (known, not running)
        # instead of 404 (unknown).
        wait_for(lambda: http_status(gateway.port, last) == 502, "the directory to know every container", 120)
        measure(args, targets, str(args.many), results)

        print(f"\nruntime app, 1 KB, wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
              f"median of {args.rounds} rounds; gateway threads {args.gateway_threads}, "
              f"nginx workers {args.nginx_workers}; load {os.getloadavg()[0]:.2f}")
        print(f"{'known':>6} {'target':>8} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}  rounds")
        for label in ("10", str(args.many)):
            for name in targets:
                r = results[(label, name)]
                print(f"{label:>6} {name:>8} {r['rps']:>10.0f} {r['p50']:>8.2f} {r['p99']:>8.2f}  {r['all_rps']}"
                      + (f"  non-2xx {r['non2xx']}" if r["non2xx"] else ""))
            g = results[(label, "gateway")]["rps"]
            n = results[(label, "nginx")]["rps"]
            p = results[(label, "plain")]["rps"]
            print(f"{label:>6} gateway/nginx = {g / n:.2f}   plain/nginx = {p / n:.2f}   gateway/plain = {g / p:.2f}")
        flat = results[(str(args.many), "gateway")]["rps"] / results[("10", "gateway")]["rps"]
        print(f"gateway {args.many}/10 containers = {flat:.2f}")
    finally:
        for proc in reversed(started):
            if proc.name != "podman":
                proc.stop()
        if sock and names:
            remove_all(sock, names)
        for proc in started:
            if proc.name == "podman":
                proc.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
