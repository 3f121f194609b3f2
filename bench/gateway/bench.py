#!/usr/bin/env python3
"""oh-gateway against nginx, in the same run, on loopback.

Throughput: wrk with the same threads, connections and duration against
  direct   the upstream itself (nginx serving static 1 KB and 64 KB files),
  nginx    Debian nginx as a plain reverse proxy with upstream keep-alive,
  gateway  oh-gateway (origin check and rate limit off, access log off, as nginx's is),
and prints requests/s, p50 and p99 latency and the ratio gateway/nginx. Each target runs
`--rounds` times, interleaved, and the median round is reported.

Memory: a fresh gateway and a fresh proxy nginx in front of a tiny Python upstream that
holds connections; resident memory idle, with 1,000 idle keep-alive connections and with
1,000 open WebSockets (VmRSS of the gateway; RSS and PSS summed over nginx's master and
workers).

Everything started here is stopped by PID. This is a measurement, not a test: it asserts
nothing and CI does not run it.

  bench/gateway/bench.py --gateway build/h7-release/src/gateway/oh-gateway
"""

import argparse
import asyncio
import base64
import hashlib
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.abspath(__file__)


# ---------------------------------------------------------------------------------------
# helpers: ports, processes, memory


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class Proc:
    """A child process stopped by PID: SIGTERM, then SIGKILL after a grace period."""

    def __init__(self, name, argv, **kwargs):
        self.name = name
        self.popen = subprocess.Popen(argv, **kwargs)
        self.pid = self.popen.pid

    def stop(self, grace=10.0):
        if self.popen.poll() is not None:
            return
        os.kill(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            self.popen.wait()


def children_of(pid):
    """PIDs whose parent is pid (nginx workers of a master)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(entry))
        except OSError:
            continue
    return found


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def memory_of(pids):
    return {"rss_kb": sum(status_kb(p, "VmRSS") for p in pids), "pss_kb": sum(pss_kb(p) for p in pids)}


# ---------------------------------------------------------------------------------------
# peers: nginx configurations and oh-gateway's


def nginx_common(work, name):
    return f"""
pid {work}/{name}.pid;
error_log {work}/{name}-error.log warn;
worker_rlimit_nofile 65536;
events {{ worker_connections 8192; }}
"""


def start_nginx_static(work, port):
    conf = f"""worker_processes 1;
{nginx_common(work, "upstream")}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path {work}/tmp-upstream-body;
  proxy_temp_path {work}/tmp-upstream-proxy;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    root {work}/www;
    location / {{ }}
  }}
}}
"""
    return start_nginx(work, "upstream", conf, port)


def start_nginx_proxy(work, name, port, upstream_port, workers):
    conf = f"""worker_processes {workers};
{nginx_common(work, name)}
http {{
  access_log off;
  client_body_temp_path {work}/tmp-{name}-body;
  proxy_temp_path {work}/tmp-{name}-proxy;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}
  upstream backend {{
    server 127.0.0.1:{upstream_port};
    keepalive 64;
    keepalive_requests 1000000;
  }}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    location / {{
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
      proxy_read_timeout 300s;
    }}
  }}
}}
"""
    return start_nginx(work, name, conf, port)


def start_nginx(work, name, conf, port):
    path = f"{work}/{name}.conf"
    with open(path, "w") as f:
        f.write(conf)
    proc = Proc(
        f"nginx-{name}",
        ["nginx", "-p", work + "/", "-e", f"{work}/{name}-early.log", "-c", path, "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return proc


def start_gateway(binary, work, name, upstream_port, threads, auth_config='[auth]\nprovider = "none"\n', listen_port=0):
    # auth_config: the [auth] table. Plain proxying ("none") unless a caller (signin_bench.py)
    # measures sign-in; the default provider is "local", which needs a users file and a key.
    config = f"""mode = "local"

[server]
listen_address = "127.0.0.1"
listen_port = {listen_port}
threads = {threads}

[upstream]
url = "http://127.0.0.1:{upstream_port}"

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

