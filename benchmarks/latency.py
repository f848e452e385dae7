"""Latency benchmark: how long after Azure finishes does poolwarden write the next step?

Each run starts poolwarden-sim (real time, --time-scale 1) with one Batch account and one image
version holding 1 replica in East US, and poolwarden with a pool of 600 nodes, which needs 2
replicas there. poolwarden raises the replica count, waits for replication, then creates the
pool. Replication of the added replica takes R seconds (R drawn per run, so that the moment it
completes falls at a random point of the daemon's schedule). The latency of a run is the time
from replication Completed (computed exactly from the simulator's linear replication model: the
first state read after the PATCH gives the fraction done) to the pool's POST in the simulator's
request log (both in the simulator's clock). Prints p50 and max over the runs.

Usage: /usr/bin/python3 benchmarks/latency.py [--runs 20] [--parallel 4]
       [--poolwarden BIN] [--sim BIN] [--label NAME] [--out FILE.json]
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
import scenario  # noqa: E402

NODES = 600  # ceil(600 / 300) = 2 replicas: one replica to add


def sim_epoch(iso):
    """Seconds since the epoch of a simulator time such as 2026-11-28T10:00:00.1234567Z."""
    head, frac = iso.rstrip("Z").split(".") if "." in iso else (iso.rstrip("Z"), "0")
    t = datetime.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc)
    return t.timestamp() + float("0." + frac)


def replication(state):
    """(target count, ready) of the version's East US region in a /_sim/state world."""
    version = state["galleries"][0]["images"][0]["versions"][0]
    regions = version["properties"]["publishingProfile"]["targetRegions"]
    count = next(r.get("regionalReplicaCount", 1) for r in regions
                 if r["name"].replace(" ", "").lower() == "eastus")
    ready = version.get("replication", {}).get("eastus", count)
    return count, ready


def one_run(args, index, replica_seconds):
    workdir = tempfile.mkdtemp(prefix=f"pw-latency-{index}-")
    world = scenario.world(1, 1, regions=1)
    world["model"] = {"replicaSeconds": replica_seconds, "lroSeconds": 1}
    with open(os.path.join(workdir, "world.json"), "w") as f:
        json.dump(world, f)
    sim = bench.Sim(args.sim, workdir, os.path.join(workdir, "world.json"), 1.0)
    daemon = None
    try:
        scenario.write_config(workdir, 1, 1, 1, sim.url, sim.ca, interval=args.interval,
                              listen=f"127.0.0.1:{bench.free_port()}", regions=1)
        pool_file = os.path.join(workdir, "pools.d", f"{scenario.account_name(0)}.yaml")
        with open(pool_file) as f:
            text = f.read()
        with open(pool_file, "w") as f:
            f.write(text.replace("targetDedicatedNodes: 2", f"targetDedicatedNodes: {NODES}"))
        daemon = bench.Daemon(args.poolwarden, workdir)
        completed = None
        end = time.monotonic() + replica_seconds + 120
        while time.monotonic() < end:
            if completed is None:
                state = sim.admin("GET", "state")
                now = sim.admin("GET", "time")["epoch"]
                count, ready = replication(state)
                if count >= 2 and ready < count:
                    # Linear model: ready grows by 1 replica per replicaSeconds.
                    completed = now + (count - ready) * replica_seconds
            posts = [r for r in sim.admin("GET", "requests")["requests"]
                     if r["method"] == "POST" and r["path"].split("?")[0].endswith("/pools")]
            if posts:
                if completed is None:
                    raise RuntimeError(f"run {index}: pool created before replication was seen")
                return {"replicaSeconds": replica_seconds,
                        "latency": sim_epoch(posts[0]["time"]) - completed}
            if daemon.proc.poll() is not None:
                raise RuntimeError(f"poolwarden exited; see {daemon.log_path}")
            time.sleep(0.05)
        raise TimeoutError(f"run {index}: no pool create within the timeout")
    finally:
        if daemon:
            daemon.stop()
        sim.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def main():
    root = os.path.dirname(HERE)
    build = os.environ.get("PW_BUILD_DIR", os.path.join(root, "build", "bench"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--interval", default="60s", help="reconcile.interval of the daemon")
    ap.add_argument("--min-replica-seconds", type=float, default=8)
    ap.add_argument("--max-replica-seconds", type=float, default=20)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--label", default="poolwarden")
    ap.add_argument("--out", help="write the figures as JSON here")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--poolwarden", default=os.path.join(build, "daemon", "poolwarden"))
    ap.add_argument("--sim", default=os.path.join(build, "simulator", "poolwarden-sim"))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    durations = [rng.uniform(args.min_replica_seconds, args.max_replica_seconds)
                 for _ in range(args.runs)]
    with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
        runs = list(pool.map(lambda i: one_run(args, i, durations[i]), range(args.runs)))
    lat = sorted(r["latency"] for r in runs)
    result = {"label": args.label, "runs": len(lat), "p50": statistics.median(lat),
              "max": lat[-1], "min": lat[0], "latencies": lat, "interval": args.interval,
              "poolwarden": args.poolwarden}
    print(f"{args.label}: replication Completed -> pool POST over {len(lat)} runs: "
          f"p50 {result['p50']:.2f} s, max {result['max']:.2f} s (min {result['min']:.2f} s)")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
