"""Template check: translate template.yaml offline with samtranslator, then cfn-lint the result.

`sam validate --lint` and cfn-lint skip the properties inside AWS::Serverless::* resources; the
translated CloudFormation has none, so every generated resource is linted. Runs in .tools/sam.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

# CloudFormation refuses stacks above 500 resources; stay well clear so new routes still fit.
MAX_RESOURCES = 450

# Values for parameters without a default: translation needs them, their content does not matter.
FAKE_PARAMETERS = {
    "DatabaseUrlSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:a2n-db-AbCdEf",
}


class OfflinePolicyLoader:
    """Stands in for IAM: managed policies named by short name resolve to their AWS ARN shape."""

    def load(self) -> dict[str, str]:
        names = ["AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess", "AWSLambdaSQSQueueExecutionRole"]
        return {name: f"arn:aws:iam::aws:policy/service-role/{name}" for name in names}


def as_packaged(sam: dict[str, Any]) -> None:
    """Point local code paths at S3, as `sam package` would; translation only accepts S3 URIs."""
    for resource in sam.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"s3://a2n-artifacts/{props[key].strip('/')}.zip"


def translate(template_path: Path) -> dict[str, Any]:
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    # Pseudo parameters come from the boto session's region; no credentials or network are used.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    sam = yaml_parse(template_path.read_text())
    as_packaged(sam)
    params = {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", **FAKE_PARAMETERS}
    return transform(sam, params, OfflinePolicyLoader())  # type: ignore[arg-type]


def main(argv: list[str]) -> int:
    template_path = Path(argv[1] if len(argv) > 1 else "template.yaml")
    from samtranslator.model.exceptions import InvalidDocumentException

    try:
        translated = translate(template_path)
    except InvalidDocumentException as exc:
        for cause in exc.causes:
            print(f"error: {cause.message}", file=sys.stderr)
        return 1
    count = len(translated["Resources"])
    print(f"translated {template_path}: {count} CloudFormation resources (limit {MAX_RESOURCES})")
    if count > MAX_RESOURCES:
        print(f"error: {count} resources; split the stack or share more", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "translated.json"
        out.write_text(json.dumps(translated, indent=1))
        cfn_lint = Path(sys.executable).with_name("cfn-lint")
        # W2001 (unused parameter) is noise here: SAM inlines parameters such as the CORS origins
        # during translation; `sam validate --lint` checks unused parameters on the source template.
        command = [str(cfn_lint), "--regions", "us-east-1", "--ignore-checks", "W2001", "--", str(out)]
        result = subprocess.run(command, check=False)
    if result.returncode:
        print("cfn-lint found problems in the translated template (above)", file=sys.stderr)
    else:
        print("cfn-lint: translated template is clean")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
