#!/usr/bin/env python3
"""Runtime-app requests: oh-gateway against nginx proxying straight to the container's IP.

Peers, all in front of the same app container (nginx serving a 1 KB file, in a small image
built here from the host's nginx; no registry needed):
  gateway  oh-gateway routing `80-{convId}.runtime.bench.test` through its ContainerDirectory
           (the live Docker index; no Docker call per request); runtime.access = "public" and
           auth.provider = "none", so routing is what is measured,
  nginx    nginx with a fixed upstream {container IP}:80: the best any discovery could do,
  plain    (diagnostic) the same oh-gateway binary as a plain reverse proxy to the container's
           IP (no routing): gateway/plain is the routing's cost, plain/nginx the relay's,
  direct   (optional, --peers) wrk straight to the app.

Fairness: both proxies get the same CPU (pinned with sched_setaffinity, like taskset), the same
number of threads/worker processes (--proxy-threads), the same keep-alive pool to the app (64
idle connections per thread/worker), the same client keep-alive, the same access-log setting
(--access-log: both off by default) and the same headers: nginx sets the request headers the
gateway adds (X-Forwarded-*, X-Real-IP) and adds the response headers the gateway adds to a
runtime app's response (read from the gateway's own answer at start-up).

Method: two phases, 10 containers known (1 running app + 9 created) and then --many (the rest
created, not started). In each phase the peers run interleaved for --rounds rounds, the order
reversed every other round (gateway nginx plain, plain nginx gateway, ...), each measured run
preceded by a --warmup run of the same peer. Printed per phase and peer: the median, IQR and
min-max of requests/s, p50/p99, and the proxy's own CPU time per request (utime+stime from
/proc; much less sensitive than requests/s to other processes on a busy machine); then the
ratio of medians gateway/nginx, the per-round paired ratios (each pair ran back to back), and
the flatness (--many)/10 of each peer. The machine's load is printed with every phase.

Everything started here (a private Podman API service, containers, nginx, oh-gateway) is
stopped or removed by PID / name. This is a measurement, not a test: it asserts nothing beyond
checking that every peer really serves the app's file, and CI does not run it.

  bench/runtime/runtime_bench.py --gateway build/release/src/gateway/oh-gateway
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(HERE))
from common import (  # noqa: E402  (bench/common.py: shared with the other benchmarks)
    DEFAULT_GATEWAY, BUILD_HINT, FORWARDED_HEADERS, Proc, callgrind_argv, children_of, count_instructions, free_port,
    interleaved, parse_cpus, cpu_seconds, descendants_of, pin_process_tree, preexec, raise_nofile_limit, require,
    run_wrk, spread,
    start_gateway, start_nginx_proxy, stop_all, stop_on_sigterm,
)

IMAGE = "localhost/oh-runtime-bench-nginx:latest"
SUFFIX = "runtime.bench.test"
BODY = "/1k.bin"
# Response headers a proxy may add or change on its own (framing, date, identity): not part of
# "what the gateway adds for a runtime app".
HOP_HEADERS = {"connection", "keep-alive", "date", "server", "content-length", "transfer-encoding",
               "x-request-id", "via"}


# ---------------------------------------------------------------------------------------
# the Docker Engine API of a private Podman service


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


def start_podman(work, nice=0):
    sock = f"{work}/podman.sock"
    log = open(f"{work}/podman.log", "w")
    # With the same nice value as the peers: a starved Docker API answers a list late, and the
    # gateway's directory then reports it unreachable (503 for every app).
    proc = Proc("podman", ["podman", "system", "service", "--time=0", f"unix://{sock}"], nice=nice, stdout=log, stderr=log)
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
    # 64k.bin and alive: for bench/control/appserver_bench.py, whose app server is this image
    # (bench/gateway/bench.py's two bodies; the pool's health check is GET /alive).
    for name, size in (("1k.bin", 1024), ("64k.bin", 64 * 1024)):
        with open(f"{root}/www/{name}", "wb") as f:
            f.write(os.urandom(size))
    with open(f"{root}/www/alive", "w") as f:
        f.write("ok")
    with open(f"{root}/conf/app.conf", "w") as f:
        f.write("""worker_processes 1;
