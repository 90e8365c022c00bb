"""The code sandbox as CloudFormation will create it (its stack, functions/sandbox/template.yaml,
translated by SAM's own translator as `make lint` and deploys do): a role that may write its own
logs and nothing else, no A2N layer, no environment, fixed limits, and in VPC mode a security group
that lets nothing out; the engine's code step may invoke it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from a2n.local.intrinsics import load_cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
SAM_PYTHON = ROOT / ".tools" / "sam" / "bin" / "python"
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
# What Lambda itself needs to attach a function to subnets (AWS requires them on "*").
VPC_ACTIONS = {
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
}


# Translates the stacks it is given with .ci/check_template.py's translate(), in SAM's own venv.
TRANSLATE = """
import json, sys
from pathlib import Path
sys.path.insert(0, ".ci")
import check_template
root = Path(".").resolve()
stacks = json.loads(sys.argv[1])
print(json.dumps({name: check_template.translate(root / path, root) for name, path in stacks.items()}))
"""
STACKS = {"CodeSandbox": "functions/sandbox/template.yaml", "Engine": "functions/nodes/template.yaml"}


@pytest.fixture(scope="module")
def translations() -> dict[str, dict[str, Any]]:
    if not SAM_PYTHON.exists():
        pytest.fail("the templates are translated with SAM's translator from .tools/sam: run `make tools`")
    command = [str(SAM_PYTHON), "-c", TRANSLATE, json.dumps(STACKS)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return {name: translated["Resources"] for name, translated in json.loads(done.stdout).items()}


@pytest.fixture(scope="module")
def translated(translations: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The sandbox's own stack."""
    return translations["CodeSandbox"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements_of(role: dict[str, Any]) -> list[Any]:
    return [
        s for policy in role["Properties"].get("Policies", []) for s in policy["PolicyDocument"]["Statement"]
    ]


def test_the_sandbox_role_may_write_its_own_logs_and_nothing_else(translated: dict[str, Any]) -> None:
    role = translated["CodeSandboxRole"]
    plain, conditional = statements_of(role)

    assert "ManagedPolicyArns" not in role["Properties"] and "PermissionsBoundary" not in role["Properties"]
    assert plain["Effect"] == "Allow"
    assert set(as_list(plain["Action"])) == LOG_ACTIONS
    assert plain["Resource"] == {"Fn::GetAtt": ["CodeSandboxLogGroup", "Arn"]}
    # Only with a VPC, only the network-interface actions Lambda needs there.
    condition, in_vpc, otherwise = conditional["Fn::If"]
    assert condition == "InVpc" and otherwise == {"Ref": "AWS::NoValue"}
    assert set(in_vpc["Action"]) == VPC_ACTIONS
    principals = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [p["Principal"] for p in principals] == [{"Service": "lambda.amazonaws.com"}]


def test_no_other_policy_is_attached_to_the_sandbox_role(translated: dict[str, Any]) -> None:
    for lid, resource in translated.items():
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            assert {"Ref": "CodeSandboxRole"} not in resource["Properties"].get("Roles", []), lid
    users = [lid for lid, r in translated.items() if r["Type"] == "AWS::Lambda::Function"
             and r["Properties"]["Role"] == {"Fn::GetAtt": ["CodeSandboxRole", "Arn"]}]  # fmt: skip
    assert users == ["CodeSandboxFunction"]


def test_the_sandbox_has_its_own_code_no_a2n_layer_no_environment_and_fixed_limits(
    translated: dict[str, Any],
) -> None:
    props = translated["CodeSandboxFunction"]["Properties"]

    (layer_ref,) = props["Layers"]  # SAM suffixes a layer version's logical id with a content hash
    assert layer_ref["Ref"].startswith("CodeSandboxPackagesLayer")
    assert "Environment" not in props and "TracingConfig" not in props
    assert props["Code"]["S3Key"] == "functions/sandbox/runner.zip"
    assert (props["Handler"], props["Timeout"], props["MemorySize"]) == ("app.lambda_handler", 35, 512)
    assert (ROOT / "functions" / "sandbox" / "runner" / "app.py").read_text().count(
        "def lambda_handler("
    ) == 1
    assert props["ReservedConcurrentExecutions"] == {"Ref": "ReservedConcurrency"}
    layer = translated[layer_ref["Ref"]]
    assert layer["Type"] == "AWS::Lambda::LayerVersion"
    assert layer["Properties"]["Content"]["S3Key"] == "layers/sandbox.zip"
    log_group = translated["CodeSandboxLogGroup"]["Properties"]
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": "CodeSandboxLogGroup"}
    assert log_group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${AppName}-code-sandbox"}
    assert log_group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_in_a_vpc_the_sandbox_gets_a_security_group_that_lets_nothing_in_or_out(
    translated: dict[str, Any],
) -> None:
    condition, vpc, otherwise = translated["CodeSandboxFunction"]["Properties"]["VpcConfig"]["Fn::If"]
    group = translated["CodeSandboxSecurityGroup"]

    assert condition == "InVpc" and otherwise == {"Ref": "AWS::NoValue"}
    assert vpc == {
        "SubnetIds": {"Ref": "SubnetIds"},
        "SecurityGroupIds": [{"Ref": "CodeSandboxSecurityGroup"}],
    }
    assert group["Condition"] == "InVpc"
    assert "SecurityGroupIngress" not in group["Properties"]
    (egress,) = group["Properties"]["SecurityGroupEgress"]
    assert (egress["IpProtocol"], egress["CidrIp"]) == ("-1", "127.0.0.1/32")


def test_the_code_step_may_invoke_the_sandbox_and_is_told_where_it_is(
    translations: dict[str, dict[str, Any]],
) -> None:
    engine = translations["Engine"]
    step = engine["CodeStepFunction"]["Properties"]
    variables = step["Environment"]["Variables"]
    role = engine[step["Role"]["Fn::GetAtt"][0]]

    assert variables["A2N_CODE_SANDBOX_FUNCTION"] == {"Ref": "CodeSandboxFunction"}  # the sandbox's name
    assert variables["A2N_CODE_SANDBOX_IN_VPC"] == {"Ref": "CodeSandboxInVpc"}
    assert variables["A2N_CODE_REQUIRE_VPC"] == {"Ref": "CodeRequireVpc"}
    invokes = [s for s in statements_of(role) if "lambda:InvokeFunction" in as_list(s["Action"])]
    assert invokes and all("CodeSandboxFunction" in json.dumps(s["Resource"]) for s in invokes)


def test_the_root_wires_the_sandboxs_name_and_network_into_the_engine() -> None:
    root = load_cfn_yaml((ROOT / "template.yaml").read_text())["Resources"]
    engine, sandbox = root["Engine"]["Properties"]["Parameters"], root["CodeSandbox"]["Properties"]

    assert sandbox["Location"] == "functions/sandbox/template.yaml"
    assert engine["CodeSandboxFunction"] == {"Fn::GetAtt": ["CodeSandbox", "Outputs.FunctionName"]}
    assert engine["CodeSandboxInVpc"] == {"Fn::If": ["HasCodeSandboxVpc", "true", "false"]}
    assert sandbox["Parameters"]["VpcId"] == {"Ref": "CodeSandboxVpcId"}
