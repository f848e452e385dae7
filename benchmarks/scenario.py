"""Benchmark scenario generator: P pools over A Batch accounts and I gallery image versions.

Writes, into a directory:
  world.json        the simulator's world (accounts empty: the daemon starts from nothing)
  pools.d/*.yaml    pool files, one per account, or one per 100 pools with --file-per-100
  poolwarden.yaml   the daemon file pointing at the simulator (HTTPS, the simulator's CA)
  client-secret     the demo client secret (mode 0600)
  desired.json      the same pools as plain JSON, for the SDK baseline

Accounts alternate between East US and West US (all in East US when P > 50 x I); every image version starts with one replica in
East US only, so converging needs a new target region per version and more replicas
(poolwarden's rule: ceil(VMs / 300) per pool using the version in a region, summed). Pool sizes
are 2-6 dedicated nodes so allocation is quick in accelerated simulated time.

Usage: scenario.py --pools P --accounts A --images I --out DIR [--port N] [--interval 6s]
"""
import argparse
import json
import math
import os

TENANT = "22222222-2222-2222-2222-222222222222"
CLIENT = "33333333-3333-3333-3333-333333333333"
SECRET = "demo-client-secret-not-for-production"
SUB = "11111111-1111-1111-1111-111111111111"
GALLERY_RG = "rg-images"
GALLERY = "studio"
IMAGE = "render"
BATCH_RG = "rg-batch"
REGIONS = ["eastus", "westus"]
VM_SIZE = "Standard_D4s_v3"
NODE_AGENT = "batch.node.ubuntu 22.04"


def account_name(a):
    return f"bench{a:03d}"


def account_region(a, regions=2):
    return REGIONS[a % regions]


def version_name(v):
    return f"1.0.{v}"


def version_id(v):
    return (f"/subscriptions/{SUB}/resourceGroups/{GALLERY_RG}/providers/Microsoft.Compute/"
            f"galleries/{GALLERY}/images/{IMAGE}/versions/{version_name(v)}")


def pools(p_count, a_count, i_count, regions=2, spread=False):
    """The desired pools: pool n is in account n % A and uses version (n // A) % I, or n % I
    with `spread` (every version in use even when P / A < I)."""
    out = []
    for n in range(p_count):
        v = n % i_count if spread else (n // a_count) % i_count
        out.append({"id": f"pool-{n:05d}", "account": account_name(n % a_count),
                    "region": account_region(n % a_count, regions), "version": v,
                    "imageId": version_id(v),
                    "dedicated": 2 + n % 5, "lowPriority": 0})
    return out


def required_replicas(desired, vms_per_replica=300, cap=100):
    """(version, region) -> replicas poolwarden's rule requires: the sum over the pools using
    the version in the region of ceil(VMs / 300), at least 1, capped at 100."""
    need = {}
    for p in desired:
        key = (p["version"], p["region"])
        need[key] = need.get(key, 0) + math.ceil((p["dedicated"] + p["lowPriority"]) /
                                                 vms_per_replica)
    return {k: min(cap, max(1, n)) for k, n in need.items()}


def default_regions(p_count, i_count):
    """Two regions while every version can hold a replica per pool using it (Azure allows 100
    per version in total); one region beyond (the rule caps it at 100, a ReplicaCapReached
    warning) so that 10 000 pools still converge on 20 versions."""
    return 2 if p_count <= 50 * i_count else 1


def world(a_count, i_count, regions=2):
    versions = []
    for v in range(i_count):
        versions.append({
            "name": version_name(v), "location": "eastus",
            "properties": {
                "publishingProfile": {
                    "targetRegions": [{"name": "East US", "regionalReplicaCount": 1,
                                       "storageAccountType": "Standard_LRS"}],
                    "replicaCount": 1, "storageAccountType": "Standard_LRS",
                    "replicationMode": "Full"},
                "storageProfile": {
                    "source": {"id": f"/subscriptions/{SUB}/resourceGroups/{GALLERY_RG}/providers/"
                                     f"Microsoft.Compute/images/render-{version_name(v)}"},
                    "osDiskImage": {"sizeInGB": 64, "hostCaching": "ReadWrite"}}}})
    accounts = []
    for a in range(a_count):
        accounts.append({
            "subscriptionId": SUB, "resourceGroup": BATCH_RG, "name": account_name(a),
            "location": account_region(a, regions), "poolAllocationMode": "BatchService",
            "dedicatedCoreQuota": 100000000, "lowPriorityCoreQuota": 100000000,
            "poolQuota": 1000000,
            "keys": {"primary": "YmVuY2gtcHJpbWFyeS1rZXktbm90LWEtc2VjcmV0",
                     "secondary": "YmVuY2gtc2Vjb25kYXJ5LWtleS1ub3QtYS1zZWNyZXQ="},
            "pools": []})
    return {
        "tenants": [{"id": TENANT, "clients": [{"clientId": CLIENT, "secret": SECRET,
                                                "objectId": "44444444-4444-4444-4444-444444444444"}]}],
        "subscriptions": [{"id": SUB, "tenantId": TENANT,
                           "resourceGroups": [BATCH_RG, GALLERY_RG]}],
        "galleries": [{
            "subscriptionId": SUB, "resourceGroup": GALLERY_RG, "name": GALLERY,
            "location": "eastus",
            "images": [{"name": IMAGE,
                        "properties": {"osType": "Linux", "osState": "Generalized",
                                       "hyperVGeneration": "V2", "architecture": "x64",
                                       "identifier": {"publisher": "studio", "offer": "render",
                                                      "sku": "ubuntu-22_04"}},
                        "versions": versions}]}],
        "batchAccounts": accounts,
    }


def pool_yaml(p):
    return (f"  - id: {p['id']}\n    account: {p['account']}\n    vmSize: {VM_SIZE}\n"
            f"    image: {p['imageId']}\n    nodeAgentSkuId: {NODE_AGENT}\n"
            f"    scale:\n      targetDedicatedNodes: {p['dedicated']}\n")


# accounts[].poolApi of every account (bench.py --pool-api): batch or arm (issue 15).
POOL_API = "batch"


def daemon_yaml(a_count, base_url, ca_file, interval, listen):
    y = (f"cloud:\n  resourceManager: {base_url}/\n  authorityHost: {base_url}/\n"
         "  batchResource: https://batch.core.windows.net/\n"
         "  managementResource: https://management.core.windows.net/\n"
         f"auth:\n  method: clientSecret\n  tenantId: {TENANT}\n  clientId: {CLIENT}\n"
         "  clientSecretFile: client-secret\n")
    if ca_file:
        y += f"tls:\n  caFile: {ca_file}\n"
    y += "accounts:\n"
    for a in range(a_count):
        y += (f"  - name: {account_name(a)}\n    subscriptionId: {SUB}\n"
              f"    resourceGroup: {BATCH_RG}\n    accountName: {account_name(a)}\n")
        if POOL_API != "batch":
            y += f"    poolApi: {POOL_API}\n"
    y += f"reconcile:\n  interval: {interval}\n  concurrency: 8\npoolsDir: pools.d\nlisten: {listen}\n"
    return y


def write_world(out, a_count, i_count, regions=2):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "world.json"), "w") as f:
        json.dump(world(a_count, i_count, regions), f)