pid /tmp/app.pid;
error_log /tmp/app-error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
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


def inspect(sock, name):
    """(IP on its first network, PID of its first process)."""
    status, data = api(sock, "GET", f"/containers/{name}/json")
    info = json.loads(data)
    networks = info["NetworkSettings"]["Networks"]
    return next(iter(networks.values()))["IPAddress"], int(info["State"]["Pid"])


# ---------------------------------------------------------------------------------------
# peers


def runtime_toml(sock):
    return f"""
[runtime]
enabled = true
host_suffixes = ["{SUFFIX}"]
docker_socket = "{sock}"
access = "public"
"""


def get(port, host):
    """(status, {lower-case name: value}, body) of GET BODY with that Host."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", BODY, headers={"Host": host})
        resp = conn.getresponse()
        body = resp.read()
        headers = {k.lower(): v for k, v in resp.getheaders()}
        conn.close()
        return resp.status, headers, body
    except OSError:
        return 0, {}, b""


def get_direct(ip):
    conn = http.client.HTTPConnection(ip, 80, timeout=5)
    conn.request("GET", BODY)
    resp = conn.getresponse()
    body = resp.read()
    headers = {k.lower(): v for k, v in resp.getheaders()}
    conn.close()
    return resp.status, headers, body


def wait_for(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def added_headers(gateway_headers, app_headers):
    """The response headers the gateway adds to (or changes in) the app's answer."""
    return [(k, v) for k, v in gateway_headers.items()
            if k not in HOP_HEADERS and app_headers.get(k) != v]


