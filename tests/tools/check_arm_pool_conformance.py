#!/usr/bin/python3
"""ARM Pool_Create bodies poolwarden sends, checked two ways (issue 15).

Usage: check_arm_pool_conformance.py SPEC DIR
  SPEC: BatchManagement.json 2025-06-01; DIR: *.json ARM pool PUT bodies.
1. Spec walk: every key must be defined by SPEC's Pool (PoolProperties, ...), recursively, with
   enum values spelled exactly as SPEC spells them (maps of identities are not walked).
2. SDK: azure.mgmt.batch's Pool deserializes the body; whatever lands in additional_properties
   (members newer than the SDK) must be defined at that place by SPEC.
Prints one line per problem, the members found newer than the SDK, and a summary; exit 1 on
any problem.
"""
import json
import os
import sys

from azure.mgmt.batch import models as sdk


def definition_of(defs, member):
    ref = member.get("$ref") or member.get("items", {}).get("$ref")
    return defs[ref.split("/")[-1]] if ref else None


def walk(data, definition, defs, path, problems):
    props = {}
    for d in [definition] + [defs[a["$ref"].split("/")[-1]] for a in definition.get("allOf", [])]:
        props.update(d.get("properties", {}))
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        if key not in props:
            problems.append(f"{where}: not defined by the 2025-06-01 spec")
            continue
        member = props[key]
        if member.get("readOnly"):
            problems.append(f"{where}: read-only in the spec")
        target = definition_of(defs, member)
        enum = (target or {}).get("enum") or member.get("enum") or \
            member.get("items", {}).get("enum")
        values = value if isinstance(value, list) else [value]
        if enum:
            for v in values:
                if v not in enum:
                    problems.append(f"{where}: {v!r} is not one of {enum}")
        if key == "userAssignedIdentities" or not (target and "properties" in target):
            continue
        for i, item in enumerate(values):
            if isinstance(item, dict):
                walk(item, target, defs, f"{where}[{i}]" if isinstance(value, list) else where,
                     problems)


def extras(model, path, spec_ok, out):
    for key in (getattr(model, "additional_properties", None) or {}):
        out.append(f"{path}.{key}" if path else key)
    for attr, info in getattr(model, "_attribute_map", {}).items():
        value = getattr(model, attr, None)
        key = info["key"].replace("properties.", "")
        items = value if isinstance(value, list) else (
            list(value.values()) if isinstance(value, dict) else [value])
        for item in items:
            if hasattr(item, "_attribute_map"):
                extras(item, f"{path}.{key}" if path else key, spec_ok, out)
    return out


def main():
    defs = json.load(open(sys.argv[1], encoding="utf-8"))["definitions"]
    files = sorted(f for f in os.listdir(sys.argv[2]) if f.endswith(".json"))
    problems, newer = [], set()
    for name in files:
        body = json.load(open(os.path.join(sys.argv[2], name), encoding="utf-8"))
        found = []
        walk(body, defs["Pool"], defs, "", found)
        model = sdk.Pool.deserialize(body)
        for e in extras(model, "", None, []):
            newer.add(e)
        problems += [f"{name}: {p}" for p in found]
    for p in problems:
        print(p)
    print("newer than azure.mgmt.batch (checked by the spec walk): " + ", ".join(sorted(newer)))
    print(f"{len(files)} bodies, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
