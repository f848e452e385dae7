#!/usr/bin/python3
"""Writes simulator/pool_schema.json: the Pool-Add body model of Batch's data-plane spec,
reduced to what the simulator checks (member types, enums, required members, secrets).

Usage: scripts/gen-sim-pool-schema.py ../shared/azure-specs/batch-data-plane/data-plane/\
Azure.Batch/stable/2025-06-01.21.0/BatchService.json > simulator/pool_schema.json
"""
import json
import sys

spec = json.load(open(sys.argv[1]))
defs = spec["definitions"]
out = {}


def ref_name(v):
    return v["$ref"].split("/")[-1] if "$ref" in v else None


def member(v):
    m = {}
    r = ref_name(v)
    if r:
        d = defs[r]
        if "enum" in d:
            m["t"] = "string"
            m["enum"] = d["enum"]
        else:
            m["t"] = "object"
            m["ref"] = r
            walk(r)
        return m
    t = v.get("type", "object")
    if t == "array":
        m["t"] = "array"
        m["items"] = member(v["items"])
    elif t == "object" and "additionalProperties" in v:
        m["t"] = "map"
    else:
        m["t"] = t
    if v.get("format") == "password":
        m["secret"] = True
    if v.get("readOnly"):
        m["readOnly"] = True
    return m


def walk(name):
    if name in out:
        return
    out[name] = {}
    d = defs[name]
    req = set(d.get("required", []))
    for k, v in d.get("properties", {}).items():
        m = member(v)
        if k in req:
            m["req"] = True
        out[name][k] = m


walk("BatchPoolCreateOptions")
print(json.dumps(out, separators=(",", ":"), sort_keys=True))