def nginx_quote(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------------------------------
# measurement


def measure_phase(args, peers, label, host):
    """Interleaved rounds of every peer; returns name -> [wrk result per round]."""
    def run(name, peer, seconds):
        app_before = cpu_seconds(args.app_pids)
        result = run_wrk(peer["url"], args.threads, args.connections, seconds, headers=peer["headers"],
                         cpus=args.wrk_cpus, cpu_pids=peer["cpu_pids"](), nice=args.nice)
        result["app_cpu_us_per_request"] = (cpu_seconds(args.app_pids) - app_before) * 1e6 / max(result["requests"], 1)
        if result["non2xx"]:
            status, _, body = get(peer["port"], host)
            print(f"#   {name}: {result['non2xx']} non-2xx answers in this run; now {status} {body[:120]!r}",
                  file=sys.stderr, flush=True)
        return result

    def progress(r, runs):
        line = "  ".join(f"{name} {runs[name][-1]['ok_rps']:.0f}" for name in peers)
        print(f"#   {label} containers, round {r + 1}/{args.rounds}: {line}  (load {os.getloadavg()[0]:.2f})",
              file=sys.stderr, flush=True)

    warmup = (lambda name, peer: run(name, peer, args.warmup)) if args.warmup > 0 else None
    return interleaved(peers, args.rounds, lambda name, peer: run(name, peer, args.duration), warmup, progress)


def fmt_spread(s, digits=0):
    f = f"{{:.{digits}f}}"
    return (f.format(s["median"]), f"{f.format(s['q1'])}–{f.format(s['q3'])}",
            f"{f.format(s['min'])}–{f.format(s['max'])}")


def report_phase(label, runs, load, peers):
    print(f"\n## {label} containers known (load average {load[0]:.2f} before, {load[1]:.2f} after)\n")
    print("| peer | 2xx req/s median | req/s IQR | req/s min–max | p50 ms | p99 ms | proxy CPU µs/req (median, min–max) "
          "| app µs/req | wrk µs/req | non-2xx | rounds req/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    summary = {}
    for name in peers:
        rs = runs[name]
        rps = spread([r["ok_rps"] for r in rs])
        p50 = spread([r["p50"] for r in rs])["median"]
        p99 = spread([r["p99"] for r in rs])["median"]
        cpu = spread([r["cpu_us_per_request"] for r in rs]) if "cpu_us_per_request" in rs[0] else None
        median, iqr, minmax = fmt_spread(rps)
        cpu_text = f"{cpu['median']:.1f} ({cpu['min']:.1f}–{cpu['max']:.1f})" if cpu else "-"
        non2xx = sum(r["non2xx"] for r in rs)
        app = spread([r["app_cpu_us_per_request"] for r in rs])["median"]
        wrk = spread([r["wrk_cpu_us_per_request"] for r in rs])["median"]
        print(f"| {name} | {median} | {iqr} | {minmax} | {p50:.2f} | {p99:.2f} | {cpu_text} | {app:.1f} | {wrk:.1f} | {non2xx} "
              f"| {', '.join(str(round(r['ok_rps'])) for r in rs)} |")
        summary[name] = {"rps": rps, "cpu": cpu}
    print()
    for name in peers:
        failed = sum(r["non2xx"] for r in runs[name])
        if failed:
            print(f"- **WARNING: {name} answered {failed} requests with an error status** (only 2xx answers are "
                  f"counted in req/s; the reasons are in stderr)")
    for a, b in (("gateway", "nginx"), ("plain", "nginx"), ("gateway", "plain")):
        if a not in runs or b not in runs:
            continue
        pairs = spread([x["ok_rps"] / y["ok_rps"] for x, y in zip(runs[a], runs[b])])
        line = (f"- {a}/{b} req/s: ratio of medians **{summary[a]['rps']['median'] / summary[b]['rps']['median']:.3f}**; "
                f"per-round pairs median {pairs['median']:.3f} (min {pairs['min']:.3f}, max {pairs['max']:.3f})")
        if summary[a]["cpu"] and summary[b]["cpu"]:
            line += f"; CPU per request {b}/{a} {summary[b]['cpu']['median'] / summary[a]['cpu']['median']:.3f}"
        print(line)
    return summary


def count_gateway_instructions(args, work, sock, host, last):
    """Instructions per request of a gateway under callgrind during args.instructions seconds of
    wrk: its busiest thread (the worker relaying the requests) and all the others together. The
    gateway lives for this measurement only (under valgrind its directory's full re-lists would
    take seconds of CPU from the other peers' rounds); it is measured once it knows `last`, the
    last container created (it answers 502 for it: known, not running)."""
    proc = start_gateway(args.gateway, work, "gateway-callgrind", "http://127.0.0.1:9", args.proxy_threads,
                         extra=runtime_toml(sock), wrapper=callgrind_argv(f"{work}/gateway.cg.%p"))
    try:
        wait_for(lambda: get(proc.port, host)[0] == 200, "the gateway under callgrind to route to the app", 300)
        if last != host:
            wait_for(lambda: get(proc.port, last)[0] == 502, "the gateway under callgrind to know every container", 300)
        url = f"http://127.0.0.1:{proc.port}{BODY}"
        run_wrk(url, args.threads, args.connections, 2, headers=[("Host", host)])  # warm-up, not counted
        result, dumps = count_instructions(proc.pid, f"{work}/gateway.cg",
                                           lambda: run_wrk(url, args.threads, args.connections, args.instructions,
                                                           headers=[("Host", host)]))
    finally:
        proc.stop()
    requests = max(result["requests"], 1)
    worker = max(dumps.values()) if dumps else 0
    return {"requests": result["requests"], "non2xx": result["non2xx"], "worker": worker / requests,
            "others": (sum(dumps.values()) - worker) / requests}


def report_instructions(instructions, args):
    print(f"\n## instructions per request (the gateway under callgrind, {args.instructions} s of wrk per phase)\n")
    print("| containers known | requests | non-2xx | request thread | other threads |\n|---|---:|---:|---:|---:|")
    for label, row in instructions.items():
        print(f"| {label} | {row['requests']} | {row['non2xx']} | {row['worker']:,.0f} | {row['others']:,.0f} |")
    if "10" in instructions and len(instructions) == 2:
        many = instructions[str(args.many)]
        few = instructions["10"]
        print(f"\n- flatness of the request thread's instructions per request, {args.many}/10: "
              f"**{many['worker'] / few['worker']:.3f}**; all threads "
              f"{(many['worker'] + many['others']) / (few['worker'] + few['others']):.3f}")


def profile(args, work, peers, names):
    """perf (software cpu-clock samples, which need no hardware counters) of each proxy while wrk
    loads it: where its CPU time goes, by shared object and symbol."""
    if shutil.which("perf") is None:
        print("\n# --profile: perf not found (apt-get install -y linux-perf)")
        return
    for name in names:
        peer = peers[name]
        pids = ",".join(str(p) for p in peer["cpu_pids"]())
        data = f"{work}/perf-{name}.data"
        load = subprocess.Popen(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.profile + 2}s", peer["url"]]
                                + [f"-H{k}: {v}" for k, v in peer["headers"]],
                                stdout=subprocess.DEVNULL, preexec_fn=preexec(args.wrk_cpus, args.nice))
        time.sleep(1)
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-p", pids, "-o", data,
                        "--", "sleep", str(args.profile)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        load.wait()
        report = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "dso",
                                 "--percent-limit", "2"], capture_output=True, text=True).stdout
        symbols = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "sym",
                                  "--percent-limit", "1.5"], capture_output=True, text=True).stdout
        print(f"\n## perf: {name} (pid {pids}), {args.profile} s under wrk\n\n```")
        for line in (report + symbols).splitlines():
            if line.strip() and not line.startswith("#"):
                print(line.rstrip())
        print("```")