def write_config(out, p_count, a_count, i_count, base_url, ca_file, interval="6s",
                 listen="127.0.0.1:0", file_per_100=False, regions=2, spread=False):
    """Pool files, daemon file, client secret and desired.json (the world is separate)."""
    desired = pools(p_count, a_count, i_count, regions, spread)
    pools_dir = os.path.join(out, "pools.d")
    os.makedirs(pools_dir, exist_ok=True)
    for name in os.listdir(pools_dir):
        os.remove(os.path.join(pools_dir, name))
    files = {}
    for idx, p in enumerate(desired):
        name = f"pools-{idx // 100:04d}.yaml" if file_per_100 else f"{p['account']}.yaml"
        files.setdefault(name, []).append(pool_yaml(p))
    for name, entries in files.items():
        with open(os.path.join(pools_dir, name), "w") as f:
            f.write("pools:\n" + "".join(entries))
    with open(os.path.join(out, "poolwarden.yaml"), "w") as f:
        f.write(daemon_yaml(a_count, base_url, ca_file, interval, listen))
    secret = os.path.join(out, "client-secret")
    with open(secret, "w") as f:
        f.write(SECRET)
    os.chmod(secret, 0o600)
    with open(os.path.join(out, "desired.json"), "w") as f:
        json.dump({"pools": desired, "accounts": [account_name(a) for a in range(a_count)],
                   "required": [{"version": v, "region": r, "replicas": n}
                                for (v, r), n in sorted(required_replicas(desired).items())]},
                  f)
    return desired


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pools", type=int, required=True)
    ap.add_argument("--accounts", type=int, default=10)
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--out", required=True)
    ap.add_argument("--port", type=int, default=18443, help="simulator port for the daemon file")
    ap.add_argument("--ca", default="", help="CA file of the simulator's TLS certificate")
    ap.add_argument("--interval", default="6s")
    ap.add_argument("--file-per-100", action="store_true")
    ap.add_argument("--spread-versions", action="store_true",
                    help="pool n uses version n %% I: all I versions in use even when P/A < I")
    args = ap.parse_args()
    regions = default_regions(args.pools, args.images)
    write_world(args.out, args.accounts, args.images, regions)
    write_config(args.out, args.pools, args.accounts, args.images,
                 f"https://127.0.0.1:{args.port}", args.ca, args.interval,
                 file_per_100=args.file_per_100, regions=regions, spread=args.spread_versions)
    print(f"wrote {args.out}: {args.pools} pools, {args.accounts} accounts, {args.images} versions")


if __name__ == "__main__":
    main()
