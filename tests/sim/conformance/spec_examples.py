"""Conformance: replay Microsoft's OpenAPI examples (../shared/azure-specs) against poolwarden-sim.

Each example's request is sent as written (body, api-version, headers); the status must be one the
example lists and the response must carry every field the example's response shows (recursively;
list items are compared with their first element). A few fields that only exist for resources
the example world does not have are listed in SKIP with the reason."""
import glob
import json
import os
import sys

import requests

from simproc import ACCOUNT, SUB, Checker, Sim

SPECS = os.environ.get("PW_AZURE_SPECS",
                       os.path.join(os.path.dirname(__file__), "../../../../shared/azure-specs"))
BATCH_EX = "batch-data-plane/data-plane/Microsoft.Batch/stable/2025-06-01/examples"
GAL_EX = "compute-gallery/resource-manager/Microsoft.Compute/GalleryRP/stable/{}/examples/galleryExamples"
SKIP = {
    "autoStorage": "the example world's account has no auto-storage account",
    "policyViolations": "no policy violations are simulated",
    "dataDiskImages": "the example world's images have no data disks",
    "encryption": "the example world's versions have no disk encryption sets",
}


def missing_fields(want, got, path=""):
    out = []
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [path or "<body>"]
        for k, v in want.items():
            if k in SKIP:
                continue
            if k not in got:
                out.append(f"{path}.{k}")
            else:
                out += missing_fields(v, got[k], f"{path}.{k}")
    elif isinstance(want, list) and want and isinstance(want[0], dict):
        if not isinstance(got, list) or not got:
            return [path]
        # Every field of the example's first item must appear on some item of ours.
        for k in want[0]:
            if k not in SKIP and not any(isinstance(g, dict) and k in g for g in got):
                out.append(f"{path}[].{k}")
        out += missing_fields(want[0], got[0], path + "[0]")
        out = [o for o in out if not any(
            o.startswith(f"{path}[0].{k}") and any(isinstance(g, dict) and k in g for g in got)
            for k in want[0])]
    return out


def load(rel):
    with open(os.path.join(SPECS, rel)) as f:
        return json.load(f)