# ---------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default=DEFAULT_GATEWAY, help="oh-gateway binary (release build)")
    parser.add_argument("--threads", type=int, default=0, help="wrk threads (0: one per CPU wrk is pinned to, else 2)")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each measured run (0: none)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per phase")
    parser.add_argument("--proxy-threads", type=int, default=1,
                        help="oh-gateway server.threads and nginx worker_processes (the same for both)")
    parser.add_argument("--gateway-threads", type=int, help=argparse.SUPPRESS)  # older spelling
    parser.add_argument("--nginx-workers", type=int, help=argparse.SUPPRESS)    # older spelling
    parser.add_argument("--wrk-cpus", default="0", help="CPUs wrk is pinned to ('' = not pinned)")
    parser.add_argument("--proxy-cpus", default="1", help="CPUs the proxies are pinned to ('' = not pinned)")
    parser.add_argument("--app-cpus", default="1", help="CPUs the app container is pinned to ('' = not pinned)")
    parser.add_argument("--no-pin", action="store_true", help="pin nothing (the scheduler places everything)")
    parser.add_argument("--nice", type=int, default=0,
                        help="nice value of wrk, the proxies and the app (e.g. -10 on a machine busy with builds; needs root)")
    parser.add_argument("--access-log", action="store_true",
                        help="access log on in both proxies (gateway: JSON lines to a file; nginx: buffered file)")
    parser.add_argument("--nginx-headers", choices=("same", "minimal"), default="same",
                        help="same: nginx adds the gateway's request and response headers; minimal: X-Forwarded-For only")
    parser.add_argument("--peers", default="gateway,nginx,plain", help="comma list of gateway, nginx, plain, direct")
    parser.add_argument("--many", type=int, default=1000, help="containers known in the second phase")
    parser.add_argument("--profile", type=int, default=0,
                        help="after the phases, perf-record each proxy for this many seconds under load and print "
                             "where its CPU time goes (0: no)")
    parser.add_argument("--instructions", type=int, default=0, metavar="SECONDS",
                        help="also run a gateway under valgrind's callgrind and count, in each phase, the "
                             "instructions per request of its request thread and of its other threads during "
                             "SECONDS of wrk (deterministic where requests/s is not; 0: no)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (configurations, logs)")
    parser.add_argument("--json", help="also write every round's numbers to this file")
    args = parser.parse_args()
    stop_on_sigterm()
    if args.gateway_threads is not None:
        args.proxy_threads = args.gateway_threads
    if args.nginx_workers is not None and args.nginx_workers != args.proxy_threads:
        sys.exit("runtime_bench: use --proxy-threads: the gateway and nginx get the same number")
    if args.no_pin:
        args.wrk_cpus = args.proxy_cpus = args.app_cpus = ""
    args.wrk_cpus, args.proxy_cpus, args.app_cpus = (parse_cpus(c) for c in (args.wrk_cpus, args.proxy_cpus, args.app_cpus))
    if args.threads <= 0:
        args.threads = len(args.wrk_cpus) if args.wrk_cpus else 2
    wanted = [p.strip() for p in args.peers.split(",") if p.strip()]
    if "gateway" not in wanted or "nginx" not in wanted or not set(wanted) <= {"gateway", "nginx", "plain", "direct"}:
        sys.exit("runtime_bench: --peers needs gateway and nginx, and knows gateway, nginx, plain, direct")
    args.gateway = require("runtime_bench", tools=("nginx", "wrk", "podman"), binary=args.gateway, build_hint=BUILD_HINT)
    raise_nofile_limit()

    work = tempfile.mkdtemp(prefix="oh-runtime-bench-")
    os.chmod(work, 0o755)
    started = []
    names = []
    podman = sock = None
    try:
        podman, sock = start_podman(work, args.nice)
        build_image(work, sock)
        app = create(sock, names, 0, True)
        create_many(sock, names, 1, 9)
        ip, app_pid = inspect(sock, app)
        pin_process_tree(app_pid, args.app_cpus, args.nice)
        args.app_pids = [app_pid] + descendants_of(app_pid)
        host = f"80-{conv_id(0)}.{SUFFIX}"
        status, app_headers, payload = get_direct(ip)
        if status != 200:
            raise RuntimeError(f"the app at {ip}:80 answered {status}")

        log = (lambda name: f"{work}/{name}-access.log") if args.access_log else (lambda name: None)
        gateway = start_gateway(args.gateway, work, "gateway", "http://127.0.0.1:9", args.proxy_threads,
                                cpus=args.proxy_cpus, nice=args.nice, access_log=args.access_log,
                                access_log_path=log("gateway"),
                                extra=runtime_toml(sock))
        started.append(gateway)
        wait_for(lambda: get(gateway.port, host)[0] == 200, "the gateway to route to the app")
        _, gateway_headers, body = get(gateway.port, host)
        if body != payload:
            raise RuntimeError("the gateway's answer is not the app's file")
        response_headers = []
        request_headers = FORWARDED_HEADERS
        if args.nginx_headers == "same":
            response_headers = [(k, nginx_quote(v)) for k, v in added_headers(gateway_headers, app_headers)]
        else:
            request_headers = FORWARDED_HEADERS[:1]
        nginx_port = free_port()
        nginx = start_nginx_proxy(work, "proxy", nginx_port, f"{ip}:80", args.proxy_threads, cpus=args.proxy_cpus,
                                  nice=args.nice, keepalive=64, request_headers=request_headers, response_headers=response_headers,
                                  access_log=args.access_log)
        started.append(nginx)
        peers = {
            "gateway": {"port": gateway.port, "cpu_pids": lambda: [gateway.pid]},
            "nginx": {"port": nginx_port, "cpu_pids": lambda: [nginx.pid] + children_of(nginx.pid)},
        }
        if "plain" in wanted:
            # The same binary as a plain reverse proxy to the container (upstream.url = its IP, no
            # runtime routing): separates the routing's cost from the relay's.
            plain = start_gateway(args.gateway, work, "plain", f"http://{ip}:80", args.proxy_threads,
                                  cpus=args.proxy_cpus, nice=args.nice, access_log=args.access_log,
                                  access_log_path=log("plain"))
            started.append(plain)
            peers["plain"] = {"port": plain.port, "cpu_pids": lambda: [plain.pid]}
        for name, peer in peers.items():
            peer["url"] = f"http://127.0.0.1:{peer['port']}{BODY}"
            peer["headers"] = [("Host", host)]
            wait_for(lambda: get(peer["port"], host)[0] == 200, f"{name} to reach the app")
            if get(peer["port"], host)[2] != payload:
                raise RuntimeError(f"{name}'s answer is not the app's file")
        if "direct" in wanted:
            peers["direct"] = {"url": f"http://{ip}:80{BODY}", "headers": [], "cpu_pids": lambda: None}

        peers = {name: peers[name] for name in wanted}
        nginx_added = sorted(k for k, _ in added_headers(get(nginx_port, host)[1], app_headers))

        pins = ("not pinned" if not (args.wrk_cpus or args.proxy_cpus or args.app_cpus) else
                f"pinned: wrk to CPU {sorted(args.wrk_cpus or [])}, proxies to {sorted(args.proxy_cpus or [])}, "
                f"app to {sorted(args.app_cpus or [])}")
        print(f"# runtime-app bench  {time.strftime('%Y-%m-%d %H:%M:%S %Z')}  cores={os.cpu_count()}  "
              f"load={os.getloadavg()[0]:.2f}", flush=True)
        print(f"# wrk -t{args.threads} -c{args.connections} -d{args.duration}s {BODY} (1 KB), {args.rounds} rounds "
              f"interleaved, order reversed every other round, {args.warmup} s warm-up before each run; {pins}")
        print(f"# gateway server.threads = nginx worker_processes = {args.proxy_threads}; 64 idle keep-alive "
              f"connections to the app per thread/worker; access log {'on' if args.access_log else 'off'} in both; "
              f"nice {args.nice}")
        print(f"# response headers added to the app's: gateway {sorted(k for k, _ in added_headers(gateway_headers, app_headers))}; "
              f"nginx {nginx_added}")

        phases = {}
        load_before = os.getloadavg()[0]
        runs = measure_phase(args, peers, "10", host)
        phases["10"] = (runs, (load_before, os.getloadavg()[0]))
        instructions = {}
        if args.instructions > 0:
            instructions["10"] = count_gateway_instructions(args, work, sock, host, host)
        print(f"# creating {args.many - 10} more containers ...", file=sys.stderr, flush=True)
        create_many(sock, names, 10, args.many - 10)
        last = f"80-{conv_id(args.many - 1)}.{SUFFIX}"
        # The last one created is known once the gateway answers 502 (known, not running)
        # instead of 404 (unknown).
        wait_for(lambda: get(gateway.port, last)[0] == 502, "the directory to know every container", 180)
        load_before = os.getloadavg()[0]
        runs = measure_phase(args, peers, str(args.many), host)
        phases[str(args.many)] = (runs, (load_before, os.getloadavg()[0]))
        if args.instructions > 0:
            instructions[str(args.many)] = count_gateway_instructions(args, work, sock, host, last)

        summaries = {label: report_phase(label, runs, load, peers) for label, (runs, load) in phases.items()}
        few, many = summaries["10"], summaries[str(args.many)]
        print(f"\n## flatness: {args.many} / 10 containers known (1.00 = flat)\n")
        for name in peers:
            line = f"- {name}: req/s medians {many[name]['rps']['median'] / few[name]['rps']['median']:.3f}"
            if few[name]["cpu"] and many[name]["cpu"]:
                line += f"; CPU per request {many[name]['cpu']['median'] / few[name]['cpu']['median']:.3f}"
            print(line)
        # The machine's speed drifts between the phases (other processes, placement); the
        # gateway/nginx ratio of each phase cancels that drift.
        g = "gateway"
        line = (f"- gateway relative to nginx (the drift of the machine cancels out): req/s "
                f"{(many[g]['rps']['median'] / many['nginx']['rps']['median']) / (few[g]['rps']['median'] / few['nginx']['rps']['median']):.3f}")
        if few[g]["cpu"] and many[g]["cpu"]:
            line += (f"; CPU per request "
                     f"{(many[g]['cpu']['median'] / many['nginx']['cpu']['median']) / (few[g]['cpu']['median'] / few['nginx']['cpu']['median']):.3f}")
        print(line)
        if instructions:
            report_instructions(instructions, args)
        if args.profile > 0:
            profile(args, work, peers, [n for n in ("gateway", "plain", "nginx") if n in peers])
        print(f"\n# load average at the end {os.getloadavg()[0]:.2f}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump({label: {"load": load, "runs": runs} for label, (runs, load) in phases.items()}, f, indent=1)
    finally:
        stop_all(started)
        if sock and names:
            remove_all(sock, names)
        if podman:
            podman.stop()
        if args.keep:
            print(f"# kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
