"""Writes the request half of botocore's cognito-idp and cognito-identity service models
(Apache-2.0, (c) Amazon.com) to Sources/CognateCognitoAPI/Resources/<service>-model.json: every
operation's name, input shape and auth type, and the shapes its input reaches with their
constraints. Cognate checks requests against them exactly as the SDKs describe them.

    python3 scripts/gen_cognito_model.py   # after upgrading boto3
"""
import gzip
import json
import os

import botocore

SERVICES = [("cognito-idp", "2016-04-18"), ("cognito-identity", "2014-06-30")]
KEEP = ("type", "min", "max", "pattern", "enum", "required", "sensitive")


def main():
    for service, version in SERVICES:
        write(service, version)


def write(service, version):
    source = os.path.join(os.path.dirname(botocore.__file__), "data", service, version, "service-2.json.gz")
    target = os.path.join(os.path.dirname(__file__), "..", "Sources", "CognateCognitoAPI", "Resources", f"{service}-model.json")
    model = json.load(gzip.open(source))
    shapes, operations, wanted = model["shapes"], {}, set()

    def reach(name):
        if name in wanted:
            return
        wanted.add(name)
        shape = shapes[name]
        for ref in list(shape.get("members", {}).values()) + [shape.get(k) for k in ("member", "key", "value") if k in shape]:
            reach(ref["shape"])

    for name, op in sorted(model["operations"].items()):
        no_auth = op.get("authtype") == "none" or op.get("auth") == ["smithy.api#noAuth"]
        entry = {"auth": "none" if no_auth else "sigv4"}
        if "input" in op:
            entry["input"] = op["input"]["shape"]
            reach(op["input"]["shape"])
        operations[name] = entry

    out = {}
    for name in sorted(wanted):
        shape = shapes[name]
        compact = {k: shape[k] for k in KEEP if k in shape}
        if "members" in shape:
            compact["members"] = {m: ref["shape"] for m, ref in shape["members"].items()}
        for k in ("member", "key", "value"):
            if k in shape:
                compact[k] = shape[k]["shape"]
        out[name] = compact
    document = {
        "source": f"botocore {service} {version} service-2.json (Apache-2.0), request shapes only",
        "botocore": botocore.__version__,
        "targetPrefix": model["metadata"]["targetPrefix"],
        "operations": operations,
        "shapes": out,
    }
    with open(target, "w") as f:
        json.dump(document, f, indent=0, sort_keys=True, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
