"""Steady state on a saved converged world ("run A" of the scale notes in README.md).

Starts the simulator on a world saved with `bench.py --save-world FILE` and `poolwarden run` on
the matching config, waits for the converged cycle and one warm-up cycle, resets VmHWM, then for
each of --cycles cycles prints the daemon's CPU time (utime+stime between cycle lines), VmHWM and
VmRSS (--scrape-each-cycle: and after a /metrics and a /status scrape following each cycle,
whose CPU is not counted in the cycle's); then --scrapes times a `/metrics` and a `/status` scrape with their sizes, wall and CPU
time and VmHWM after them. --wrap runs the daemon under a profiler (e.g. "perf record -g -o F").

    PW_BUILD_DIR=build/ci benchmarks/steady.py --world /tmp/world-10000.json --pools 10000
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
import scenario  # noqa: E402


def main():
    root = os.path.dirname(HERE)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pools", type=int, default=10000)
    ap.add_argument("--accounts", type=int, default=10)
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--build", default=os.environ.get("PW_BUILD_DIR",
                                                      os.path.join(root, "build", "bench")))
    ap.add_argument("--world", required=True, help="a world saved with bench.py --save-world")
    ap.add_argument("--cycles", type=int, default=5)
    ap.add_argument("--scrapes", type=int, default=2)
    ap.add_argument("--scrape-each-cycle", action="store_true",
                    help="also scrape /metrics and /status after each cycle, as a monitored "
                         "daemon is (their memory then stays in the cycles' peak)")
    ap.add_argument("--wrap", default="", help="prefix command for the daemon")
    ap.add_argument("--concurrency", type=int, default=0,
                    help="reconcile.concurrency instead of the scenario's 8")
    a = ap.parse_args()
    pw = os.path.join(a.build, "daemon", "poolwarden")
    simbin = os.path.join(a.build, "simulator", "poolwarden-sim")
    work = tempfile.mkdtemp(prefix="pw-steady-")
    regions = scenario.default_regions(a.pools, a.images)
    sim = bench.Sim(simbin, work, a.world, 600)
    port = bench.free_port()
    scenario.write_config(work, a.pools, a.accounts, a.images, sim.url, sim.ca, interval="6s",
                          listen=f"127.0.0.1:{port}", regions=regions)
    if a.concurrency:
        cfg = os.path.join(work, "poolwarden.yaml")
        with open(cfg) as f:
            text = f.read()
        with open(cfg, "w") as f:
            f.write(text.replace("concurrency: 8", f"concurrency: {a.concurrency}"))
    popen = bench.subprocess.Popen
    if a.wrap:
        def wrapped(args, **kw):
            if args[0] == pw:
                args = a.wrap.split() + list(args)
            return popen(args, **kw)
        bench.subprocess.Popen = wrapped
    t0 = time.monotonic()
    d = bench.Daemon(pw, work)
    bench.subprocess.Popen = popen
    pid = d.proc.pid
    if a.wrap:
        time.sleep(1)
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                             text=True).stdout.split()
        if out:
            pid = int(out[0])

    def mib(key="VmHWM"):
        return bench.memory_kib(pid, key) / 1024

    try:
        n = 0
        while d.next_cycle(3600).get("converged") != "true":
            n += 1
        print(f"converged after {n + 1} cycles in {time.monotonic() - t0:.1f}s, "
              f"HWM {mib():.1f} MiB RSS {mib('VmRSS'):.1f}", flush=True)
        d.next_cycle(600)
        bench.reset_peak_rss(pid)
        c0 = bench.cpu_seconds(pid)
        for _ in range(a.cycles):
            d.next_cycle(600)
            c1 = bench.cpu_seconds(pid)
            print(f"cycle cpu {c1 - c0:.3f}s  HWM {mib():.1f} MiB  RSS {mib('VmRSS'):.1f} MiB",
                  flush=True)
            if a.scrape_each_cycle:
                bench.fetch(port, "/metrics")
                bench.fetch(port, "/status")
                print(f"  after /metrics and /status: HWM {mib():.1f} MiB", flush=True)
            c0 = bench.cpu_seconds(pid)
        for _ in range(a.scrapes):
            c0 = bench.cpu_seconds(pid)
            m, mw = bench.fetch(port, "/metrics")
            c1 = bench.cpu_seconds(pid)
            s, sw = bench.fetch(port, "/status")
            c2 = bench.cpu_seconds(pid)
            print(f"/metrics {len(m) / 1e6:.2f} MB {mw:.3f}s cpu {c1 - c0:.2f}; "
                  f"/status {len(s) / 1e6:.2f} MB {sw:.3f}s cpu {c2 - c1:.2f}; "
                  f"HWM {mib():.1f} MiB RSS {mib('VmRSS'):.1f}", flush=True)
    finally:
        if a.wrap:
            os.kill(pid, signal.SIGTERM)
            time.sleep(3)
        d.stop()
        sim.stop()
        print("workdir", work)


if __name__ == "__main__":
    main()
