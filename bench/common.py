"""What the benchmarks share: processes stopped by PID, CPU pinning, nginx and oh-gateway
configurations, wrk runs and their parsing, interleaved rounds and their statistics.

Imported by bench/gateway/bench.py, bench/gateway/signin_bench.py, bench/runtime/runtime_bench.py,
bench/control/sandbox_api_bench.py and bench/control/appserver_bench.py (each puts bench/ on
sys.path first). Python 3 standard library
only. Nothing here asserts: the scripts measure and print.
"""

import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

# The release preset's build directory and the one target the benchmarks need.
DEFAULT_GATEWAY = "build/release/src/gateway/oh-gateway"
BUILD_HINT = "cmake --preset release && cmake --build build/release --target oh-gateway -j2"

# ---------------------------------------------------------------------------------------
# ports and processes


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=20.0, host="127.0.0.1"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout} s")


def parse_cpus(text):
    """"0", "0-1", "0,2" -> {0, 1, ...}; "" or None -> None (no pinning)."""
    if not text:
        return None
    cpus = set()
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return cpus


def preexec(cpus, nice=0):
    """A preexec_fn that pins the child (and every thread and child it makes later) to cpus,
    the same as `taskset -c` without depending on util-linux, and sets its nice value (as
    `nice -n`; below 0 needs root)."""
    if not cpus and not nice:
        return None

    def preexec():
        if cpus:
            os.sched_setaffinity(0, cpus)
        if nice:
            os.setpriority(os.PRIO_PROCESS, 0, nice)
    return preexec


def pin_process_tree(pid, cpus, nice=0):
    """Pins (and renices) a running process, all its threads and its descendants (a
    container's processes, started by someone else)."""
    if not cpus and not nice:
        return
    for p in [pid] + descendants_of(pid):
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                if cpus:
                    os.sched_setaffinity(int(tid), cpus)
                if nice:
                    os.setpriority(os.PRIO_PROCESS, int(tid), nice)
        except OSError:
            continue


class Proc:
    """A child process stopped by PID: SIGTERM, then SIGKILL after a grace period. `helpers`
    (e.g. the `cat` draining its stdout) are stopped with it."""

    def __init__(self, name, argv, cpus=None, nice=0, **kwargs):
        self.name = name
        self.popen = subprocess.Popen(argv, preexec_fn=preexec(cpus, nice), **kwargs)
        self.pid = self.popen.pid
        self.helpers = []

    def stop(self, grace=10.0):
        if self.popen.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait()
        for helper in self.helpers:
            helper.stop()


def stop_on_sigterm():
    """SIGTERM ends the script through SystemExit, so its `finally` stops what it started."""
    def handler(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)


def stop_all(procs):
    """Stops in reverse start order, and empties the list."""
    for proc in reversed(procs):
        proc.stop()
    procs.clear()


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


def descendants_of(pid):
    found = []
    for child in children_of(pid):
        found += [child] + descendants_of(child)
    return found


def cpu_seconds(pids):
    """utime + stime of the processes (each process's figure covers all its threads)."""
    if isinstance(pids, int):
        pids = [pids]
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            continue
    return total / ticks


def raise_nofile_limit(want=65536):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = want if hard == resource.RLIM_INFINITY else min(hard, want)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, ceiling), hard))


def require(prog, tools=("nginx", "wrk"), binary=None, build_hint=""):
    """Exits with a message when a tool or the gateway binary is missing; returns the binary's
    absolute path."""
    for tool in tools:
        if shutil.which(tool) is None:
            sys.exit(f"{prog}: {tool} not found (apt-get install -y {tool})")
    if binary is None:
        return None
    if not os.access(binary, os.X_OK):
        sys.exit(f"{prog}: {binary} is not an executable; build it: {build_hint}")
    return os.path.abspath(binary)


def load_note():
    return f"cores={os.cpu_count()}  load={os.getloadavg()[0]:.1f}"


# ---------------------------------------------------------------------------------------
# nginx


def nginx_common(work, name):
    return f"""
pid {work}/{name}.pid;
error_log {work}/{name}-error.log warn;
worker_rlimit_nofile 65536;
events {{ worker_connections 8192; }}
"""


