"""Conformance: poolwarden-sim answers each api-version with the members that version defines.

Every member of the simulator's gallery image version and image definition GETs must be defined
by the model of the requested api-version: Debian's versioned azure.mgmt.compute models
(v2019_03_01 ... v2022_03_03) and the saved gallery.json 2023-07-03. A Batch pool created with
newer members (2024-07-01.20.0) and read at 2022-10-01.16.0 must fit azure-batch 13.0.1's
CloudPool.
"""
import importlib
import json
import os
import sys

import requests

from simproc import ACCOUNT, SUB, Checker, Sim

SPECS = os.environ.get("PW_AZURE_SPECS",
                       os.path.join(os.path.dirname(__file__), "../../../../shared/azure-specs"))
GALLERY = "compute-gallery/resource-manager/Microsoft.Compute/GalleryRP/stable/2023-07-03"
SDK_VERSIONS = ["2019-03-01", "2019-07-01", "2019-12-01", "2020-09-30", "2021-07-01",
                "2021-10-01", "2022-01-03", "2022-03-03"]


def model_paths(module, cls, prefix="", out=None, depth=0):
    """Dotted member paths ("[]" for array items) an msrest model defines."""
    out = set() if out is None else out
    c = getattr(module, cls)
    for info in c._attribute_map.values():
        path = prefix + info["key"].replace("\\.", ".")
        out.add(path)
        if "." in info["key"]:  # a flattened member ("properties.publishingProfile")
            out.add(prefix + info["key"].split(".")[0])
        t = info["type"].strip("[]{}")
        if depth < 8 and hasattr(module, t) and hasattr(getattr(module, t), "_attribute_map"):
            step = "[]." if info["type"].startswith("[") else "."
            model_paths(module, t, path + step, out, depth + 1)
    return out


def spec_paths(defs, name, prefix="", out=None, depth=0):
    """The same for an OpenAPI definition (allOf and $ref followed)."""
    out = set() if out is None else out

    def props(n):
        d = defs[n]
        p = dict(d.get("properties", {}))
        for a in d.get("allOf", []):
            r = a.get("$ref", "").split("/")[-1]
            if r in defs:
                p.update(props(r))
        return p

    for key, v in props(name).items():
        path = prefix + key
        out.add(path)
        ref = (v.get("$ref") or v.get("items", {}).get("$ref") or "").split("/")[-1]
        if depth < 8 and ref in defs:
            spec_paths(defs, ref, path + ("[]." if v.get("type") == "array" else "."), out,
                       depth + 1)
    return out


def body_paths(value, prefix="", out=None, free=("tags",)):
    """Dotted member paths of a JSON body; free-form maps (tags) are not walked."""
    out = set() if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            path = prefix + k
            out.add(path)
            if k not in free:
                body_paths(v, path + ".", out, free)
    elif isinstance(value, list):
        for item in value:
            body_paths(item, prefix[:-1] + "[].", out, free)
    return out


def main(binary, world):
    c = Checker()
    defs = {}
    for f in (f"{GALLERY}/gallery.json", f"{GALLERY}/galleryRPCommon.json",
              "compute-gallery/resource-manager/Microsoft.Compute/common-types/v1/common.json"):
        with open(os.path.join(SPECS, f)) as fh:
            defs.update(json.load(fh).get("definitions", {}))
    resource = {"id", "name", "type", "location", "tags"}
    known = {}
    for v in SDK_VERSIONS:
        m = importlib.import_module("azure.mgmt.compute.v" + v.replace("-", "_") + ".models")
        known[v] = (model_paths(m, "GalleryImageVersion"), model_paths(m, "GalleryImage"))
    known["2023-07-03"] = (spec_paths(defs, "GalleryImageVersion") | resource,
                           spec_paths(defs, "GalleryImage") | resource)
    with Sim(binary, world) as sim:
        arm = {"Authorization": "Bearer " + sim.token("https://management.azure.com/.default")[
            "access_token"]}
        gal = (f"{sim.url}/subscriptions/{SUB}/resourceGroups/rg-images/providers/"
               "Microsoft.Compute/galleries/studio/images")
        for v, (version_model, image_model) in known.items():
            for name, url, model, params in [
                    ("version", f"{gal}/render/versions/1.4.0", version_model,
                     {"$expand": "ReplicationStatus"}),
                    ("image", f"{gal}/hpc", image_model, {})]:
                r = requests.get(url, params={"api-version": v, **params}, headers=arm,
                                 timeout=20)
                c.eq(r.status_code, 200, f"{name} GET at {v}")
                extra = sorted(body_paths(r.json()) - model)
                c.eq(extra, [], f"{name} members {v} does not define")

        batch = {"Authorization": "Bearer " + sim.token("https://batch.core.windows.net//.default")[
            "access_token"], "Content-Type": "application/json; odata=minimalmetadata"}
        base = f"{sim.url}/batch/{ACCOUNT}"
        vid = (f"/subscriptions/{SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/"
               "galleries/studio/images/hpc/versions/2.0.0")
        pool = {"id": "versions", "vmSize": "Standard_D4s_v3", "targetDedicatedNodes": 0,
                "virtualMachineConfiguration": {
                    "imageReference": {"virtualMachineImageId": vid},
                    "nodeAgentSKUId": "batch.node.ubuntu 22.04",
                    "osDisk": {"caching": "readonly", "diskSizeGB": 64},
                    "securityProfile": {"securityType": "trustedLaunch",
                                        "uefiSettings": {"secureBootEnabled": True}}},
                "networkConfiguration": {"enableAcceleratedNetworking": True},
                "resourceTags": {"team": "tools"},
                "upgradePolicy": {"mode": "manual"}}
        r = requests.post(f"{base}/pools", params={"api-version": "2024-07-01.20.0"},
                          headers=batch, json=pool, timeout=20)
        c.eq(r.status_code, 201, f"pool add at 2024-07-01.20.0 ({r.text[:200]})")
        bm = importlib.import_module("azure.batch.models")
        cloud_pool = model_paths(bm, "CloudPool") | {"odata.metadata"}
        r = requests.get(f"{base}/pools/versions", params={"api-version": "2022-10-01.16.0"},
                         headers=batch, timeout=20)
        c.eq(r.status_code, 200, "pool GET at 2022-10-01.16.0")
        extra = sorted(body_paths(r.json(), free=("tags", "resourceTags")) - cloud_pool)
        c.eq(extra, [], "pool members 2022-10-01.16.0 (azure-batch 13.0.1) does not define")
    c.done()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
