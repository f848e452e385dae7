#!/usr/bin/python3
"""Pool-Add bodies poolwarden sends, checked two ways.

Usage: check_pool_conformance.py SPEC DIR
  SPEC: the 2025-06-01.21.0 BatchService.json; DIR: *.json Pool-Add bodies.
1. SDK round trip: azure.batch 13.0.1's PoolAddParameter deserializes the body; every member
   the SDK models know must come back from serialize() unchanged (enum values compared without
   case, as the SDK normalizes their spelling), and whatever lands in a model's
   additional_properties (members newer than the SDK) must be defined at that place by SPEC.
2. Spec walk: every key of the body must be defined by SPEC's BatchPoolCreateOptions (the
   BatchPoolCreateContent of the SDKs), recursively, with a JSON type the spec allows.
Prints one line per problem, the members found newer than the SDK, and a summary; exit 1 on any
problem.
"""
import json
import os
import sys

import azure.batch.models as sdk
from msrest.serialization import Model


def spec_definition(defs, member):
    ref = member.get("$ref") or member.get("items", {}).get("$ref")
    return defs[ref.split("/")[-1]] if ref else None


def spec_walk(data, definition, defs, path, problems):
    props = definition.get("properties", {})
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        if key not in props:
            problems.append(f"{where}: not defined by the 2025-06-01.21.0 spec")
            continue
        member = props[key]
        target = spec_definition(defs, member)
        if member.get("type") == "array":
            if not isinstance(value, list):
                problems.append(f"{where}: the spec defines an array")
                continue
            for i, item in enumerate(value):
                if target and "properties" in target:
                    spec_walk(item, target, defs, f"{where}[{i}]", problems)
        elif target and "properties" in target:
            if not isinstance(value, dict):
                problems.append(f"{where}: the spec defines an object")
                continue
            spec_walk(value, target, defs, where, problems)
        elif target and "enum" in target:
            if value not in target["enum"]:
                problems.append(f"{where}: {value!r} is not one of {target['enum']}")


def spec_at(defs, path_keys):
    """The spec member definition at a path of member names (list indexes skipped)."""
    definition = defs["BatchPoolCreateOptions"]
    member = None
    for key in path_keys:
        if definition is None or key not in definition.get("properties", {}):
            return None
        member = definition["properties"][key]
        definition = spec_definition(defs, member)
    return member


def sdk_walk(model, path_keys, newer):
    extra = getattr(model, "additional_properties", None) or {}
    for key in extra:
        newer.append(path_keys + [key])
    for attr, spec in model._attribute_map.items():
        value = getattr(model, attr, None)
        key = spec["key"]
        if isinstance(value, Model):
            sdk_walk(value, path_keys + [key], newer)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, Model):
                    sdk_walk(item, path_keys + [key], newer)


def without(data, path_keys):
    """A copy of `data` without the member at path_keys (applied to every list item)."""
    if isinstance(data, list):
        return [without(item, path_keys) for item in data]
    if not isinstance(data, dict) or not path_keys:
        return data
    head, rest = path_keys[0], path_keys[1:]
    out = dict(data)
    if head in out:
        if rest:
            out[head] = without(out[head], rest)
        else:
            del out[head]
    return out


def same(a, b, path, problems):
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            where = f"{path}.{key}" if path else key
            if key not in b:
                problems.append(f"{where}: lost in the SDK round trip")
            elif key not in a:
                problems.append(f"{where}: added by the SDK round trip")
            else:
                same(a[key], b[key], where, problems)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]", problems)
    elif isinstance(a, str) and isinstance(b, str):
        if a.lower() != b.lower():
            problems.append(f"{path}: {a!r} came back as {b!r}")
    elif a != b:
        problems.append(f"{path}: {a!r} came back as {b!r}")


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        defs = json.load(f)["definitions"]
    files = sorted(f for f in os.listdir(sys.argv[2]) if f.endswith(".json"))
    problems, newer_all = [], set()
    for name in files:
        with open(os.path.join(sys.argv[2], name), encoding="utf-8") as f:
            body = json.load(f)
        found = []
        spec_walk(body, defs["BatchPoolCreateOptions"], defs, "", found)
        model = sdk.PoolAddParameter.deserialize(body)
        newer = []
        sdk_walk(model, [], newer)
        known = body
        for keys in newer:
            dotted = ".".join(keys)
            newer_all.add(dotted)
            if spec_at(defs, keys) is None:
                found.append(f"{dotted}: unknown to azure.batch 13.0.1 and not in the spec")
            known = without(known, keys)
        for error in model.validate() or []:
            found.append(f"SDK validate: {error}")
        same(known, model.serialize(), "", found)
        problems += [f"{name}: {p}" for p in found]
    for p in problems:
        print(p)
    print("newer than azure.batch 13.0.1 (checked against the spec): " +
          ", ".join(sorted(newer_all)))
    print(f"{len(files)} bodies, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