def start_nginx(work, name, conf, port, cpus=None, nice=0):
    path = f"{work}/{name}.conf"
    with open(path, "w") as f:
        f.write(conf)
    proc = Proc(
        f"nginx-{name}",
        ["nginx", "-p", work + "/", "-e", f"{work}/{name}-early.log", "-c", path, "-g", "daemon off;"],
        cpus=cpus,
        nice=nice,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return proc


def start_nginx_static(work, port, name="upstream", cpus=None):
    """nginx (1 worker) serving {work}/www."""
    conf = f"""worker_processes 1;
{nginx_common(work, name)}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path {work}/tmp-{name}-body;
  proxy_temp_path {work}/tmp-{name}-proxy;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    root {work}/www;
    location / {{ }}
  }}
}}
"""
    return start_nginx(work, name, conf, port, cpus)


# The request headers oh-gateway adds on its way to the upstream (docs/request-path.md); a proxy
# nginx sets the same ones so both do the same work.
FORWARDED_HEADERS = (
    ("X-Forwarded-For", "$proxy_add_x_forwarded_for"),
    ("X-Real-IP", "$remote_addr"),
    ("X-Forwarded-Proto", "$scheme"),
    ("X-Forwarded-Host", "$host"),
)


def nginx_proxy_conf(work, name, port, upstream, workers, keepalive=64, websocket=True,
                     request_headers=FORWARDED_HEADERS, response_headers=(), access_log=False):
    """A reverse proxy to `upstream` ("host:port") with a keep-alive pool of `keepalive` idle
    connections per worker, as oh-gateway's upstream.pool_max_idle_per_thread. With
    access_log, one line per request to {work}/{name}-access.log (buffered, as the gateway's)."""
    if websocket:
        upgrade_map = "map $http_upgrade $connection_upgrade { default upgrade; '' ''; }\n"
        connection = ["proxy_set_header Upgrade $http_upgrade;", "proxy_set_header Connection $connection_upgrade;"]
    else:
        upgrade_map = ""
        connection = ['proxy_set_header Connection "";']
    directives = ["proxy_pass http://backend;", "proxy_http_version 1.1;", "proxy_set_header Host $host;"]
    directives += connection
    directives += [f"proxy_set_header {k} {v};" for k, v in request_headers]
    directives += [f"add_header {k} {v} always;" for k, v in response_headers]
    directives.append("proxy_read_timeout 300s;")
    body = "\n      ".join(directives)
    log = f"access_log {work}/{name}-access.log combined buffer=64k flush=1s;" if access_log else "access_log off;"
    conf = f"""worker_processes {workers};
{nginx_common(work, name)}
http {{
  {log}
  client_body_temp_path {work}/tmp-{name}-body;
  proxy_temp_path {work}/tmp-{name}-proxy;
  {upgrade_map}
  upstream backend {{
    server {upstream};
    keepalive {keepalive};
    keepalive_requests 1000000;
    keepalive_timeout 60s;
  }}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    location / {{
      {body}
    }}
  }}
}}
"""
    return conf


def start_nginx_proxy(work, name, port, upstream, workers, cpus=None, nice=0, **kwargs):
    return start_nginx(work, name, nginx_proxy_conf(work, name, port, upstream, workers, **kwargs), port, cpus, nice)


# ---------------------------------------------------------------------------------------
# oh-gateway

PLAIN_AUTH = '[auth]\nprovider = "none"\n'


def gateway_toml(upstream_url, threads, auth_config=PLAIN_AUTH, listen_port=0, access_log=False,
                 pool_max_idle=64, extra=""):
    """A local-mode configuration measuring the proxy: origin check and rate limit off, admin
    listener on an ephemeral port. auth_config is the [auth] table (plain proxying by default);
    extra is appended (e.g. a [runtime] table)."""
    return f"""mode = "local"

[server]
listen_address = "127.0.0.1"
listen_port = {listen_port}
threads = {threads}
client_idle_timeout_seconds = 75

[upstream]
url = "{upstream_url}"
pool_max_idle_per_thread = {pool_max_idle}
pool_idle_timeout_seconds = 60

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
access_log = {"true" if access_log else "false"}

{auth_config}
{extra}"""


def start_gateway(binary, work, name, upstream_url, threads, cpus=None, nice=0, access_log_path=None, wrapper=(),
                  **toml):
    """Starts oh-gateway with gateway_toml(...) and returns its Proc with .port (read from the
    "listening on" line). stdout (the access log, when on) goes to access_log_path or nowhere.
    wrapper: a command the gateway runs under (callgrind_argv(...))."""
    path = f"{work}/{name}.toml"
    with open(path, "w") as f:
        f.write(gateway_toml(upstream_url, threads, **toml))
    log = open(f"{work}/{name}.log", "w")
    proc = Proc(name, [*wrapper, binary, "--config", path], cpus=cpus, nice=nice, stdout=subprocess.PIPE, stderr=log,
                text=True)
    line = proc.popen.stdout.readline()
    match = re.search(r"listening on [^ ]*:(\d+)", line)
    if not match:
        proc.stop()
        raise RuntimeError(f"{name}: no listening line, got {line!r}; see {work}/{name}.log")
    # Keep draining stdout so the gateway never blocks on a full pipe.
    sink = open(access_log_path, "w") if access_log_path else subprocess.DEVNULL
    proc.helpers.append(Proc(f"{name}-stdout", ["cat"], stdin=proc.popen.stdout, stdout=sink))
    proc.port = int(match.group(1))
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


def parse_wrk(out):
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = int(errors.group(1)) if errors else 0
    return {
        "rps": rps,
        # wrk counts error answers as requests: a proxy answering 503 fast looks fast.
        "ok_rps": rps * (requests - non2xx) / requests if requests else 0.0,
        "requests": requests,
        "p50": to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99": to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "non2xx": non2xx,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def run_wrk(url, threads, connections, seconds, headers=(), cpus=None, cpu_pids=None, nice=0):
    """One wrk run (with --latency). headers: (name, value) pairs. cpu_pids: processes whose
    CPU time during the run is divided by the requests into "cpu_us_per_request"."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers:
        argv += ["-H", f"{name}: {value}"]
    before = cpu_seconds(cpu_pids) if cpu_pids else 0.0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv + [url], check=True, capture_output=True, text=True,
                         timeout=seconds + 60, preexec_fn=preexec(cpus, nice)).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = parse_wrk(out)
    requests = max(result["requests"], 1)
    if cpu_pids:
        result["cpu_us_per_request"] = (cpu_seconds(cpu_pids) - before) * 1e6 / requests
    # wrk is the only child reaped meanwhile: its own CPU time.
    result["wrk_cpu_us_per_request"] = ((after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)) * 1e6 / requests
    return result


# ---------------------------------------------------------------------------------------
# callgrind: instructions executed, a count that does not depend on what else the machine runs


def callgrind_argv(out_file):
    """valgrind's callgrind, not instrumenting until told (start-up and warm-up are not counted);
    each thread's counts in a file of its own."""
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes",
            f"--callgrind-out-file={out_file}", "-q"]


def callgrind_control(pid, *flags):
    subprocess.run(["callgrind_control", *flags, str(pid)], check=True, capture_output=True)


def callgrind_totals(path):
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"{path}: no totals line")


