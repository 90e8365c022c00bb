"""Invariants of template.yaml that deploys would only reveal in production: logs kept and bounded,
queues with dead-letter queues and safe visibility timeouts, no route open by accident, room left
under CloudFormation's resource limit, and handlers where the template says they are."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from a2n.local.intrinsics import load_cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = "AWS::Serverless::Function"
QUEUE = "AWS::SQS::Queue"
LOG_GROUP = "AWS::Logs::LogGroup"
# API.md: the only routes reachable without credentials.
PUBLIC_ROUTES = {
    ("GET", "/health"),
    ("GET", "/openapi.json"),
    ("POST", "/auth/register"),
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/logout"),
    ("ANY", "/webhooks/{token}"),
    ("ANY", "/webhooks/{token}/{rest+}"),
}
CLOUDFORMATION_RESOURCE_LIMIT = 500


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_cfn_yaml((ROOT / "template.yaml").read_text())


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == kind}


def function_setting(template: dict[str, Any], props: dict[str, Any], key: str) -> Any:
    return props.get(key, template["Globals"]["Function"].get(key))


def ref_target(value: Any) -> str:
    """The logical id named by ``!Ref X`` or ``!GetAtt X.Attr``."""
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])


def test_globals_pin_a_lambda_python_at_least_3_12_with_tracing_and_both_layers(
    template: dict[str, Any],
) -> None:
    function_globals = template["Globals"]["Function"]

    assert re.fullmatch(r"python3\.(1[2-9])", function_globals["Runtime"])
    assert function_globals["Tracing"] == "Active"
    assert [ref_target(layer) for layer in function_globals["Layers"]] == ["DepsLayer", "A2NLayer"]
    variables = function_globals["Environment"]["Variables"]
    for name in ("POWERTOOLS_SERVICE_NAME", "LOG_LEVEL", "A2N_STAGE", "A2N_DATABASE_SECRET_ARN"):
        assert name in variables


def test_every_function_logs_to_its_own_log_group_with_retention(template: dict[str, Any]) -> None:
    log_groups = resources_of(template, LOG_GROUP)
    functions = resources_of(template, FUNCTION)
    used: set[str] = set()

    for lid, function in functions.items():
        props = function["Properties"]
        group_id = ref_target(props["LoggingConfig"]["LogGroup"])
        group = log_groups[group_id]["Properties"]
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}, lid
        # Named after the function, so the console's "View logs" still finds it.
        assert group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/" + props["FunctionName"]["Fn::Sub"]}, lid
        assert group_id not in used, f"{lid} shares a log group"
        used.add(group_id)
    assert all(g["Properties"].get("RetentionInDays") for g in log_groups.values())


def test_every_function_has_a_handler_file_where_the_template_says(template: dict[str, Any]) -> None:
    for lid, function in resources_of(template, FUNCTION).items():
        props = function["Properties"]
        module, _, name = function_setting(template, props, "Handler").partition(".")
        source = ROOT / props["CodeUri"] / f"{module}.py"
        assert props["CodeUri"].startswith("functions/"), lid
        tree = ast.parse(source.read_text())
        assert name in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}, lid


def sqs_consumers(template: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Queue logical id → (consuming function, its SQS event properties)."""
    consumers: dict[str, tuple[str, dict[str, Any]]] = {}
    for lid, function in resources_of(template, FUNCTION).items():
        for event in (function["Properties"].get("Events") or {}).values():
            if event["Type"] == "SQS":
                consumers[ref_target(event["Properties"]["Queue"])] = (lid, event["Properties"])
    return consumers


