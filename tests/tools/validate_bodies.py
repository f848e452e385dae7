#!/usr/bin/python3
"""Validates request bodies against Microsoft's official SDK models (Debian python3-azure).

Usage: validate_bodies.py DIR
Each DIR/<service>.<Model>.<case>.json is checked against azure.batch.models (service
"batch") or azure.mgmt.compute gallery models (service "compute"):
  - every member must be known to the model (flattened ARM keys such as
    properties.publishingProfile included), with the JSON type the model declares;
  - read-only members must not be sent;
  - the msrest Deserializer must accept it and Model.validate() must report nothing.
Exit status 0 when every body passes, 1 otherwise (one line per problem).
"""
import enum
import json
import os
import re
import sys

import azure.batch.models as batch_models
import isodate
from azure.mgmt.compute.v2022_03_03 import models as compute_models
from msrest.serialization import Deserializer

MODULES = {"batch": batch_models, "compute": compute_models}


def model_classes(module):
    return {k: v for k, v in vars(module).items() if isinstance(v, type)}


def key_tree(cls):
    """Wire-key tree of a model: {'properties': {'publishingProfile': (attr, type)}}."""
    tree = {}
    for attr, spec in cls._attribute_map.items():
        parts = [p.replace("\\.", ".") for p in re.split(r"(?<!\\)\.", spec["key"])]
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = (attr, spec["type"])
    return tree


def check_value(value, type_name, path, classes, problems):
    if type_name.startswith("[") and type_name.endswith("]"):
        if not isinstance(value, list):
            problems.append(f"{path}: expected an array")
            return
        for i, item in enumerate(value):
            check_value(item, type_name[1:-1], f"{path}[{i}]", classes, problems)
        return
    if type_name.startswith("{") and type_name.endswith("}"):
        if not isinstance(value, dict):
            problems.append(f"{path}: expected an object")
            return
        for k, item in value.items():
            check_value(item, type_name[1:-1], f"{path}.{k}", classes, problems)
        return
    if type_name == "str":
        ok = isinstance(value, str)
    elif type_name in ("int", "long"):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif type_name == "bool":
        ok = isinstance(value, bool)
    elif type_name == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif type_name == "duration":
        ok = isinstance(value, str)
        if ok:
            try:
                isodate.parse_duration(value)
            except Exception:  # noqa: BLE001
                ok = False
    elif type_name in ("iso-8601", "rfc-1123"):
        ok = isinstance(value, str)
    elif type_name == "object":
        ok = True
    elif type_name in classes and issubclass(classes[type_name], enum.Enum):
        allowed = [e.value for e in classes[type_name]]
        ok = isinstance(value, str) and value in allowed
        if not ok:
            problems.append(f"{path}: {json.dumps(value)} is not one of {allowed}")
            return
    elif type_name in classes:
        check_model(value, classes[type_name], path, classes, problems)
        return
    else:
        problems.append(f"{path}: unknown model type {type_name}")
        return
    if not ok:
        problems.append(f"{path}: {json.dumps(value)} is not a valid {type_name}")


def check_model(data, cls, path, classes, problems):
    if not isinstance(data, dict):
        problems.append(f"{path}: expected an object for {cls.__name__}")
        return
    validation = getattr(cls, "_validation", {})
    readonly = {a for a, v in validation.items() if v.get("readonly")}
    for attr, rules in validation.items():
        if not rules.get("required"):
            continue
        node = data
        for part in re.split(r"(?<!\\)\.", cls._attribute_map[attr]["key"]):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            problems.append(f"{path or cls.__name__}: required member "
                            f"{cls._attribute_map[attr]['key']} is missing")
    walk(data, key_tree(cls), readonly, path, cls, classes, problems)


def walk(data, tree, readonly, path, cls, classes, problems):
    for key, value in data.items():
        where = f"{path}.{key}" if path else key
        if key not in tree:
            problems.append(f"{where}: not a member of {cls.__name__}")
            continue
        node = tree[key]
        if isinstance(node, dict):
            if not isinstance(value, dict):
                problems.append(f"{where}: expected an object")
                continue
            walk(value, node, readonly, where, cls, classes, problems)
            continue
        attr, type_name = node
        if attr in readonly:
            problems.append(f"{where}: read-only in {cls.__name__}")
        check_value(value, type_name, where, classes, problems)


def validate_file(path):
    name = os.path.basename(path)
    service, model, _ = name.split(".", 2)
    classes = model_classes(MODULES[service])
    cls = classes[model]
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    problems = []
    check_model(data, cls, "", classes, problems)
    try:
        obj = Deserializer(classes)(model, data)
        validate = getattr(obj, "validate", None)  # msrest models; azure-core ones have none
        for error in (validate() if validate else None) or []:
            problems.append(f"validate: {error}")
    except Exception as e:  # noqa: BLE001
        problems.append(f"deserialize: {e}")
    return [f"{name}: {p}" for p in problems]


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    files = sorted(f for f in os.listdir(sys.argv[1]) if f.endswith(".json"))
    if not files:
        print("no bodies to validate", file=sys.stderr)
        return 1
    problems = []
    for f in files:
        problems += validate_file(os.path.join(sys.argv[1], f))
    for p in problems:
        print(p)
    print(f"{len(files)} bodies, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