def count_instructions(pid, out_prefix, run):
    """Instruments process `pid` (started with callgrind_argv(out_prefix + ".%p")), calls run(),
    and returns (run's result, {dump file: instructions}) for what executed during run(), one
    file per thread that ran."""
    work = os.path.dirname(out_prefix)
    base = os.path.basename(out_prefix)
    before = set(os.listdir(work))
    callgrind_control(pid, "-i", "on")
    callgrind_control(pid, "-z")
    result = run()
    callgrind_control(pid, "-d")
    callgrind_control(pid, "-i", "off")
    dumps = sorted(p for p in set(os.listdir(work)) - before if p.startswith(base + "."))
    return result, {os.path.join(work, d): callgrind_totals(os.path.join(work, d)) for d in dumps}


# ---------------------------------------------------------------------------------------
# rounds and statistics


def interleaved(targets, rounds, measure, warmup=None, on_round=None):
    """Runs measure(name, target) for every target, `rounds` times, the order reversed every
    other round (A B, B A, A B ...: a drift of the machine's speed during the run falls on every
    target alike). warmup(name, target), if given, runs right before each measured run.
    Returns name -> [result per round]."""
    runs = {name: [] for name in targets}
    for r in range(rounds):
        order = list(targets.items())
        if r % 2 == 1:
            order.reverse()
        for name, target in order:
            if warmup:
                warmup(name, target)
            runs[name].append(measure(name, target))
        if on_round:
            on_round(r, runs)
    return runs


def proxy_rounds(targets, rounds, seconds, run, paths=("1k.bin", "64k.bin")):
    """bench/gateway/bench.py's method: for each body, a 2 s warm-up of every target
    (connections, pools, page cache), then `rounds` interleaved runs of `seconds`.
    run(target, path, seconds) is one wrk run. Returns {(path, name): the median run}."""
    results = {}
    for path in paths:
        for target in targets.values():
            run(target, path, 2)
        runs = interleaved(targets, rounds, lambda name, target: run(target, path, seconds))
        for name, measured in runs.items():
            results[(path, name)] = median_run(measured)
    return results


def print_proxy_tables(results, paths=("1k.bin", "64k.bin"), goal=""):
    """The tables of proxy_rounds' results for targets direct, nginx and gateway."""
    print("\n| body | target | req/s | p50 ms | p99 ms | non-2xx | runs req/s |")
    print("|---|---|---:|---:|---:|---:|---|")
    for (path, name), r in results.items():
        print(f"| {path} | {name} | {r['rps']:.0f} | {r['p50']:.3f} | {r['p99']:.3f} | {r['non2xx']} | {r['all_rps']} |")
    print(f"\n| body | gateway/nginx req/s{goal} | gateway/nginx p99 | gateway/direct req/s |")
    print("|---|---:|---:|---:|")
    for path in paths:
        g, n, d = results[(path, "gateway")], results[(path, "nginx")], results[(path, "direct")]
        print(f"| {path} | {g['rps'] / n['rps']:.3f} | {g['p99'] / n['p99']:.2f} | {g['rps'] / d['rps']:.2f} |")


def median_run(runs, key="rps"):
    """The run whose `key` is the median (the upper one of an even count); it gains "all_rps"."""
    median = dict(sorted(runs, key=lambda x: x[key])[len(runs) // 2])
    median["all_rps"] = [round(x["rps"]) for x in runs]
    return median


def spread(values):
    """median, min, max and the interquartile range (q1, q3) of a list of numbers."""
    values = sorted(values)
    if len(values) >= 2:
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    else:
        q1 = q3 = values[0]
    return {"median": statistics.median(values), "min": values[0], "max": values[-1], "q1": q1, "q3": q3}
