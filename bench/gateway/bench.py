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

  bench/gateway/bench.py --gateway build/release/src/gateway/oh-gateway
"""

import argparse
import asyncio
import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.abspath(__file__)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
from common import (  # noqa: E402  (bench/common.py: shared with the other benchmarks)
    BUILD_HINT, DEFAULT_GATEWAY, Proc, children_of, free_port, print_proxy_tables, proxy_rounds, raise_nofile_limit, require,
    run_wrk, start_gateway, start_nginx_proxy, start_nginx_static, stop_all, stop_on_sigterm,
)


# ---------------------------------------------------------------------------------------
# memory


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


def gateway(binary, work, name, upstream_port, threads):
    return start_gateway(binary, work, name, f"http://127.0.0.1:{upstream_port}", threads)


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
    started.append(start_nginx_proxy(work, "proxy", nginx_port, f"127.0.0.1:{up_port}", args.nginx_workers))
    gw = gateway(args.gateway, work, "gateway", up_port, args.gateway_threads)
    started.append(gw)
    targets = {"direct": up_port, "nginx": nginx_port, "gateway": gw.port}
    results = proxy_rounds(targets, args.rounds, args.duration, lambda port, path, seconds: run_wrk(
        f"http://127.0.0.1:{port}/{path}", args.threads, args.connections, seconds))
    gw_peak = status_kb(gw.pid, "VmHWM")
    return results, gw_peak


def memory(args, work, started):
    hold_port = free_port()
    holder = start_holder(["hold-server", str(hold_port)], "ready")
    started.append(holder)
    nginx_port = free_port()
    nginx = start_nginx_proxy(work, "proxy-mem", nginx_port, f"127.0.0.1:{hold_port}", args.nginx_workers)
    started.append(nginx)
    gw = gateway(args.gateway, work, "gateway-mem", hold_port, args.gateway_threads)
    started.append(gw)
    time.sleep(1)

    def snapshot():
        return {
            "gateway": memory_of([gw.pid]),
            "nginx": memory_of([nginx.pid] + children_of(nginx.pid)),
        }

    states = {"idle": snapshot()}
    for mode, label in (("keepalive", f"{args.idle_connections} idle keep-alive"), ("ws", f"{args.idle_connections} WebSockets")):
        for name, port in (("gateway", gw.port), ("nginx", nginx_port)):
            client = start_holder(["hold-client", str(port), str(args.idle_connections), mode], "ready")
            time.sleep(1)
            states.setdefault(label, {})[name] = snapshot()[name]
            client.stop()
            time.sleep(1)
    return states


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default=DEFAULT_GATEWAY, help="oh-gateway binary (release build)")
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
    stop_on_sigterm()

    args.gateway = require("bench", binary=args.gateway, build_hint=BUILD_HINT)
    raise_nofile_limit()

    work = tempfile.mkdtemp(prefix="oh-bench-")
    os.chmod(work, 0o755)  # nginx workers run as nobody and read www/ from here
    started = []
    try:
        print(f"# oh-gateway bench  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  cores={os.cpu_count()}  load={os.getloadavg()[0]:.1f}")
        print(f"# wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.rounds} rounds (median), "
              f"gateway threads={args.gateway_threads or 'per core'}, nginx workers={args.nginx_workers}")
        if not args.skip_throughput:
            results, gw_peak = throughput(args, work, started)
            print_proxy_tables(results)
            print(f"\ngateway peak RSS (VmHWM) after the throughput runs: {gw_peak / 1024:.1f} MiB")
            stop_all(started)
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
        stop_all(started)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "hold-server":
        asyncio.run(hold_server(int(sys.argv[2])))
    elif len(sys.argv) >= 5 and sys.argv[1] == "hold-client":
        asyncio.run(hold_client(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
    else:
        main()
