"""template.yaml as CloudFormation would create it for a set of parameters, as JSON: the
AWS::Serverless transform expanded by aws-sam-translator (the one the local emulator's
CloudFormation uses, from .venv/ministack), then the parameters, mappings and conditions resolved:
resources whose condition is false dropped, each Fn::If replaced by its branch, AWS::NoValue
removed, each parameter's Ref and ${Parameter} replaced by its value. References to resources and
pseudo parameters stay. The CDK construct's parity test (cdk/test/parity.test.ts) compares it with
the synthesized template.

    .venv/ministack/bin/python tools/sam_expand.py [Key=Value ...] > expanded.json

Each function's CodeUri (./, built by sam build) becomes a placeholder S3 location, as sam package
would make it: the translator takes only S3 code.
"""

import copy
import json
import os
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"
NO_VALUE = object()


def load(path=TEMPLATE):
    # The translator's own YAML reader knows CloudFormation's short tags (!Ref, !If, ...).
    from samtranslator.yaml_helper import yaml_parse

    with open(path, encoding="utf-8") as f:
        return yaml_parse(f.read())


def expand(template):
    """The AWS::Serverless transform, as the emulator applies it (no managed policy lookups)."""
    from samtranslator.translator.transform import transform

    template = copy.deepcopy(template)
    for name, resource in template.get("Resources", {}).items():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = f"s3://sam-expand-placeholder/{name}.zip"
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    class NoPolicies:
        def load(self):
            return {}

    return transform(template, {}, NoPolicies())


def parameter_values(template, overrides):
    values = {}
    for name, spec in template.get("Parameters", {}).items():
        default = spec.get("Default", "")
        values[name] = default if isinstance(default, str) else json.dumps(default)
    for name, value in overrides.items():
        if name not in values:
            raise SystemExit(f"sam_expand: template.yaml has no parameter {name}")
        values[name] = value
    return values


def decide(conditions, values):
    decided = {}

    def truth(expr):
        ((fn, args),) = expr.items()
        if fn == "Condition":
            return condition(args)
        if fn == "Fn::Equals":
            return scalar(args[0]) == scalar(args[1])
        if fn == "Fn::Not":
            return not truth(args[0])
        if fn == "Fn::And":
            return all(truth(a) for a in args)
        if fn == "Fn::Or":
            return any(truth(a) for a in args)
        raise SystemExit(f"sam_expand: a condition it cannot decide: {expr}")

    def scalar(v):
        if isinstance(v, dict) and "Ref" in v:
            return values[v["Ref"]]
        return v if isinstance(v, str) else json.dumps(v)

    def condition(name):
        if name not in decided:
            decided[name] = truth(conditions[name])
        return decided[name]

    for name in conditions:
        condition(name)
    return decided


def resolve(v, values, decided, mappings):
    """v with the parameters, mappings and conditions applied; NO_VALUE for AWS::NoValue."""
    if isinstance(v, list):
        items = [resolve(i, values, decided, mappings) for i in v]
        return [i for i in items if i is not NO_VALUE]
    if not isinstance(v, dict):
        return v
    if len(v) == 1:
        ((fn, args),) = v.items()
        if fn == "Ref" and args == "AWS::NoValue":
            return NO_VALUE
        if fn == "Ref" and args in values:
            return values[args]
        if fn == "Fn::If":
            return resolve(args[1] if decided[args[0]] else args[2], values, decided, mappings)
        if fn == "Fn::FindInMap":
            m, key, attr = (resolve(a, values, decided, mappings) for a in args)
            return mappings[m][key][attr]
        if fn == "Fn::Sub" and isinstance(args, str):
            text = re.sub(r"\$\{([A-Za-z0-9]+)\}", lambda m: values.get(m[1], m[0]), args)
            return {"Fn::Sub": text} if "${" in text else text
    out = {}
    for key, value in v.items():
        value = resolve(value, values, decided, mappings)
        if value is not NO_VALUE:
            out[key] = value
    return out


def resolved(template, overrides):
    values = parameter_values(template, overrides)
    expanded = expand(template)
    decided = decide(expanded.get("Conditions", {}), values)
    mappings = expanded.get("Mappings", {})
    resources = {}
    for name, resource in expanded["Resources"].items():
        if not decided.get(resource.get("Condition"), True):
            continue
        resource = {k: v for k, v in resource.items() if k != "Condition"}
        resources[name] = resolve(resource, values, decided, mappings)
    return {"Resources": resources}


def main(argv):
    overrides = {}
    for pair in argv:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"sam_expand: not Key=Value: {pair!r}")
        overrides[key] = value
    json.dump(resolved(load(), overrides), sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
