#!/usr/bin/env python3
"""User-space instructions and system calls per proxied request: oh-gateway against nginx.

Requests/s on a shared 2-core machine move by tens of percent between runs; instruction counts
do not. Each proxy runs under valgrind's callgrind (instrumented only for the measured run) in
front of the same static nginx serving a 1 KB file, wrk drives it for --duration seconds, and
the proxy's instructions (all its threads) are divided by the requests wrk completed. A second,
uninstrumented run under `strace -c -f` counts the proxy's system calls per request (the kernel
time callgrind does not see). Same configuration as bench.py: nginx as a keep-alive reverse
proxy setting the gateway's forwarded headers (one worker, `master_process off` so callgrind
sees the process that works), oh-gateway in local mode with one thread, auth off, access log
off in both.

Printed: per peer, instructions per request and system calls per request by name; the ratios
gateway/nginx; with --top N, the gateway's N costliest functions (self instructions per
request). Deterministic for a given binary and machine, whatever else runs: the number to
compare relay changes by. It is not the issue's bar (requests/s, runtime_bench.py) but
explains it.

  bench/gateway/instructions.py --gateway build/release/src/gateway/oh-gateway --top 30
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import common  # noqa: E402


def start_nginx_proxy(work, port, upstream, out_file):
    conf = common.nginx_proxy_conf(work, "proxy", port, upstream, workers=1)
    conf = "master_process off;\ndaemon off;\n" + conf
    path = f"{work}/proxy.conf"
    with open(path, "w") as f:
        f.write(conf)
    argv = ["nginx", "-p", work + "/", "-e", f"{work}/proxy-early.log", "-c", path]
    proc = common.Proc("nginx-proxy", common.callgrind_argv(out_file) + argv if out_file else argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    common.wait_for_port(port, timeout=120)
    return proc


def start_gateway(binary, work, upstream_url, out_file):
    path = f"{work}/gateway.toml"
    port = common.free_port()
    with open(path, "w") as f:
        f.write(common.gateway_toml(upstream_url, 1, listen_port=port))
    argv = [binary, "--config", path]
    proc = common.Proc("gateway", common.callgrind_argv(out_file) + argv if out_file else argv,
                       stdout=subprocess.DEVNULL, stderr=open(f"{work}/gateway.log", "w"))
    common.wait_for_port(port, timeout=120)
    proc.port = port
    return proc


def top_functions(path, count, requests):
    out = subprocess.run(["callgrind_annotate", "--inclusive=no", f"--threshold=100", path],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        match = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+(.*)", line)
        if match and "PROGRAM TOTALS" not in line:
            rows.append((int(match.group(1).replace(",", "")), match.group(2).strip()))
        if len(rows) >= count:
            break
    return [(ir / requests, name) for ir, name in rows]


def measure_instructions(proc, port, args, work, name):
    url = f"http://127.0.0.1:{port}/1k.bin"
    common.run_wrk(url, 1, args.connections, args.warmup)
    result, dumps = common.count_instructions(proc.pid, f"{work}/{name}.cg",
                                              lambda: common.run_wrk(url, 1, args.connections, args.duration))
    result["instructions"] = sum(dumps.values())
    result["dump"] = max(dumps, key=dumps.get)  # the thread that did the work
    return result


def measure_syscalls(proc, port, args, work, name):
    url = f"http://127.0.0.1:{port}/1k.bin"
    common.run_wrk(url, 1, args.connections, 1)
    out = f"{work}/{name}.strace"
    tracer = subprocess.Popen(["strace", "-c", "-f", "-o", out, "-p", str(proc.pid)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # strace attaches to every thread
    result = common.run_wrk(url, 1, args.connections, args.duration)
    tracer.terminate()
    tracer.wait(30)
    calls = collections.Counter()
    with open(out) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 5 and fields[0][0].isdigit() and fields[-1] != "total":
                calls[fields[-1]] += int(fields[3])
    return {name: count / result["requests"] for name, count in calls.items()}, result["requests"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default=common.DEFAULT_GATEWAY, help="oh-gateway binary (release build)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--duration", type=int, default=10, help="seconds of the measured wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of wrk before measuring")
    parser.add_argument("--top", type=int, default=0, help="print the gateway's N costliest functions")
    parser.add_argument("--skip-syscalls", action="store_true", help="no strace run")
    parser.add_argument("--peers", default="gateway,nginx", help="which peers, in order")
    parser.add_argument("--keep", metavar="DIR", help="keep the callgrind dumps and logs in DIR (for callgrind_annotate)")
    args = parser.parse_args()
    common.require("instructions.py", tools=("nginx", "wrk", "valgrind", "strace"), binary=args.gateway,
                   build_hint=common.BUILD_HINT)
    common.stop_on_sigterm()
    peers = args.peers.split(",")

    with tempfile.TemporaryDirectory(prefix="oh-instr-") as scratch:
        work = os.path.abspath(args.keep) if args.keep else scratch
        os.makedirs(work, exist_ok=True)
        os.makedirs(f"{work}/www", exist_ok=True)
        with open(f"{work}/www/1k.bin", "wb") as f:
            f.write(os.urandom(1024))
        procs = []
        try:
            upstream_port = common.free_port()
            procs.append(common.start_nginx_static(work, upstream_port))
            upstream = f"127.0.0.1:{upstream_port}"
            results = {}
            for name in peers:
                row = {}
                for mode in ("callgrind", "strace"):
                    if mode == "strace" and args.skip_syscalls:
                        continue
                    out_file = f"{work}/{name}.cg.%p" if mode == "callgrind" else None
                    if name == "nginx":
                        port = common.free_port()
                        proc = start_nginx_proxy(work, port, upstream, out_file)
                    else:
                        proc = start_gateway(args.gateway, work, f"http://{upstream}", out_file)
                        port = proc.port
                    try:
                        if mode == "callgrind":
                            row.update(measure_instructions(proc, port, args, work, name))
                            if args.top and name == "gateway":
                                row["top"] = top_functions(row["dump"], args.top, row["requests"])
                        else:
                            row["syscalls"], row["strace_requests"] = measure_syscalls(proc, port, args, work, name)
                    finally:
                        proc.stop()
                results[name] = row
            report(results, args)
        finally:
            common.stop_all(procs)


def report(results, args):
    print(f"# user-space instructions per request  {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}  "
          f"{common.load_note()}")
    print(f"# wrk -t1 -c{args.connections} -d{args.duration}s /1k.bin (1 KB) under callgrind; syscalls from a "
          f"separate run under strace -c -f\n")
    print("| peer | requests measured | instructions/request | syscalls/request | syscalls by name (per request) |")
    print("|---|---:|---:|---:|---|")
    for name, row in results.items():
        per_request = row["instructions"] / max(row["requests"], 1)
        row["per_request"] = per_request
        calls = row.get("syscalls", {})
        named = ", ".join(f"{k} {v:.2f}" for k, v in sorted(calls.items(), key=lambda kv: -kv[1]) if v >= 0.01)
        print(f"| {name} | {row['requests']} | {per_request:,.0f} | {sum(calls.values()):.2f} | {named} |")
    if "gateway" in results and "nginx" in results:
        g, n = results["gateway"], results["nginx"]
        print(f"\n- gateway/nginx instructions per request: **{g['per_request'] / n['per_request']:.2f}**")
        if "syscalls" in g and "syscalls" in n:
            print(f"- gateway/nginx system calls per request: **{sum(g['syscalls'].values()) / sum(n['syscalls'].values()):.2f}**")
    top = results.get("gateway", {}).get("top")
    if top:
        print("\n| gateway function (self) | instructions/request |\n|---|---:|")
        for ir, function in top:
            print(f"| `{function[:110]}` | {ir:,.0f} |")


if __name__ == "__main__":
    main()
