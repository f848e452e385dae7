"""Benchmark driver: poolwarden vs an SDK-based baseline against poolwarden-sim.

Per scenario (P pools, A accounts, I image versions): start the simulator (HTTPS, accelerated
time) with a generated world; run `poolwarden run` from empty until a cycle reports converged,
then K steady cycles; reset the world and do the same with baseline.py. Azure calls come from the
simulator's request log (cleared between phases and cycles), CPU time from /proc/<pid>/stat,
peak RSS from VmHWM, poolwarden's cycle wall time from its own cycle-duration histogram.

Writes benchmarks/results/results.json, results.md and results.png (gnuplot). Run with
/usr/bin/python3 (Debian's azure SDK). See README.md, section Benchmarks.
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scenario  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def memory_kib(pid, key="VmHWM"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Sim:
    def __init__(self, binary, workdir, world_file, time_scale):
        self.ca = os.path.join(workdir, "sim-ca.pem")
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--tls", "--tls-ca-out", self.ca, "--state", world_file,
             "--time-scale", str(time_scale), "--lro-retry-after", "1",
             "--request-log-limit", "10000000"],
            stdout=subprocess.PIPE, stderr=open(os.path.join(workdir, "sim.log"), "w"), text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError(f"simulator did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])
        self.url = f"https://127.0.0.1:{self.port}"
        self.ctx = ssl.create_default_context(cafile=self.ca)

    def admin(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}/_sim/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=self.ctx, timeout=300) as r:
            text = r.read()
            return json.loads(text) if text else None

    def clear(self):
        self.admin("DELETE", "requests")

    def calls(self):
        """Azure calls since the last clear: reads, writes, token requests, by operation."""
        reqs = self.admin("GET", "requests")["requests"]
        out = {"reads": 0, "writes": 0, "tokens": 0, "errors": 0, "byOp": {}}
        for r in reqs:
            path = r["path"]
            if path.startswith("/_sim/"):
                continue
            if "/oauth2/" in path or path.startswith("/metadata/"):
                out["tokens"] += 1
                continue
            write = r["method"] not in ("GET", "HEAD")
            out["writes" if write else "reads"] += 1
            if r.get("status", 200) >= 400 and r.get("status") != 404:
                out["errors"] += 1
            op = f"{r['method']} {Classify(path)}"
            out["byOp"][op] = out["byOp"].get(op, 0) + 1
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def Classify(path):
    p = path.split("?", 1)[0]
    if "/batch/" in p:
        tail = p.split("/batch/", 1)[1].split("/", 1)
        rest = tail[1] if len(tail) > 1 else ""
        if rest == "pools":
            return "batch /pools"
        if rest.startswith("pools/"):
            return "batch /pools/{id}" + ("/" + rest.split("/", 2)[2] if rest.count("/") > 1 else "")
        return "batch " + rest
    if "/versions/" in p:
        return "arm imageVersion"
    if "/images/" in p:
        return "arm image"
    if "batchAccounts" in p:
        return "arm batchAccount"
    if "/operations/" in p or "Operation" in p:
        return "arm operation"
    return "arm other"


def reset_peak_rss(pid):
    """Resets VmHWM to the current RSS (Linux >= 4.0), so that a later read is the peak of
    what came after."""
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def fetch(port, path):
    """GETs an observability endpoint; returns (body bytes, wall seconds)."""
    t0 = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as r:
        body = r.read()
    return body, time.monotonic() - t0


def scrape(port):
    text = fetch(port, "/metrics")[0].decode()
    vals = {}
    for line in text.splitlines():
        m = re.match(r"^(poolwarden_reconcile_cycle_duration_seconds_(?:sum|count))\s+(\S+)", line)
        if m:
            vals[m.group(1)] = float(m.group(2))
    return vals


class Daemon:
    def __init__(self, binary, workdir):
        self.log_path = os.path.join(workdir, "poolwarden.log")
        self.proc = subprocess.Popen(
            [binary, "run", "--config", os.path.join(workdir, "poolwarden.yaml"),
             "--log-format", "json"],
            stdout=subprocess.DEVNULL, stderr=open(self.log_path, "w"))
        self.log = open(self.log_path)
        self.buf = ""

    def next_cycle(self, timeout):
        """Blocks until the next `cycle` log line; returns its fields."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            chunk = self.log.read()
            if chunk:
                self.buf += chunk
            while "\n" in self.buf:
                line, self.buf = self.buf.split("\n", 1)
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if rec.get("msg") == "cycle":
                    return rec
            if self.proc.poll() is not None:
                raise RuntimeError(f"poolwarden exited with {self.proc.returncode}; "
                                   f"see {self.log_path}")
            time.sleep(0.02)
        raise TimeoutError("no reconcile cycle within the timeout")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_poolwarden(sim, binary, workdir, metrics_port, cycles, converge_timeout):
    sim.clear()
    t0 = time.monotonic()
    d = Daemon(binary, workdir)
    try:
        n = 0
        while True:
            rec = d.next_cycle(max(1.0, converge_timeout - (time.monotonic() - t0)))
            n += 1
            if rec.get("converged") == "true":
                break
        converge = {"wall": time.monotonic() - t0, "cycles": n, **sim.calls()}
        converge["peakRssKiB"] = memory_kib(d.proc.pid, "VmHWM")
        log(f"poolwarden converged in {converge['wall']:.1f}s, {n} cycles, "
            f"{converge['reads']} reads, {converge['writes']} writes, "
            f"peak RSS {converge['peakRssKiB'] / 1024:.1f} MiB")
        # The steady-state peak is measured on its own from here (VmHWM reset to the current
        # RSS): K cycles plus a /metrics and a /status scrape.
        reset_peak_rss(d.proc.pid)
        steady = []
        # One warm-up cycle (token buckets refill after convergence), then K measured cycles.
        # /metrics is scraped only before and after them (the exposition of 10 000 pools costs
        # CPU of its own): the cycle wall time is the mean of the daemon's cycle histogram.
        d.next_cycle(120)
        time.sleep(0.3)
        m0 = scrape(metrics_port)
        sim.clear()
        c0 = cpu_seconds(d.proc.pid)
        s0 = cpu_seconds(sim.proc.pid)
        for _ in range(cycles):
            # CPU from one cycle line to the next: the whole cycle, including the publishing of
            # the previous one's status (logged after its cycle line), and the idle wait.
            rec = d.next_cycle(120)
            c1 = cpu_seconds(d.proc.pid)
            s1 = cpu_seconds(sim.proc.pid)
            calls = sim.calls()
            sim.clear()
            steady.append({"cpu": c1 - c0, "simCpu": s1 - s0,
                           "converged": rec.get("converged") == "true",
                           "daemonReads": int(rec.get("azureReads", "0")), **calls})
            log(f"poolwarden cycle: {c1 - c0:.2f}s cpu (sim {s1 - s0:.2f}s), "
                f"{calls['reads']} reads, {calls['writes']} writes")
            c0, s0 = c1, s1
        time.sleep(0.3)
        m1 = scrape(metrics_port)
        metrics_text, metrics_wall = fetch(metrics_port, "/metrics")
        status_text, status_wall = fetch(metrics_port, "/status")
        scrapes = {"metricsBytes": len(metrics_text), "metricsWall": metrics_wall,
                   "statusBytes": len(status_text), "statusWall": status_wall}
        log(f"scrapes: /metrics {len(metrics_text)} bytes in {metrics_wall:.3f}s, "
            f"/status {len(status_text)} bytes in {status_wall:.3f}s")
        dc = m1["poolwarden_reconcile_cycle_duration_seconds_count"] - \
            m0["poolwarden_reconcile_cycle_duration_seconds_count"]
        ds = m1["poolwarden_reconcile_cycle_duration_seconds_sum"] - \
            m0["poolwarden_reconcile_cycle_duration_seconds_sum"]
        for s in steady:
            s["wall"] = ds / dc if dc else None
        log(f"poolwarden steady cycles: {ds / dc if dc else float('nan'):.3f}s wall (mean of {dc:g})")
        return {"converge": converge, "steady": steady, "scrapes": scrapes,
                "peakRssKiB": max(converge["peakRssKiB"], memory_kib(d.proc.pid, "VmHWM")),
                "steadyPeakRssKiB": memory_kib(d.proc.pid, "VmHWM"),
                "rssKiB": memory_kib(d.proc.pid, "VmRSS")}
    finally:
        d.stop()


