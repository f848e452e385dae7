"""Baseline reconciler: the same job as poolwarden, written the obvious way with Debian's
official Azure SDK (azure-batch 13.0.1 BatchServiceClient, azure-mgmt-compute, azure-mgmt-batch).

Per cycle, sequentially, for each desired pool: GET the pool (404: it must be created), GET its
image version with $expand=ReplicationStatus; if the account's region has fewer replicas than the
rule requires (1 per 300 VMs), PATCH targetRegions (begin_update) and wait on the poller; if
replication in that region is not Completed, wait for a later cycle; otherwise add the pool
(resizeTimeout from its size) or resize it when its targets differ.

Driven over stdin/stdout by benchmarks/bench.py: it prints `ready`, then for each line `cycle`
on stdin runs one cycle and prints one JSON line {"writes", "wall", "waiting", "errors"}.
Run with /usr/bin/python3.

Usage: baseline.py --url https://127.0.0.1:PORT --ca CA.pem --desired desired.json
"""
import argparse
import datetime
import json
import math
import sys
import time
import urllib.parse
import urllib.request
import ssl

from azure.core.credentials import AccessToken
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.batch import BatchManagementClient
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as cm
from msrest.authentication import BasicTokenAuthentication
import azure.batch.models as bm
from azure.batch import BatchServiceClient

from scenario import (BATCH_RG, CLIENT, GALLERY, GALLERY_RG, IMAGE, NODE_AGENT, SECRET, SUB,
                      TENANT, VM_SIZE, version_name)


class SimCredential:
    """Client-credentials token from the simulator's Entra ID endpoint (as azure-identity)."""

    def __init__(self, url, ca):
        self.url = url
        self.ctx = ssl.create_default_context(cafile=ca)

    def token(self, scope):
        data = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": CLIENT,
                                       "client_secret": SECRET, "scope": scope}).encode()
        req = urllib.request.Request(f"{self.url}/{TENANT}/oauth2/v2.0/token", data=data)
        with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
            return json.load(r)

    def get_token(self, *scopes, **kwargs):
        tok = self.token(scopes[0])
        return AccessToken(tok["access_token"], int(time.time()) + int(tok["expires_in"]))


def norm_region(name):
    return name.replace(" ", "").lower()


def resize_timeout(nodes):
    return datetime.timedelta(minutes=max(15, 15 * math.ceil(nodes / 1000)))


class Baseline:
    def __init__(self, url, ca, desired):
        self.desired = desired["pools"]
        self.required = {(r["version"], r["region"]): r["replicas"] for r in desired["required"]}
        cred = SimCredential(url, ca)
        kw = dict(base_url=url, connection_verify=ca,
                  credential_scopes=["https://management.azure.com/.default"])
        self.compute = ComputeManagementClient(cred, SUB, **kw)
        mgmt = BatchManagementClient(cred, SUB, **kw)
        batch_token = cred.token("https://batch.core.windows.net//.default")["access_token"]
        self.batch = {}
        self.region = {}
        for name in desired["accounts"]:
            acct = mgmt.batch_account.get(BATCH_RG, name)
            client = BatchServiceClient(
                BasicTokenAuthentication({"access_token": batch_token}),
                batch_url=f"https://{acct.account_endpoint}")
            client.config.connection.verify = ca
            self.batch[name] = client
            self.region[name] = norm_region(acct.location)

    def cycle(self):
        writes = waiting = errors = 0
        for p in self.desired:
            client = self.batch[p["account"]]
            region = self.region[p["account"]]
            try:
                pool = client.pool.get(p["id"])
            except bm.BatchErrorException as e:
                if e.response is not None and e.response.status_code == 404:
                    pool = None
                else:
                    errors += 1
                    continue
            name = version_name(p["version"])
            version = self.compute.gallery_image_versions.get(
                GALLERY_RG, GALLERY, IMAGE, name, expand="ReplicationStatus")
            regions = version.publishing_profile.target_regions
            need = self.required[(p["version"], p["region"])]
            have = next((t.regional_replica_count or 1 for t in regions
                         if norm_region(t.name) == region), 0)
            if have < need:
                if version.provisioning_state not in ("Updating", "Creating"):
                    targets = [cm.TargetRegion(name=t.name, regional_replica_count=(
                        need if norm_region(t.name) == region else t.regional_replica_count),
                        storage_account_type=t.storage_account_type) for t in regions]
                    if have == 0:
                        targets.append(cm.TargetRegion(name=region, regional_replica_count=need))
                    update = cm.GalleryImageVersionUpdate(
                        publishing_profile=cm.GalleryImageVersionPublishingProfile(
                            target_regions=targets),
                        storage_profile=cm.GalleryImageVersionStorageProfile())
                    self.compute.gallery_image_versions.begin_update(
                        GALLERY_RG, GALLERY, IMAGE, name, update).result()
                    writes += 1
                waiting += 1
                continue
            states = {norm_region(s.region): s.state
                      for s in (version.replication_status.summary or [])}
            if states.get(region) != "Completed":
                waiting += 1
                continue
            nodes = p["dedicated"] + p["lowPriority"]
            if pool is None:
                client.pool.add(bm.PoolAddParameter(
                    id=p["id"], vm_size=VM_SIZE,
                    virtual_machine_configuration=bm.VirtualMachineConfiguration(
                        image_reference=bm.ImageReference(virtual_machine_image_id=p["imageId"]),
                        node_agent_sku_id=NODE_AGENT),
                    target_dedicated_nodes=p["dedicated"],
                    target_low_priority_nodes=p["lowPriority"],
                    resize_timeout=resize_timeout(nodes)))
                writes += 1
            elif (pool.target_dedicated_nodes != p["dedicated"]
                  or pool.target_low_priority_nodes != p["lowPriority"]):
                if pool.allocation_state == bm.AllocationState.steady:
                    client.pool.resize(p["id"], bm.PoolResizeParameter(
                        target_dedicated_nodes=p["dedicated"],
                        target_low_priority_nodes=p["lowPriority"],
                        resize_timeout=resize_timeout(nodes)))
                    writes += 1
                else:
                    waiting += 1
            elif (pool.allocation_state != bm.AllocationState.steady
                  or pool.current_dedicated_nodes != p["dedicated"]):
                waiting += 1
        return {"writes": writes, "waiting": waiting, "errors": errors}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--desired", required=True)
    args = ap.parse_args()
    with open(args.desired) as f:
        desired = json.load(f)
    b = Baseline(args.url, args.ca, desired)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "cycle":
            break
        t0 = time.monotonic()
        result = b.cycle()
        result["wall"] = time.monotonic() - t0
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
