"""Conformance: Debian's azure-cli against poolwarden-sim.

`az batch pool create/show/list/resize` with SharedKey (--account-endpoint/-name/-key) on plain
HTTP, and `az sig image-version show/update` over HTTPS through a registered custom cloud whose
Entra ID authority is the simulator's /adfs endpoint (MSAL skips its online instance discovery for
ADFS-style authorities, so no network is needed). Runs in a temporary AZURE_CONFIG_DIR."""
import json
import os
import subprocess
import sys
import tempfile
import time

from simproc import ACCOUNT, CLIENT, KEY, SECRET, TENANT, VERSION_ID, Checker, Sim


def az(env, *args, ok=True):
    started = time.time()
    r = subprocess.run(["az", *args, "-o", "json"], env=env, capture_output=True, text=True,
                       timeout=180)
    print(f"az {' '.join(args[:3])}: {time.time() - started:.1f}s rc={r.returncode}")
    if ok and r.returncode != 0:
        print(r.stderr, file=sys.stderr)
    return r


def main(binary, world):
    c = Checker()
    cfg = tempfile.mkdtemp(prefix="pw-az-")
    env = dict(os.environ, AZURE_CONFIG_DIR=cfg, AZURE_CORE_COLLECT_TELEMETRY="false",
               AZURE_CORE_NO_COLOR="1", AZURE_CORE_ONLY_SHOW_ERRORS="true")
    with Sim(binary, world) as sim:
        auth = ["--account-endpoint", f"{sim.url}/batch/{ACCOUNT}", "--account-name", ACCOUNT,
                "--account-key", KEY]
        r = az(env, "batch", "pool", "create", "--id", "cli-pool", "--vm-size", "Standard_D4s_v3",
               "--image", "canonical:0001-com-ubuntu-server-jammy:22_04-lts",
               "--node-agent-sku-id", "batch.node.ubuntu 22.04", "--target-dedicated-nodes", "2",
               *auth)
        c.eq(r.returncode, 0, "az batch pool create")
        r = az(env, "batch", "pool", "show", "--pool-id", "cli-pool", *auth)
        c.eq(r.returncode, 0, "az batch pool show")
        if r.returncode == 0:
            pool = json.loads(r.stdout)
            c.eq((pool["id"], pool["vmSize"], pool["targetDedicatedNodes"]),
                 ("cli-pool", "Standard_D4s_v3", 2), "pool fields")
        sim.admin("POST", "advance?seconds=900")
        r = az(env, "batch", "pool", "resize", "--pool-id", "cli-pool",
               "--target-dedicated-nodes", "4", "--resize-timeout", "PT20M", *auth)
        c.eq(r.returncode, 0, "az batch pool resize")
        r = az(env, "batch", "pool", "list", *auth)
        c.eq(r.returncode, 0, "az batch pool list")
        if r.returncode == 0:
            pools = {p["id"]: p for p in json.loads(r.stdout)}
            c.eq((pools.get("cli-pool", {}).get("allocationState"),
                  pools.get("cli-pool", {}).get("targetDedicatedNodes")),
                 ("resizing", 4), "list shows the resize")
        spec = {"id": "cli-gallery", "vmSize": "Standard_D4s_v3", "targetDedicatedNodes": 1,
                "virtualMachineConfiguration": {
                    "imageReference": {"virtualMachineImageId": VERSION_ID},
                    "nodeAgentSKUId": "batch.node.ubuntu 22.04"}}
        path = os.path.join(cfg, "gallery-pool.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        r = az(env, "batch", "pool", "create", "--json-file", path, *auth, ok=False)
        c.check(r.returncode != 0 and "SharedKey" in r.stderr,
                f"SharedKey gallery pool refused with the documented error: {r.stderr[-300:]}")

    with Sim(binary, world, tls=True, extra=["--time-scale", "60"]) as sim:
        env["REQUESTS_CA_BUNDLE"] = sim.ca
        r = az(env, "cloud", "register", "-n", "PoolwardenSim",
               "--endpoint-resource-manager", sim.url + "/",
               "--endpoint-active-directory", sim.url + "/adfs",
               "--endpoint-active-directory-resource-id", "https://management.core.windows.net/",
               "--endpoint-management", "https://management.core.windows.net/",
               "--endpoint-active-directory-graph-resource-id", "https://graph.windows.net/")
        c.eq(r.returncode, 0, "az cloud register")
        c.eq(az(env, "cloud", "set", "-n", "PoolwardenSim").returncode, 0, "az cloud set")
        r = az(env, "login", "--service-principal", "-u", CLIENT, "-p", SECRET, "--tenant", TENANT)
        c.eq(r.returncode, 0, "az login --service-principal")
        ident = ["-g", "rg-images", "-r", "studio", "-i", "render", "-e", "1.4.0"]
        r = az(env, "sig", "image-version", "show", *ident, "--expand", "ReplicationStatus")
        c.eq(r.returncode, 0, "az sig image-version show")
        if r.returncode == 0:
            v = json.loads(r.stdout)
            c.eq(v["replicationStatus"]["aggregatedState"], "Completed", "replication status")
        r = az(env, "sig", "image-version", "update", *ident, "--target-regions", "eastus=5")
        c.eq(r.returncode, 0, "az sig image-version update")
        if r.returncode == 0:
            v = json.loads(r.stdout)
            c.eq([t["regionalReplicaCount"] for t in v["publishingProfile"]["targetRegions"]], [5],
                 "updated replica count")
            c.eq(v["provisioningState"], "Succeeded", "update waited for the LRO")
        writes = [e for e in sim.admin("GET", "requests")["requests"]
                  if e["method"] in ("PUT", "PATCH") and "/versions/" in e["path"]]
        c.check(writes and writes[-1]["auth"] == "bearer-arm", "update sent with an ARM token")
    c.done()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