def run_baseline(sim, workdir, cycles, converge_timeout, from_empty=True):
    sim.clear()
    t0 = time.monotonic()
    env = dict(os.environ, REQUESTS_CA_BUNDLE=sim.ca, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.Popen(
        ["/usr/bin/python3", os.path.join(HERE, "baseline.py"), "--url", sim.url, "--ca", sim.ca,
         "--desired", os.path.join(workdir, "desired.json")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=open(os.path.join(workdir, "baseline.log"), "w"), text=True, env=env)

    def one():
        proc.stdin.write("cycle\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"baseline exited; see {workdir}/baseline.log")
        return json.loads(line)

    try:
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"baseline did not start; see {workdir}/baseline.log")
        n = 0
        while from_empty:
            r = one()
            n += 1
            if r["writes"] == 0 and r["waiting"] == 0 and r["errors"] == 0:
                break
            if time.monotonic() - t0 > converge_timeout:
                raise TimeoutError("baseline did not converge")
            if r["writes"] == 0:
                time.sleep(1)
        converge = {"wall": time.monotonic() - t0, "cycles": n, **sim.calls()}
        log(f"baseline converged in {converge['wall']:.1f}s, {n} cycles, "
            f"{converge['reads']} reads, {converge['writes']} writes")
        steady = []
        for _ in range(cycles):
            sim.clear()
            c0 = cpu_seconds(proc.pid)
            s0 = cpu_seconds(sim.proc.pid)
            r = one()
            c1 = cpu_seconds(proc.pid)
            s1 = cpu_seconds(sim.proc.pid)
            calls = sim.calls()
            steady.append({"wall": r["wall"], "cpu": c1 - c0, "simCpu": s1 - s0,
                           "converged": r["writes"] == 0 and r["waiting"] == 0, **calls})
            log(f"baseline cycle: {r['wall']:.3f}s wall, {c1 - c0:.2f}s cpu, "
                f"{calls['reads']} reads, {calls['writes']} writes")
        return {"converge": converge, "steady": steady,
                "peakRssKiB": memory_kib(proc.pid, "VmHWM"),
                "rssKiB": memory_kib(proc.pid, "VmRSS")}
    finally:
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def summarize(run):
    st = run["steady"]
    return {"convergeWall": run["converge"]["wall"], "convergeCalls":
            run["converge"]["reads"] + run["converge"]["writes"],
            "convergeWrites": run["converge"]["writes"],
            "cycleWall": median([s["wall"] for s in st]), "cycleCpu": median([s["cpu"] for s in st]),
            "cycleReads": max(s["reads"] for s in st), "cycleWrites": max(s["writes"] for s in st),
            "peakRssMiB": run["peakRssKiB"] / 1024,
            "convergePeakRssMiB": run["converge"].get("peakRssKiB", run["peakRssKiB"]) / 1024,
            "steadyPeakRssMiB": run.get("steadyPeakRssKiB", run["peakRssKiB"]) / 1024}


def run_scenario(args, p_count, cycles, baseline_cycles):
    images = args.images
    regions = scenario.default_regions(p_count, images)
    workdir = tempfile.mkdtemp(prefix=f"pw-bench-{p_count}-")
    log(f"scenario P={p_count} A={args.accounts} I={images} in {workdir}")
    scenario.write_world(workdir, args.accounts, images, regions)
    world_file = os.path.join(workdir, "world.json")
    if args.start_world:
        # A world poolwarden converged before (--save-world): the "converge" figures are then
        # those of a start on 10 000 existing pools, and the steady state is reached at once.
        shutil.copyfile(args.start_world, world_file)
    sim = Sim(args.sim, workdir, world_file, args.time_scale)
    result = {"pools": p_count, "accounts": args.accounts, "images": images, "regions": regions,
              "target": {"reads": args.accounts * math.ceil(p_count / args.accounts / 1000)
                         + images}}
    try:
        metrics_port = free_port()
        scenario.write_config(workdir, p_count, args.accounts, images, sim.url, sim.ca,
                              interval=args.interval, listen=f"127.0.0.1:{metrics_port}",
                              file_per_100=args.file_per_100, regions=regions,
                              spread=args.spread_versions)
        result["poolwarden"] = run_poolwarden(sim, args.poolwarden, workdir, metrics_port,
                                              cycles, args.converge_timeout)
        result["poolwarden"]["summary"] = summarize(result["poolwarden"])
        result["poolwarden"]["startWorld"] = bool(args.start_world)
        if args.save_world and not args.start_world:
            with open(args.save_world, "w") as f:
                json.dump(sim.admin("GET", "state"), f)
        if not args.no_baseline:
            from_empty = p_count <= args.baseline_converge_max and not args.start_world
            if from_empty:
                with open(world_file) as f:
                    sim.admin("PUT", "world", json.load(f))
            result["baseline"] = run_baseline(sim, workdir, baseline_cycles,
                                              args.converge_timeout, from_empty)
            result["baseline"]["fromEmpty"] = from_empty
            result["baseline"]["summary"] = summarize(result["baseline"])
    finally:
        sim.stop()
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def peak(run, s):
    """Peak RSS cell: `converge / steady` when the steady phase was measured on its own."""
    if "steadyPeakRssKiB" not in run or not run.get("fromEmpty", True):
        return f"{s['peakRssMiB']:.1f}"
    return f"{s['convergePeakRssMiB']:.1f} / {s['steadyPeakRssMiB']:.1f}"


def ratio(a, b):
    return None if not a or b is None else b / a


def markdown(results, meta):
    lines = [f"Benchmarks ({meta['date']}, {meta['host']}; {meta['note']})", "",
             "| P | A | I | who | converge wall s | converge calls (writes) | steady cycle wall s |"
             " CPU s/cycle | reads/cycle | writes/cycle | peak RSS MiB: converge / steady |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        for who in ("poolwarden", "baseline"):
            if who not in r:
                continue
            s = r[who]["summary"]
            conv = (f"{s['convergeWall']:.1f} | {s['convergeCalls']} ({s['convergeWrites']})"
                    if r[who].get("fromEmpty", True) else "not run | not run")
            if r[who].get("startWorld"):
                conv = "converged world | converged world"
            lines.append(
                f"| {r['pools']} | {r['accounts']} | {r['images']} | {who} | {conv} | "
                f"{fmt(s['cycleWall'], '.3f')} | {fmt(s['cycleCpu'], '.2f')} | "
                f"{s['cycleReads']} | {s['cycleWrites']} | {peak(r[who], s)} |")
    lines += ["", "| P | baseline/poolwarden cycle wall | baseline/poolwarden calls per cycle |"
                  " baseline/poolwarden CPU | read target (A*ceil(P/A/1000)+I) |",
              "|---|---|---|---|---|"]
    for r in results:
        if "baseline" not in r:
            continue
        a, b = r["poolwarden"]["summary"], r["baseline"]["summary"]
        lines.append(
            f"| {r['pools']} | {fmt(ratio(a['cycleWall'], b['cycleWall']), '.1f')}x | "
            f"{fmt(ratio(a['cycleReads'] + a['cycleWrites'], b['cycleReads'] + b['cycleWrites']), '.1f')}x | "
            f"{fmt(ratio(a['cycleCpu'], b['cycleCpu']), '.1f')}x | {r['target']['reads']} |")
    lines += ["", "Scrapes after the steady cycles (poolwarden):"]
    for r in results:
        sc = r["poolwarden"].get("scrapes")
        if sc:
            lines.append(f"- P={r['pools']}: /metrics {sc['metricsBytes'] / 1e6:.2f} MB in "
                         f"{sc['metricsWall']:.3f} s, /status {sc['statusBytes'] / 1e6:.2f} MB in "
                         f"{sc['statusWall']:.3f} s")
    lines += ["", "Targets:"]
    for r in results:
        s = r["poolwarden"]["summary"]
        checks = []
        if r["pools"] == 1000:
            checks = [("reads <= target", s["cycleReads"] <= r["target"]["reads"]),
                      ("0 writes", s["cycleWrites"] == 0),
                      ("cycle < 0.5 s", s["cycleWall"] is not None and s["cycleWall"] < 0.5),
                      ("peak RSS < 50 MB", s["peakRssMiB"] * 1.048576 < 50)]
            if "baseline" in r:
                b = r["baseline"]["summary"]
                checks += [("10x faster", (ratio(s["cycleWall"], b["cycleWall"]) or 0) >= 10),
                           ("20x fewer calls",
                            (ratio(s["cycleReads"] + s["cycleWrites"],
                                   b["cycleReads"] + b["cycleWrites"]) or 0) >= 20)]
        elif r["pools"] == 10000:
            checks = [("cycle < 3 s", s["cycleWall"] is not None and s["cycleWall"] < 3),
                      ("peak RSS < 150 MB", s["peakRssMiB"] * 1.048576 < 150),
                      ("CPU per cycle <= 0.2 s",
                       s["cycleCpu"] is not None and s["cycleCpu"] <= 0.2),
                      ("steady peak RSS <= 48 MB", s["steadyPeakRssMiB"] * 1.048576 <= 48),
                      ("convergence peak RSS <= 48 MB",
                       s["convergePeakRssMiB"] * 1.048576 <= 48),
                      ("reads <= target", s["cycleReads"] <= r["target"]["reads"]),
                      ("0 writes", s["cycleWrites"] == 0)]
        if checks:
            lines.append(f"- P={r['pools']}: " + ", ".join(
                f"{name} {'PASS' if ok else 'MISS'}" for name, ok in checks))
    return "\n".join(lines) + "\n"


def chart(results, out_png, workdir):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        log("gnuplot not found (apt-get install gnuplot-nox): no chart")
        return False
    data = os.path.join(workdir, "chart.dat")
    with open(data, "w") as f:
        for r in results:
            a = r["poolwarden"]["summary"]
            b = r.get("baseline", {}).get("summary")
            f.write(f"{r['pools']} {a['cycleWall']} {a['cycleReads'] + a['cycleWrites']} "
                    f"{b['cycleWall'] if b else 'NaN'} "
                    f"{(b['cycleReads'] + b['cycleWrites']) if b else 'NaN'}\n")
    script = f"""
set terminal pngcairo size 1100,450 noenhanced
set output '{out_png}'
set multiplot layout 1,2 title 'poolwarden vs SDK baseline (steady-state cycle, poolwarden-sim)'
set logscale xy
set grid
set key top left
set xlabel 'pools (P)'
set ylabel 'seconds per cycle'
set title 'cycle wall time'
plot '{data}' using 1:2 with linespoints lw 2 pt 7 title 'poolwarden', \\
     '{data}' using 1:4 with linespoints lw 2 pt 5 title 'baseline (azure SDK)'
set ylabel 'Azure calls per cycle'
set title 'Azure calls per steady cycle'
plot '{data}' using 1:3 with linespoints lw 2 pt 7 title 'poolwarden', \\
     '{data}' using 1:5 with linespoints lw 2 pt 5 title 'baseline (azure SDK)'
unset multiplot
"""
    proc = subprocess.run([gnuplot], input=script, text=True, capture_output=True)
    if proc.returncode != 0:
        # pngcairo may be missing from gnuplot-nox builds; the plain png terminal is not.
        script = script.replace("pngcairo", "png")
        proc = subprocess.run([gnuplot], input=script, text=True, capture_output=True)
    if proc.returncode != 0:
        log(f"gnuplot failed: {proc.stderr.strip()}")
        return False
    return True


def main():
    root = os.path.dirname(HERE)
    build = os.environ.get("PW_BUILD_DIR", os.path.join(root, "build", "bench"))
    ap = argparse.ArgumentParser(description="poolwarden benchmarks")
    ap.add_argument("--quick", action="store_true", help="P = 100 and 1000 only")
    ap.add_argument("--pools", type=int, nargs="*", help="scenarios (default 100 1000 10000)")
    ap.add_argument("--accounts", type=int, default=10)
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--cycles", type=int, default=5, help="steady cycles measured (poolwarden)")
    ap.add_argument("--baseline-cycles", type=int, default=3)
    ap.add_argument("--interval", default="6s",
                    help="reconcile.interval; I version reads per interval must fit the "
                         "client's ARM read budget (limits.armReads: burst 250, 25/s) or "
                         "cycles wait for tokens")
    ap.add_argument("--time-scale", type=float, default=600)
    ap.add_argument("--converge-timeout", type=float, default=3600)
    ap.add_argument("--file-per-100", action="store_true",
                    help="one pool file per 100 pools instead of one per account")
    ap.add_argument("--spread-versions", action="store_true",
                    help="pool n uses version n %% I, so that all I versions are in use even "
                         "when P/A < I (e.g. P=1000 A=10 I=200)")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--baseline-converge-max", type=int, default=1000,
                    help="larger scenarios run the baseline on the world poolwarden converged "
                         "(its convergence from empty would take tens of minutes)")
    ap.add_argument("--save-world", metavar="FILE",
                    help="save the simulator's world once poolwarden converged (one scenario)")
    ap.add_argument("--start-world", metavar="FILE",
                    help="start from a world saved with --save-world instead of an empty one: "
                         "steady-state figures in a minute; the converge columns then describe a "
                         "start on the existing pools")
    ap.add_argument("--keep", action="store_true", help="keep the work directories")
    ap.add_argument("--pool-api", choices=["batch", "arm"], default="batch",
                    help="accounts[].poolApi of every account (arm: pools through ARM)")
    ap.add_argument("--merge", action="store_true",
                    help="keep the other scenarios of an existing results.json")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--poolwarden", default=os.path.join(build, "daemon", "poolwarden"))
    ap.add_argument("--sim", default=os.path.join(build, "simulator", "poolwarden-sim"))
    args = ap.parse_args()
    scenario.POOL_API = args.pool_api
    sizes = args.pools or ([100, 1000] if args.quick else [100, 1000, 10000])
    for b in (args.poolwarden, args.sim):
        if not os.access(b, os.X_OK):
            sys.exit(f"missing binary {b}: build it or set PW_BUILD_DIR")
    os.makedirs(args.out, exist_ok=True)
    results = []
    previous = os.path.join(args.out, "results.json")
    if args.merge and os.path.exists(previous):
        with open(previous) as f:
            results = [r for r in json.load(f)["scenarios"] if r["pools"] not in sizes]
    for p in sizes:
        bc = args.baseline_cycles if p < 10000 else 1
        results.append(run_scenario(args, p, args.cycles, bc))
        results.sort(key=lambda r: r["pools"])
        write_results(args, results)


def write_results(args, results):
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "host": f"{platform.node()}, {os.cpu_count()} CPUs",
            "note": "loopback, HTTPS, simulator at "
                    f"{args.time_scale:g}x time, reconcile.interval {args.interval}; "
                    "indicative only: the machine is shared",
            "poolwarden": args.poolwarden}
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "scenarios": results}, f, indent=1)
    md = markdown(results, meta)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md)
    tmp = tempfile.mkdtemp(prefix="pw-bench-chart-")
    chart(results, os.path.join(args.out, "results.png"), tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    print(md)


if __name__ == "__main__":
    main()