def redrive_dlqs(template: dict[str, Any]) -> set[str]:
    """Queues some other queue redrives to."""
    return {
        ref_target(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for q in resources_of(template, QUEUE).values()
        if "RedrivePolicy" in q["Properties"]
    }


def schedule_dlqs(template: dict[str, Any]) -> set[str]:
    """The queue A2N_SCHEDULE_DLQ_ARN names: every schedule's DeadLetterConfig (EventBridge
    Scheduler sends it the fires it could not deliver; no queue redrives to it)."""
    value = template["Globals"]["Function"]["Environment"]["Variables"].get("A2N_SCHEDULE_DLQ_ARN")
    return {ref_target(value)} if value is not None else set()


def test_every_consumed_queue_has_a_dlq_and_outlasts_its_consumer(template: dict[str, Any]) -> None:
    queues = resources_of(template, QUEUE)
    consumers = sqs_consumers(template)
    assert consumers, "the node-queue pattern needs at least one consumed queue"

    for queue_id, (function_id, event) in consumers.items():
        queue = queues[queue_id]["Properties"]
        redrive = queue["RedrivePolicy"]
        assert ref_target(redrive["deadLetterTargetArn"]) in queues, queue_id
        assert redrive["maxReceiveCount"] >= 5, queue_id
        timeout = function_setting(template, template["Resources"][function_id]["Properties"], "Timeout")
        assert queue["VisibilityTimeout"] >= 6 * timeout, queue_id
        assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"], function_id


def test_every_queue_is_encrypted_and_dead_letter_queues_keep_messages_14_days(
    template: dict[str, Any],
) -> None:
    queues = resources_of(template, QUEUE)
    dlqs = redrive_dlqs(template) | schedule_dlqs(template)

    assert dlqs
    for lid, queue in queues.items():
        assert (
            queue["Properties"].get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in queue["Properties"]
        )
        assert lid in dlqs or "RedrivePolicy" in queue["Properties"], f"{lid}: neither a DLQ nor has one"
    for lid in dlqs:
        assert queues[lid]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_every_dead_letter_queue_has_an_alarm(template: dict[str, Any]) -> None:
    alarms = resources_of(template, "AWS::CloudWatch::Alarm").values()
    watched = {
        ref_target(d["Value"])
        for a in alarms
        for d in a["Properties"]["Dimensions"]
        if d["Name"] == "QueueName"
    }
    dlqs = redrive_dlqs(template) | schedule_dlqs(template)

    assert dlqs <= watched


def test_schedules_have_a_dead_letter_queue_their_role_may_send_to(template: dict[str, Any]) -> None:
    (dlq,) = schedule_dlqs(template)
    assert template["Resources"][dlq]["Type"] == QUEUE
    role_arn = template["Globals"]["Function"]["Environment"]["Variables"]["A2N_SCHEDULE_ROLE_ARN"]
    role = template["Resources"][ref_target(role_arn)]["Properties"]
    grants = [
        statement
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Action"] in ("sqs:SendMessage", ["sqs:SendMessage"])
    ]

    # Scheduler delivers dead letters with the schedule's execution role: without this they are lost.
    assert [ref_target(g["Resource"]) for g in grants] == [dlq]


def test_http_api_authorizer_is_the_default_and_never_caches(template: dict[str, Any]) -> None:
    auth = template["Resources"]["HttpApi"]["Properties"]["Auth"]
    authorizer = auth["Authorizers"][auth["DefaultAuthorizer"]]

    assert auth["DefaultAuthorizer"] == "A2NAuthorizer"
    assert ref_target(authorizer["FunctionArn"]) == "AuthorizerFunction"
    assert authorizer["Identity"]["ReauthorizeEvery"] == 0
    assert authorizer["EnableSimpleResponses"] is True


def test_only_the_public_routes_skip_the_authorizer(template: dict[str, Any]) -> None:
    routes = [
        (lid, event["Properties"])
        for lid, function in resources_of(template, FUNCTION).items()
        for event in (function["Properties"].get("Events") or {}).values()
        if event["Type"] == "HttpApi"
    ]
    assert routes

    public = set()
    for lid, route in routes:
        assert ref_target(route["ApiId"]) == "HttpApi", lid
        authorizer = (route.get("Auth") or {}).get("Authorizer", "A2NAuthorizer")
        if authorizer == "NONE":
            public.add((route["Method"].upper(), route["Path"]))
        else:
            assert authorizer == "A2NAuthorizer", lid
    assert public == PUBLIC_ROUTES


def test_policies_grant_no_wildcard_resources_or_broad_managed_policies(template: dict[str, Any]) -> None:
    for lid, function in resources_of(template, FUNCTION).items():
        for policy in function["Properties"].get("Policies") or []:
            assert not isinstance(policy, str), f"{lid}: managed policy {policy} is broader than needed"
            for statement in policy.get("Statement", []) if "Statement" in policy else []:
                assert statement.get("Resource") not in ("*", ["*"]), lid


def estimated_cloudformation_resources(template: dict[str, Any]) -> int:
    """An upper bound of what the SAM transform generates (the exact count is in `make lint`)."""
    per_event = {"HttpApi": 1, "SQS": 1, "Schedule": 2, "ScheduleV2": 3}
    total = 0
    for resource in template["Resources"].values():
        if resource["Type"] == FUNCTION:
            events = (resource["Properties"].get("Events") or {}).values()
            total += 2 + sum(per_event.get(e["Type"], 3) for e in events)  # function + role + events
        elif resource["Type"] == "AWS::Serverless::HttpApi":
            total += 2 + len(resource["Properties"]["Auth"]["Authorizers"])  # api + stage + permissions
        else:
            total += 1
    return total


def test_stack_stays_well_under_the_cloudformation_resource_limit(template: dict[str, Any]) -> None:
    assert estimated_cloudformation_resources(template) < 0.9 * CLOUDFORMATION_RESOURCE_LIMIT


def test_deps_layer_ships_every_runtime_dependency_but_boto3() -> None:
    def names(specs: list[str]) -> set[str]:
        return {re.split(r"[\[<>=!~ ;]", spec.strip(), maxsplit=1)[0].lower() for spec in specs}

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = (ROOT / "layers/deps/requirements.txt").read_text().splitlines()
    layer = names([line for line in lines if line.strip() and not line.startswith("#")])

    assert names(project["dependencies"]) - {"boto3"} <= layer
    assert "boto3" not in layer  # the runtime provides it; a second copy would shadow botocore


# Functions that start executions or change their state publish step messages (the outbox).
STEP_PUBLISHERS = {
    "WorkflowsExecuteFunction",
    "ExecutionsCancelFunction",
    "ExecutionsRetryFunction",
    "ExecutionsResumeFunction",
    "WebhookTriggerFunction",
    "ScheduleTriggerFunction",
    "SweeperFunction",
}


def step_queues(template: dict[str, Any]) -> set[str]:
    return {lid for lid in resources_of(template, QUEUE) if lid.endswith("StepQueue")}


def test_one_managed_policy_lets_every_publisher_send_to_every_step_queue(template: dict[str, Any]) -> None:
    policy = template["Resources"]["StepPublishPolicy"]
    assert policy["Type"] == "AWS::IAM::ManagedPolicy"
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "sqs:SendMessage"
    granted = {arn["Fn::GetAtt"][0] for arn in statement["Resource"]}
    assert granted == step_queues(template), "a node type's queue is missing from StepPublishPolicy"
    step_functions = {
        lid
        for lid, function in resources_of(template, FUNCTION).items()
        for event in (function["Properties"].get("Events") or {}).values()
        if event["Type"] == "SQS" and event["Properties"]["Queue"]["Fn::GetAtt"][0] in step_queues(template)
    }
    assert len(step_functions) == len(step_queues(template))
    for lid in STEP_PUBLISHERS | step_functions:
        policies = template["Resources"][lid]["Properties"].get("Policies") or []
        assert {"Ref": "StepPublishPolicy"} in policies, f"{lid} publishes step messages"
        # ...and nothing else grants SendMessage, so the policy stays the one place to edit.
        inline = [s for p in policies if isinstance(p, dict) for s in p.get("Statement", [])]
        assert all("sqs:SendMessage" not in str(s.get("Action")) for s in inline), lid
        assert not any("SQSSendMessagePolicy" in p for p in policies if isinstance(p, dict)), lid
