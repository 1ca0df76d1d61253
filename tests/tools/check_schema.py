#!/usr/bin/env python3
"""Checks JSON documents against a JSON Schema, the subset kprod's
schemas use: type (object, array, string, integer, number, boolean), enum,
minimum, maximum, required, properties, additionalProperties (false),
items. Exit 0 when every document fits; otherwise one line per problem,
naming where it is (as $.brokers[0].port), and exit 1.

Usage: check_schema.py SCHEMA.json DOC.json [DOC.json ...]
A DOC file may hold one document per line (JSON Lines)."""
import json
import sys

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


def check(schema, v, where, out):
    t = schema.get("type")
    if t and not TYPES[t](v):
        out.append(f"{where}: {json.dumps(v)[:60]} is not {t}")
        return
    if "enum" in schema and v not in schema["enum"]:
        out.append(f"{where}: {v!r} is not one of {schema['enum']}")
    if "minimum" in schema and v < schema["minimum"]:
        out.append(f"{where}: {v} is below {schema['minimum']}")
    if "maximum" in schema and v > schema["maximum"]:
        out.append(f"{where}: {v} is above {schema['maximum']}")
    if t == "object":
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in v:
                out.append(f"{where}: missing '{k}'")
        for k, sub in v.items():
            if k in props:
                check(props[k], sub, f"{where}.{k}", out)
            elif schema.get("additionalProperties", True) is False:
                out.append(f"{where}: '{k}' is not in the schema")
    if t == "array" and "items" in schema:
        for i, sub in enumerate(v):
            check(schema["items"], sub, f"{where}[{i}]", out)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    problems, docs = [], 0
    for path in sys.argv[2:]:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    doc = json.loads(line)
                except ValueError as e:
                    problems.append(f"{path}:{n}: not JSON: {e}")
                    continue
                docs += 1
                check(schema, doc, f"{path}:{n}: $", problems)
    for p in problems:
        print(p)
    if docs == 0:
        print("no documents")
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
