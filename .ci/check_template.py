"""Template check: translate every stack of the application offline with samtranslator, count its
resources, then cfn-lint the result.

The application is template.yaml plus the nested applications it names (`AWS::Serverless::Application`
with a local `Location`, followed recursively). CloudFormation's 500-resource limit applies to each
stack on its own, so each is counted on its own. `sam validate --lint` and cfn-lint skip the
properties inside AWS::Serverless::* resources; the translated CloudFormation has none, so every
generated resource is linted. Runs in .tools/sam; the unit tests import it to count resources too.

    check_template.py [--out DIR] [template.yaml]   translate, count and lint (translations kept in DIR)
    check_template.py --list [template.yaml]        print the path of every template, root first
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# CloudFormation refuses stacks above 500 resources; each stack stays well clear so new routes fit
# (a route costs 6: function, role, log group, route, integration, permission).
MAX_RESOURCES = 400

APPLICATION = "AWS::Serverless::Application"
# Values for parameters without a default: translation needs them, their content does not matter.
FAKE_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:a2n-db-AbCdEf"


@dataclass
class Stack:
    """One template of the application: its path, its logical id in the parent ("" for the root)."""

    path: Path
    name: str
    children: list[Stack] = field(default_factory=list)


class OfflinePolicyLoader:
    """Stands in for IAM: managed policies named by short name resolve to their AWS ARN shape."""

    def load(self) -> dict[str, str]:
        names = [
            "AWSLambdaBasicExecutionRole",
            "AWSXrayWriteOnlyAccess",
            "AWSLambdaSQSQueueExecutionRole",
            "AWSLambdaVPCAccessExecutionRole",
        ]
        return {name: f"arn:aws:iam::aws:policy/service-role/{name}" for name in names}


def yaml_parse(text: str) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse as parse

    return parse(text)  # type: ignore[no-any-return]


def stacks(root: Path) -> list[Stack]:
    """The root template and every nested one it names (depth first), each once."""
    found: list[Stack] = []

    def visit(path: Path, name: str) -> Stack:
        stack = Stack(path=path, name=name)
        found.append(stack)
        for lid, resource in (yaml_parse(path.read_text()).get("Resources") or {}).items():
            location = (resource.get("Properties") or {}).get("Location")
            if resource.get("Type") == APPLICATION and isinstance(location, str) and "://" not in location:
                stack.children.append(visit((path.parent / location).resolve(), lid))
        return stack

    visit(root.resolve(), "")
    return found


def as_packaged(sam: dict[str, Any], root: Path, template_dir: Path) -> None:
    """Point local code paths and nested templates at S3, as `sam package` would (translation needs it)."""
    for resource in sam.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                path = (template_dir / props[key]).resolve().relative_to(root)
                props[key] = f"s3://a2n-artifacts/{path}.zip"
        if resource.get("Type") == APPLICATION and isinstance(props.get("Location"), str):
            path = (template_dir / props["Location"]).resolve().relative_to(root)
            props["Location"] = f"https://a2n-artifacts.s3.us-east-1.amazonaws.com/{path}"
        # A plain AWS::Lambda::Function (the code sandbox) names its local code under Code.
        if resource.get("Type") == "AWS::Lambda::Function" and isinstance(props.get("Code"), str):
            path = (template_dir / props["Code"]).resolve().relative_to(root)
            props["Code"] = {"S3Bucket": "a2n-artifacts", "S3Key": f"{path}.zip"}


def translate(template_path: Path, root: Path | None = None) -> dict[str, Any]:
    from samtranslator.translator.transform import transform

    # Pseudo parameters come from the boto session's region; no credentials or network are used.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # "unpublished metrics" noise
    sam = yaml_parse(template_path.read_text())
    as_packaged(sam, (root or template_path.parent).resolve(), template_path.parent.resolve())
    required = [name for name, spec in (sam.get("Parameters") or {}).items() if "Default" not in spec]
    params = {
        "AWS::Region": "us-east-1",
        "AWS::AccountId": "123456789012",
        **dict.fromkeys(required, FAKE_ARN),
    }
    return transform(sam, params, OfflinePolicyLoader())  # type: ignore[arg-type, no-any-return]


def label(stack: Stack, root: Path) -> str:
    return f"{stack.name or 'root'} ({stack.path.relative_to(root.parent)})"


def main(argv: list[str]) -> int:
    args = argv[1:]
    listing = "--list" in args
    out_dir: Path | None = None
    if "--out" in args:
        out_dir = Path(args[args.index("--out") + 1])
        del args[args.index("--out") : args.index("--out") + 2]
    root = Path(next((a for a in args if not a.startswith("--")), "template.yaml")).resolve()
    every = stacks(root)
    if listing:
        print("\n".join(str(s.path.relative_to(Path.cwd().resolve())) for s in every))
        return 0
    from samtranslator.model.exceptions import InvalidDocumentException

    with tempfile.TemporaryDirectory() as tmp:
        target = out_dir or Path(tmp)
        target.mkdir(parents=True, exist_ok=True)
        for old in target.glob("*.json"):
            old.unlink()
        files: list[str] = []
        too_big = []
        for stack in every:
            try:
                translated = translate(stack.path, root.parent)
            except InvalidDocumentException as exc:
                for cause in exc.causes:
                    print(f"error: {label(stack, root)}: {cause.message}", file=sys.stderr)
                return 1
            count = len(translated["Resources"])
            print(f"{label(stack, root)}: {count} CloudFormation resources (limit {MAX_RESOURCES} per stack)")
            if count > MAX_RESOURCES:
                too_big.append(stack)
            out = target / f"{stack.name or 'root'}.json"
            out.write_text(json.dumps(translated, indent=1))
            files.append(str(out))
        if too_big:
            names = ", ".join(label(s, root) for s in too_big)
            print(
                f"error: {names} above {MAX_RESOURCES}: move an area into its own nested template",
                file=sys.stderr,
            )
            return 1
        cfn_lint = Path(sys.executable).with_name("cfn-lint")
        # W2001 (unused parameter) is noise here: SAM inlines parameters such as the CORS origins
        # during translation; `sam validate --lint` checks unused parameters on the source templates.
        # W1030 is functions/sandbox/template.yaml's own (its Metadata says why); a list given here
        # replaces a template's, so it is repeated.
        command = [str(cfn_lint), "--regions", "us-east-1", "--ignore-checks", "W2001", "W1030", "--", *files]
        result = subprocess.run(command, check=False)
    if result.returncode:
        print("cfn-lint found problems in the translated templates (above)", file=sys.stderr)
    else:
        print(f"cfn-lint: {len(files)} translated templates are clean")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