{auth_config}
"""
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
    # Keep draining stdout so the gateway never blocks on a full pipe.
    drain = Proc(f"{name}-stdout", ["cat"], stdin=proc.popen.stdout, stdout=subprocess.DEVNULL)
    proc.port = int(match.group(1))
    proc.helpers = [drain]
    return proc


# ---------------------------------------------------------------------------------------
# wrk


def to_ms(text):
    value = float(re.match(r"[\d.]+", text).group(0))
    if text.endswith("us"):
        return value / 1000.0
    if text.endswith("ms"):
        return value
    if text.endswith("s"):
        return value * 1000.0
    return value


def run_wrk(url, threads, connections, seconds):
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "non2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


# ---------------------------------------------------------------------------------------
# connection holders (run as separate processes by the memory phase)


def ws_accept(key):
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    return base64.b64encode(digest).decode()


async def hold_server(port):
    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                if headers.get("upgrade", "").lower() == "websocket":
                    writer.write(
                        (
                            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            f"Sec-WebSocket-Accept: {ws_accept(headers.get('sec-websocket-key', ''))}\r\n\r\n"
                        ).encode()
                    )
                    await writer.drain()
                    while await reader.read(65536):
                        pass
                    break
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


async def hold_client(port, count, mode):
    held = []

    async def open_one(i):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        if mode == "ws":
            key = base64.b64encode(os.urandom(16)).decode()
            request = (
                f"GET /socket.io/?EIO=4&transport=websocket&n={i} HTTP/1.1\r\nHost: bench.test\r\n"
                f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            )
        else:
            request = f"GET /idle?n={i} HTTP/1.1\r\nHost: bench.test\r\n\r\n"
        writer.write(request.encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        expected = b"101" if mode == "ws" else b"200"
        if status != expected:
            raise RuntimeError(f"connection {i}: status {status!r}")
        if mode != "ws":
            await reader.readexactly(2)
        held.append((reader, writer))

    for start in range(0, count, 100):
        await asyncio.gather(*(open_one(i) for i in range(start, min(count, start + 100))))
    print(f"ready {len(held)}", flush=True)
    await asyncio.Event().wait()


def start_holder(args, expect):
    proc = Proc("holder", [sys.executable, HERE] + args, stdout=subprocess.PIPE, text=True)
    line = proc.popen.stdout.readline().strip()
    if not line.startswith(expect):
        proc.stop()
        raise RuntimeError(f"holder {args}: {line!r}")
    return proc


# ---------------------------------------------------------------------------------------
# phases


def throughput(args, work, started):
    os.makedirs(f"{work}/www")
    for name, size in (("1k.bin", 1024), ("64k.bin", 64 * 1024)):
        with open(f"{work}/www/{name}", "wb") as f:
            f.write(os.urandom(size))
    up_port = free_port()
    nginx_port = free_port()
    started.append(start_nginx_static(work, up_port))
    started.append(start_nginx_proxy(work, "proxy", nginx_port, up_port, args.nginx_workers))
    gateway = start_gateway(args.gateway, work, "gateway", up_port, args.gateway_threads)
    started.append(gateway)
    started.extend(gateway.helpers)
    targets = {"direct": up_port, "nginx": nginx_port, "gateway": gateway.port}

    results = {}
    for path in ("1k.bin", "64k.bin"):
        for name, port in targets.items():  # warm-up: connections, pools, page cache
            run_wrk(f"http://127.0.0.1:{port}/{path}", args.threads, args.connections, 2)
        rounds = {name: [] for name in targets}
        for r in range(args.rounds):
            order = list(targets.items())
            if r % 2 == 1:
                order.reverse()
            for name, port in order:
                rounds[name].append(run_wrk(f"http://127.0.0.1:{port}/{path}", args.threads, args.connections, args.duration))
        for name, runs in rounds.items():
            median = sorted(runs, key=lambda x: x["rps"])[len(runs) // 2]
            median["all_rps"] = [round(x["rps"]) for x in runs]
            results[(path, name)] = median
    gw_peak = status_kb(gateway.pid, "VmHWM")
    return results, gw_peak


def memory(args, work, started):
    hold_port = free_port()
    holder = start_holder(["hold-server", str(hold_port)], "ready")
    started.append(holder)
    nginx_port = free_port()
    nginx = start_nginx_proxy(work, "proxy-mem", nginx_port, hold_port, args.nginx_workers)
    started.append(nginx)
    gateway = start_gateway(args.gateway, work, "gateway-mem", hold_port, args.gateway_threads)
    started.append(gateway)
    started.extend(gateway.helpers)
    time.sleep(1)

    def snapshot():
        return {
            "gateway": memory_of([gateway.pid]),
            "nginx": memory_of([nginx.pid] + children_of(nginx.pid)),
        }

    states = {"idle": snapshot()}
    for mode, label in (("keepalive", f"{args.idle_connections} idle keep-alive"), ("ws", f"{args.idle_connections} WebSockets")):
        for name, port in (("gateway", gateway.port), ("nginx", nginx_port)):
            client = start_holder(["hold-client", str(port), str(args.idle_connections), mode], "ready")
            time.sleep(1)
            states.setdefault(label, {})[name] = snapshot()[name]
            client.stop()
            time.sleep(1)
    return states


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default="build/h7-release/src/gateway/oh-gateway", help="oh-gateway binary (release build)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per target (median reported)")
    parser.add_argument("--gateway-threads", type=int, default=0, help="server.threads (0 = one per core)")
    parser.add_argument("--nginx-workers", default="auto", help="nginx worker_processes of the proxy")
    parser.add_argument("--idle-connections", type=int, default=1000)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()

    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} not found (apt-get install -y {tool})")
    if not os.access(args.gateway, os.X_OK):
        sys.exit(f"bench: {args.gateway} is not an executable; build it: cmake --preset release -B build/h7-release && cmake --build build/h7-release --target oh-gateway")
    args.gateway = os.path.abspath(args.gateway)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, min(hard if hard != resource.RLIM_INFINITY else 65536, 65536))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    work = tempfile.mkdtemp(prefix="oh-bench-")
    os.chmod(work, 0o755)  # nginx workers run as nobody and read www/ from here
    started = []
    try:
        print(f"# oh-gateway bench  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  cores={os.cpu_count()}  load={os.getloadavg()[0]:.1f}")
        print(f"# wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.rounds} rounds (median), "
              f"gateway threads={args.gateway_threads or 'per core'}, nginx workers={args.nginx_workers}")
        if not args.skip_throughput:
            results, gw_peak = throughput(args, work, started)
            print("\n| body | target | req/s | p50 ms | p99 ms | non-2xx | runs req/s |")
            print("|---|---|---:|---:|---:|---:|---|")
            for (path, name), r in results.items():
                print(f"| {path} | {name} | {r['rps']:.0f} | {r['p50']:.3f} | {r['p99']:.3f} | {r['non2xx']} | {r['all_rps']} |")
            print("\n| body | gateway/nginx req/s | gateway/nginx p99 | gateway/direct req/s |")
            print("|---|---:|---:|---:|")
            for path in ("1k.bin", "64k.bin"):
                g, n, d = results[(path, "gateway")], results[(path, "nginx")], results[(path, "direct")]
                print(f"| {path} | {g['rps'] / n['rps']:.2f} | {g['p99'] / n['p99']:.2f} | {g['rps'] / d['rps']:.2f} |")
            print(f"\ngateway peak RSS (VmHWM) after the throughput runs: {gw_peak / 1024:.1f} MiB")
            for proc in reversed(started):
                proc.stop()
            started.clear()
        if not args.skip_memory:
            states = memory(args, work, started)
            idle = states["idle"]
            print("\n| state | gateway RSS MiB | nginx RSS MiB (master+workers) | nginx PSS MiB | gateway KiB/conn | nginx KiB/conn (PSS) |")
            print("|---|---:|---:|---:|---:|---:|")
            for label, s in states.items():
                g, n = s["gateway"], s["nginx"]
                if label == "idle":
                    per_g = per_n = "-"
                else:
                    per_g = f"{(g['rss_kb'] - idle['gateway']['rss_kb']) / args.idle_connections:.1f}"
                    per_n = f"{(n['pss_kb'] - idle['nginx']['pss_kb']) / args.idle_connections:.1f}"
                print(f"| {label} | {g['rss_kb'] / 1024:.1f} | {n['rss_kb'] / 1024:.1f} | {n['pss_kb'] / 1024:.1f} | {per_g} | {per_n} |")
    finally:
        for proc in reversed(started):
            proc.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "hold-server":
        asyncio.run(hold_server(int(sys.argv[2])))
    elif len(sys.argv) >= 5 and sys.argv[1] == "hold-client":
        asyncio.run(hold_client(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
    else:
        main()