def main(binary, world):
    c = Checker()
    with Sim(binary, world, extra=["--time-scale", "60"]) as sim:
        batch_tok = sim.token("https://batch.core.windows.net//.default")["access_token"]
        arm_tok = sim.token("https://management.azure.com/.default")["access_token"]
        base = f"{sim.url}/batch/{ACCOUNT}"

        def replay(name, method, path, body_key=None, pool_id=None):
            ex = load(f"{BATCH_EX}/{name}.json")
            p = ex["parameters"]
            headers = {"Authorization": f"Bearer {batch_tok}",
                       "client-request-id": p.get("client-request-id", ""),
                       "return-client-request-id": "true",
                       "ocp-date": p.get("ocp-date", ""),
                       "Content-Type": "application/json; odata=minimalmetadata"}
            url = base + path.format(poolId=pool_id or p.get("poolId", ""))
            body = p.get(body_key) if body_key else None
            r = requests.request(method, url, params={"api-version": p["api-version"]},
                                 headers=headers, json=body, timeout=20)
            codes = [int(k) for k in ex["responses"]]
            c.check(r.status_code in codes,
                    f"{name}: status {r.status_code} in {codes} ({r.text[:300]})")
            resp = ex["responses"].get(str(r.status_code), {})
            for h in resp:
                if h != "body":
                    c.check(h.lower() in {k.lower() for k in r.headers}, f"{name}: header {h}")
            if isinstance(resp.get("body"), dict):
                miss = missing_fields(resp["body"], r.json())
                c.check(not miss, f"{name}: response lacks {miss}")
            c.eq(r.headers.get("client-request-id"), p.get("client-request-id"),
                 f"{name}: client-request-id echoed")
            return r

        add = load(f"{BATCH_EX}/PoolAdd_VirtualMachineConfiguration.json")["parameters"]["pool"]
        replay("PoolAdd_VirtualMachineConfiguration", "POST", "/pools", "pool")
        for pid in ["pool", "poolId", "resizePool"]:
            body = dict(add, id=pid, targetDedicatedNodes=0,
                        startTask={"commandLine": "/bin/bash -c 'echo start task'"})
            requests.post(f"{base}/pools", params={"api-version": "2025-06-01"}, json=body,
                          headers={"Authorization": f"Bearer {batch_tok}"}, timeout=20)
        replay("PoolGet_Basic", "GET", "/pools/{poolId}")
        replay("PoolList_Basic", "GET", "/pools")
        replay("PoolPatch", "PATCH", "/pools/{poolId}", "poolPatchParameter")
        replay("PoolUpdate", "POST", "/pools/{poolId}/updateproperties",
               "poolUpdatePropertiesParameter")
        replay("PoolResize", "POST", "/pools/{poolId}/resize", "poolResizeParameter")
        requests.post(f"{base}/pools/poolId/resize", params={"api-version": "2025-06-01"},
                      json={"targetDedicatedNodes": 3},
                      headers={"Authorization": f"Bearer {batch_tok}"}, timeout=20)
        replay("PoolStopResize", "POST", "/pools/{poolId}/stopresize")
        sim.admin("POST", "advance?seconds=120")
        replay("PoolEnableAutoscale", "POST", "/pools/{poolId}/enableautoscale",
               "poolEnableAutoScaleParameter")
        replay("PoolEvaluateAutoscale", "POST", "/pools/{poolId}/evaluateautoscale",
               "poolEvaluateAutoScaleParameter")
        replay("AccountListSupportedImages", "GET", "/supportedimages")

        arm = {"Authorization": f"Bearer {arm_tok}"}

        def arm_call(name, method, url, params, body=None, codes=None, want=None):
            r = requests.request(method, sim.url + url, params=params, json=body, headers=arm,
                                 timeout=20)
            c.check(r.status_code in codes, f"{name}: status {r.status_code} in {codes} ({r.text[:300]})")
            if want is not None and r.ok:
                miss = missing_fields(want, r.json())
                c.check(not miss, f"{name}: response lacks {miss}")
            return r

        acct = load("batch-management/resource-manager/Microsoft.Batch/stable/2025-06-01/examples/BatchAccountGet.json")
        arm_call("BatchAccountGet", "GET",
                 f"/subscriptions/{SUB}/resourceGroups/rg-batch/providers/Microsoft.Batch/batchAccounts/{ACCOUNT}",
                 {"api-version": acct["parameters"]["api-version"]}, codes=[200],
                 want=acct["responses"]["200"]["body"])
        img = load(GAL_EX.format("2023-07-03") + "/GalleryImage_Get.json")
        gal = f"/subscriptions/{SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/studio"
        arm_call("GalleryImage_Get", "GET", f"{gal}/images/render",
                 {"api-version": img["parameters"]["api-version"]}, codes=[200],
                 want=img["responses"]["200"]["body"])
        create = load(GAL_EX.format("2023-07-03") + "/GalleryImageVersion_Create.json")
        arm_call("GalleryImageVersion_Create", "PUT", f"{gal}/images/render/versions/1.5.0",
                 {"api-version": create["parameters"]["api-version"]},
                 create["parameters"]["galleryImageVersion"],
                 codes=[int(k) for k in create["responses"]],
                 want=create["responses"]["201"]["body"])
        sim.admin("POST", "advance?seconds=60")
        for name in ["GalleryImageVersion_Update", "GalleryImageVersion_Update_WithoutSourceId"]:
            ex = load(GAL_EX.format("2023-07-03") + f"/{name}.json")
            arm_call(name, "PATCH", f"{gal}/images/render/versions/1.5.0",
                     {"api-version": ex["parameters"]["api-version"]},
                     ex["parameters"]["galleryImageVersion"],
                     codes=[int(k) for k in ex["responses"]], want=ex["responses"]["200"]["body"])
        get = load(GAL_EX.format("2025-03-03") + "/GalleryImageVersion_Get_WithReplicationStatus.json")
        sim.admin("POST", "advance?seconds=3600")
        arm_call("GalleryImageVersion_Get_WithReplicationStatus", "GET",
                 f"{gal}/images/render/versions/1.5.0",
                 {"api-version": get["parameters"]["api-version"], "$expand": "ReplicationStatus"},
                 codes=[200], want=get["responses"]["200"]["body"])
    c.done()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
