"""Invariants of the SAM templates that deploys would only reveal in production: logs kept and bounded,
queues with dead-letter queues and safe visibility timeouts, no route open by accident, every stack well
under CloudFormation's resource limit, nested stacks wired consistently, and handlers where the
templates say they are.

The application is ``template.yaml`` plus the nested applications it names (one per area, under
``functions/``); ``stacks`` follows those, and ``origin`` follows a child's ``!Ref Parameter`` to what
the parent passes (and ``!GetAtt Child.Outputs.X`` into the child), so each invariant is checked where
the value really comes from."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from a2n.local.intrinsics import load_cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = "AWS::Serverless::Function"
APPLICATION = "AWS::Serverless::Application"
QUEUE = "AWS::SQS::Queue"
LOG_GROUP = "AWS::Logs::LogGroup"
ROUTE = "AWS::ApiGatewayV2::Route"
INTEGRATION = "AWS::ApiGatewayV2::Integration"
PERMISSION = "AWS::Lambda::Permission"
# API.md: the only routes reachable without credentials.
PUBLIC_ROUTES = {
    "GET /health",
    "GET /openapi.json",
    "POST /auth/register",
    "POST /auth/login",
    "POST /auth/refresh",
    "POST /auth/logout",
    # Issue 12: the account flows that happen before (or instead of) signing in.
    "POST /auth/login/2fa",
    "POST /auth/verify-email",
    "POST /auth/password/forgot",
    "POST /auth/password/reset",
    "POST /auth/email/confirm",
    "GET /auth/oidc/{provider}/authorize",
    "POST /auth/oidc/{provider}/callback",
    "POST /auth/oidc/link",
    "GET /oauth2/callback",
    "ANY /webhooks/{token}",
    "ANY /webhooks/{token}/{rest+}",
}
# CloudFormation refuses a stack above 500 resources; each stack keeps room for dozens more routes
# (6 resources each). .ci/check_template.py (make lint) holds the same bound on samtranslator's output.
MAX_RESOURCES_PER_STACK = 400


@dataclass(frozen=True, eq=False)
class Stack:
    name: str  # logical id of the nested application; "" for template.yaml
    path: Path
    doc: dict[str, Any]
    parent: Stack | None = None

    @property
    def resources(self) -> dict[str, Any]:
        return self.doc.get("Resources") or {}

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in self.resources.items() if r["Type"] == kind}

    def passed(self) -> dict[str, Any]:
        """The parameters the parent passes to this stack."""
        assert self.parent is not None
        return self.parent.resources[self.name]["Properties"].get("Parameters") or {}

    def child(self, name: str) -> Stack:
        location = self.resources[name]["Properties"]["Location"]
        path = (self.path.parent / location).resolve()
        return Stack(name, path, load_cfn_yaml(path.read_text()), self)

    def __repr__(self) -> str:
        return str(self.path.relative_to(ROOT))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Stack) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)


def load_stacks() -> list[Stack]:
    root = Stack("", ROOT / "template.yaml", load_cfn_yaml((ROOT / "template.yaml").read_text()))
    found = [root]
    for stack in found:  # grows while iterating: breadth first over nested applications
        found.extend(stack.child(lid) for lid in stack.of_type(APPLICATION))
    return found


@pytest.fixture(scope="module")
def stacks() -> list[Stack]:
    return load_stacks()


def by_name(stacks: list[Stack], name: str) -> Stack:
    return next(s for s in stacks if s.name == name)


def functions(stacks: list[Stack]) -> Iterator[tuple[Stack, str, dict[str, Any]]]:
    for stack in stacks:
        for lid, function in stack.of_type(FUNCTION).items():
            yield stack, lid, function["Properties"]


def ref_target(value: Any) -> str:
    """The logical id named by ``!Ref X`` or ``!GetAtt X.Attr``."""
    if "Ref" in value:
        return str(value["Ref"])
    return str(value["Fn::GetAtt"][0])


def origin(stack: Stack, value: Any) -> tuple[Stack, Any]:
    """Where a value comes from: a child's ``!Ref Param`` → the parent's value; ``!GetAtt Child.Outputs.X``
    → the child's output value; anything else is returned as it is."""
    if isinstance(value, dict) and "Ref" in value and value["Ref"] in (stack.doc.get("Parameters") or {}):
        return origin(stack.parent, stack.passed()[value["Ref"]]) if stack.parent else (stack, value)
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        lid, attribute = value["Fn::GetAtt"]
        if stack.resources.get(lid, {}).get("Type") == APPLICATION and attribute.startswith("Outputs."):
            child = stack.child(lid)
            return origin(child, child.doc["Outputs"][attribute.removeprefix("Outputs.")]["Value"])
    return stack, value


def origin_resource(stack: Stack, value: Any) -> tuple[Stack, str]:
    """The stack and logical id of the resource a (possibly passed-down) reference names."""
    where, resolved = origin(stack, value)
    lid = ref_target(resolved)
    assert lid in where.resources, f"{stack}: {value} names no resource (ends at {where}: {resolved})"
    return where, lid


def globals_of(stack: Stack) -> dict[str, Any]:
    return (stack.doc.get("Globals") or {}).get("Function") or {}


def function_setting(stack: Stack, props: dict[str, Any], key: str) -> Any:
    return props.get(key, globals_of(stack).get(key))


def test_every_nested_template_is_a_local_file_under_functions(stacks: list[Stack]) -> None:
    nested = stacks[1:]
    assert nested, "template.yaml nests one application per area"
    for stack in nested:
        assert stack.path.is_relative_to(ROOT / "functions"), stack
    assert len({s.path for s in stacks}) == len(stacks), "a template is nested twice"


def test_parent_passes_exactly_the_parameters_each_nested_template_declares(stacks: list[Stack]) -> None:
    for stack in stacks[1:]:
        declared = stack.doc.get("Parameters") or {}
        required = {name for name, spec in declared.items() if "Default" not in spec}
        passed = set(stack.passed())
        # CloudFormation rejects an undeclared parameter and a missing required one.
        assert passed <= set(declared), f"{stack}: passed but not declared: {passed - set(declared)}"
        assert required <= passed, f"{stack}: declared but not passed: {required - passed}"


def test_shared_parameters_and_globals_are_declared_alike_in_every_nested_template(
    stacks: list[Stack],
) -> None:
    nested = [s for s in stacks[1:] if s.of_type(FUNCTION)]
    declarations: dict[str, tuple[Stack, Any]] = {}
    for stack in nested:
        for name, spec in (stack.doc.get("Parameters") or {}).items():
            first = declarations.setdefault(name, (stack, spec))
            assert first[1] == spec, f"parameter {name}: {stack} and {first[0]} declare it differently"
        for name, value in stack.passed().items():
            # ...and every stack gets the same value for it (one KMS key, one queue map, one API).
            assert value == by_name(stacks, nested[0].name).passed().get(name, value), f"{stack}: {name}"
    engine = by_name(stacks, "Engine")

    def normalized(stack: Stack) -> dict[str, Any]:
        # Only request-serving stacks cap their functions' concurrency (tested below).
        mine = {k: v for k, v in globals_of(stack).items() if k != "ReservedConcurrentExecutions"}
        if stack != engine:
            return mine
        # The engine builds the queue map itself and hands the very same text to the others.
        variables = mine["Environment"]["Variables"]
        assert variables["A2N_QUEUE_URLS"] == engine.doc["Outputs"]["QueueUrls"]["Value"]
        return {**mine, "Environment": {"Variables": {**variables, "A2N_QUEUE_URLS": {"Ref": "QueueUrls"}}}}

    for stack in nested:
        assert normalized(stack) == normalized(nested[-1]), f"{stack}: Globals differ from {nested[-1]}'s"


def test_globals_pin_a_lambda_python_at_least_3_12_with_tracing_and_both_layers(stacks: list[Stack]) -> None:
    for stack in (s for s in stacks if s.of_type(FUNCTION)):
        function_globals = globals_of(stack)
        assert re.fullmatch(r"python3\.(1[2-9])", function_globals["Runtime"])
        assert function_globals["Tracing"] == "Active"
        layers = [origin_resource(stack, layer)[1] for layer in function_globals["Layers"]]
        assert layers == ["DepsLayer", "A2NLayer"], stack
        variables = function_globals["Environment"]["Variables"]
        for name in ("POWERTOOLS_SERVICE_NAME", "LOG_LEVEL", "A2N_STAGE", "A2N_DATABASE_SECRET_ARN"):
            assert name in variables


def test_every_function_logs_to_its_own_log_group_with_retention(stacks: list[Stack]) -> None:
    used: set[str] = set()
    for stack, lid, props in functions(stacks):
        log_groups = stack.of_type(LOG_GROUP)
        group_id = ref_target(props["LoggingConfig"]["LogGroup"])
        group = log_groups[group_id]["Properties"]
        assert origin(stack, group["RetentionInDays"])[1] == {"Ref": "LogRetentionDays"}, lid
        # Named after the function, so the console's "View logs" still finds it.
        assert group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/" + props["FunctionName"]["Fn::Sub"]}, lid
        # ...which is the root stack's name, whichever stack declares the function.
        assert props["FunctionName"]["Fn::Sub"].startswith("${AppName}-"), lid
        assert origin(stack, {"Ref": "AppName"})[1] == {"Ref": "AWS::StackName"}, lid
        assert group_id not in used, f"{lid} shares a log group"
        used.add(group_id)
    for stack in stacks:
        assert all(g["Properties"].get("RetentionInDays") for g in stack.of_type(LOG_GROUP).values())


def test_logical_ids_of_functions_and_queues_are_unique_across_stacks(stacks: list[Stack]) -> None:
    # `a2n invoke FunctionId` and the local runtime name them without their stack.
    ids = [lid for stack in stacks for lid, r in stack.resources.items() if r["Type"] in (FUNCTION, QUEUE)]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_every_function_has_a_handler_file_where_the_template_says(stacks: list[Stack]) -> None:
    for stack, lid, props in functions(stacks):
        module, _, name = function_setting(stack, props, "Handler").partition(".")
        code = (stack.path.parent / props["CodeUri"]).resolve()
        assert code.is_relative_to(ROOT / "functions"), lid
        tree = ast.parse((code / f"{module}.py").read_text())
        assert name in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}, lid


def sqs_consumers(stack: Stack) -> dict[str, tuple[str, dict[str, Any]]]:
    """Queue logical id → (consuming function, its SQS event properties)."""
    consumers: dict[str, tuple[str, dict[str, Any]]] = {}
    for lid, function in stack.of_type(FUNCTION).items():
        for event in (function["Properties"].get("Events") or {}).values():
            if event["Type"] == "SQS":
                consumers[ref_target(event["Properties"]["Queue"])] = (lid, event["Properties"])
    return consumers


def redrive_dlqs(stack: Stack) -> set[str]:
    """Queues some other queue redrives to."""
    return {
        ref_target(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for q in stack.of_type(QUEUE).values()
        if "RedrivePolicy" in q["Properties"]
    }


def schedule_dlqs(stacks: list[Stack]) -> set[tuple[str, str]]:
    """(stack, queue) that A2N_SCHEDULE_DLQ_ARN names in any stack: every schedule's DeadLetterConfig
    (EventBridge Scheduler sends it the fires it could not deliver; no queue redrives to it)."""
    found = set()
    for stack in stacks:
        value = globals_of(stack).get("Environment", {}).get("Variables", {}).get("A2N_SCHEDULE_DLQ_ARN")
        if value is not None:
            where, lid = origin_resource(stack, value)
            found.add((where.name, lid))
    return found


def test_every_consumed_queue_has_a_dlq_and_outlasts_its_consumer(stacks: list[Stack]) -> None:
    consumed = 0
    for stack in stacks:
        queues = stack.of_type(QUEUE)
        for queue_id, (function_id, event) in sqs_consumers(stack).items():
            consumed += 1
            queue = queues[queue_id]["Properties"]
            redrive = queue["RedrivePolicy"]
            assert ref_target(redrive["deadLetterTargetArn"]) in queues, queue_id
            assert redrive["maxReceiveCount"] >= 5, queue_id
            timeout = function_setting(stack, stack.resources[function_id]["Properties"], "Timeout")
            assert queue["VisibilityTimeout"] >= 6 * timeout, queue_id
            assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"], function_id
    assert consumed, "the node-queue pattern needs at least one consumed queue"


def test_every_queue_is_encrypted_and_dead_letter_queues_keep_messages_14_days(stacks: list[Stack]) -> None:
    scheduled = schedule_dlqs(stacks)
    assert scheduled
    for stack in stacks:
        dlqs = redrive_dlqs(stack) | {lid for name, lid in scheduled if name == stack.name}
        queues = stack.of_type(QUEUE)
        for lid, queue in queues.items():
            props = queue["Properties"]
            assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props, lid
            assert lid in dlqs or "RedrivePolicy" in props, f"{lid}: neither a DLQ nor has one"
        for lid in dlqs:
            assert queues[lid]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_every_dead_letter_queue_has_an_alarm_that_notifies_the_topic(stacks: list[Stack]) -> None:
    scheduled = schedule_dlqs(stacks)
    for stack in stacks:
        alarms = stack.of_type("AWS::CloudWatch::Alarm").values()
        watched = {
            ref_target(d["Value"])
            for a in alarms
            for d in a["Properties"]["Dimensions"]
            if d["Name"] == "QueueName"
        }
        assert redrive_dlqs(stack) | {lid for name, lid in scheduled if name == stack.name} <= watched
        for alarm in alarms:
            _, topic, _ = alarm["Properties"]["AlarmActions"]["Fn::If"]
            assert origin(stack, topic[0])[1] == {"Ref": "AlarmTopicArn"}, stack


def test_schedules_have_a_dead_letter_queue_their_role_may_send_to(stacks: list[Stack]) -> None:
    ((stack_name, dlq),) = schedule_dlqs(stacks)
    stack = by_name(stacks, stack_name)
    assert stack.resources[dlq]["Type"] == QUEUE
    roles = set()
    for each in stacks:
        value = globals_of(each).get("Environment", {}).get("Variables", {}).get("A2N_SCHEDULE_ROLE_ARN")
        if value is not None:
            roles.add(origin_resource(each, value))
    ((role_stack, role_id),) = roles
    role = role_stack.resources[role_id]["Properties"]
    grants = [
        statement
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Action"] in ("sqs:SendMessage", ["sqs:SendMessage"])
    ]

    # Scheduler delivers dead letters with the schedule's execution role: without this they are lost.
    assert role_stack == stack
    assert [ref_target(g["Resource"]) for g in grants] == [dlq]


def test_the_authorizer_never_caches_and_answers_simply(stacks: list[Stack]) -> None:
    ((stack, authorizer),) = [
        (s, r["Properties"]) for s in stacks for r in s.of_type("AWS::ApiGatewayV2::Authorizer").values()
    ]
    assert authorizer["Name"] == "A2NAuthorizer"
    assert authorizer["AuthorizerResultTtlInSeconds"] == 0
    assert authorizer["EnableSimpleResponses"] is True
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
    assert "${AuthorizerFunction.Arn}" in authorizer["AuthorizerUri"]["Fn::Sub"]
    assert origin_resource(stack, authorizer["ApiId"])[1] == "HttpApi"


def routes(stacks: list[Stack]) -> Iterator[tuple[Stack, str, dict[str, Any]]]:
    for stack in stacks:
        for lid, route in stack.of_type(ROUTE).items():
            yield stack, lid, route["Properties"]


def test_every_route_reaches_its_function_through_an_integration_and_a_permission(
    stacks: list[Stack],
) -> None:
    keys = []
    for stack, lid, route in routes(stacks):
        keys.append(route["RouteKey"])
        assert origin_resource(stack, route["ApiId"])[1] == "HttpApi", lid
        integration_id = re.fullmatch(r"integrations/\$\{(\w+)\}", route["Target"]["Fn::Sub"]).group(1)  # type: ignore[union-attr]
        integration = stack.resources[integration_id]
        assert integration["Type"] == INTEGRATION, lid
        props = integration["Properties"]
        assert (props["IntegrationType"], props["PayloadFormatVersion"]) == ("AWS_PROXY", "2.0"), lid
        function_id = ref_target(props["IntegrationUri"])
        assert stack.resources[function_id]["Type"] == FUNCTION, lid
        permissions = [
            p["Properties"]
            for p in stack.of_type(PERMISSION).values()
            if p["Properties"]["FunctionName"] == {"Ref": function_id}
        ]
        assert len(permissions) == 1, f"{function_id}: one Lambda permission for API Gateway"
        assert permissions[0]["Principal"] == "apigateway.amazonaws.com"
        assert permissions[0]["SourceArn"]["Fn::Sub"].endswith(":${HttpApiId}/*"), function_id
    assert len(keys) == len(set(keys)), "a route key is declared twice"


def test_only_the_public_routes_skip_the_authorizer(stacks: list[Stack]) -> None:
    found = list(routes(stacks))
    public = set()
    for stack, lid, route in found:
        if route["AuthorizationType"] == "NONE":
            public.add(route["RouteKey"])
        else:
            assert route["AuthorizationType"] == "CUSTOM", lid
            assert origin_resource(stack, route["AuthorizerId"])[1] == "A2NAuthorizer", lid
    assert public == PUBLIC_ROUTES
    # SAM HttpApi events cannot name an API of another stack: every route is an explicit Route.
    for _, lid, props in functions(stacks):
        events = (props.get("Events") or {}).values()
        assert all(e["Type"] != "HttpApi" for e in events), f"{lid}: declare its route as a Route resource"


def test_policies_grant_no_wildcard_resources_or_broad_managed_policies(stacks: list[Stack]) -> None:
    for _, lid, props in functions(stacks):
        for policy in props.get("Policies") or []:
            assert not isinstance(policy, str), f"{lid}: managed policy {policy} is broader than needed"
            for statement in policy.get("Statement", []) if "Statement" in policy else []:
                assert statement.get("Resource") not in ("*", ["*"]), lid


# What the SAM transform generates per resource (samtranslator 1.x); anything else must be taught here
# before it is used, so the count stays exact (make lint prints samtranslator's own, per stack).
SAM_PREFIX = "AWS::Serverless::"
PER_EVENT = {"SQS": 1, "Schedule": 2, "ScheduleV2": 2, "HttpApi": 1}
UNCOUNTED_FUNCTION_PROPERTIES = {
    "AutoPublishAlias",
    "DeploymentPreference",
    "EventInvokeConfig",
    "FunctionUrlConfig",
}


def cloudformation_resources(stack: Stack) -> int:
    total = 0
    for lid, resource in stack.resources.items():
        kind, props = resource["Type"], resource.get("Properties") or {}
        if kind == FUNCTION:
            assert not UNCOUNTED_FUNCTION_PROPERTIES & set(props), f"{lid}: teach cloudformation_resources"
            events = (props.get("Events") or {}).values()
            assert all(e["Type"] in PER_EVENT for e in events), f"{lid}: teach cloudformation_resources"
            total += 1 + ("Role" not in props) + sum(PER_EVENT[e["Type"]] for e in events)
        elif kind in ("AWS::Serverless::LayerVersion", APPLICATION) or not kind.startswith(SAM_PREFIX):
            total += 1
        else:
            pytest.fail(f"{stack}: {kind} {lid}: teach cloudformation_resources what it generates")
    return total


def test_no_stack_comes_near_the_cloudformation_resource_limit(
    stacks: list[Stack], capsys: pytest.CaptureFixture[str]
) -> None:
    counts = {repr(stack): cloudformation_resources(stack) for stack in stacks}
    with capsys.disabled():
        print("\nCloudFormation resources per stack: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for name, count in counts.items():
        assert count <= MAX_RESOURCES_PER_STACK, f"{name}: {count} resources; move an area to its own stack"


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


def test_one_managed_policy_lets_every_publisher_send_to_every_step_queue(stacks: list[Stack]) -> None:
    engine = by_name(stacks, "Engine")
    policy = engine.resources["StepPublishPolicy"]
    assert policy["Type"] == "AWS::IAM::ManagedPolicy"
    statement, *_timers = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "sqs:SendMessage"
    step_queues = {lid for lid in engine.of_type(QUEUE) if lid.endswith("StepQueue")}
    granted = {arn["Fn::GetAtt"][0] for arn in statement["Resource"]}
    # ...and the notification queue, whose deliveries an ending run announces through the outbox.
    missing = "a node type's queue is missing from StepPublishPolicy"
    assert granted == step_queues | {"NotificationQueue"}, missing
    step_functions = {lid for queue, (lid, _) in sqs_consumers(engine).items() if queue in step_queues}
    assert len(step_functions) == len(step_queues)
    publishers = {lid: (stack, props) for stack, lid, props in functions(stacks)}
    for lid in STEP_PUBLISHERS | step_functions:
        stack, props = publishers[lid]
        policies = props.get("Policies") or []
        refs = [origin_resource(stack, p) for p in policies if isinstance(p, dict) and "Ref" in p]
        assert (engine, "StepPublishPolicy") in refs, f"{lid} publishes step messages"
        # ...and nothing else grants SendMessage, so the policy stays the one place to edit.
        inline = [s for p in policies if isinstance(p, dict) for s in p.get("Statement", [])]
        assert all("sqs:SendMessage" not in str(s.get("Action")) for s in inline), lid
        assert not any("SQSSendMessagePolicy" in p for p in policies if isinstance(p, dict)), lid


def root_parameter(stacks: list[Stack], stack: Stack, value: Any) -> str:
    """The root parameter a nested value comes from (through ``!Join [",", !Ref P]`` for lists)."""
    where, resolved = origin(stack, value)
    assert where == stacks[0], f"{stack}: {value} does not come from the root ({resolved})"
    if "Fn::Join" in resolved:
        separator, inner = resolved["Fn::Join"]
        assert separator == ","
        resolved = inner
    assert resolved["Ref"] in stacks[0].doc["Parameters"], f"{stack}: {value} → {resolved}"
    return str(resolved["Ref"])


def test_with_subnets_set_every_function_runs_in_the_vpc(stacks: list[Stack]) -> None:
    assert not stacks[0].of_type(FUNCTION), "the root declares no function: all are in nested stacks"
    in_vpc = {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "SubnetIds"}]}, ""]}]}
    assert stacks[0].doc["Conditions"]["InVpc"] == in_vpc
    checked = 0
    for stack in (s for s in stacks if s.of_type(FUNCTION)):
        assert stack.doc["Conditions"]["InVpc"] == in_vpc, stack
        condition, config, otherwise = globals_of(stack)["VpcConfig"]["Fn::If"]
        assert (condition, otherwise) == ("InVpc", {"Ref": "AWS::NoValue"}), stack
        assert root_parameter(stacks, stack, config["SubnetIds"]) == "SubnetIds"
        assert root_parameter(stacks, stack, config["SecurityGroupIds"]) == "SecurityGroupIds"
        for lid, function in stack.of_type(FUNCTION).items():
            assert "VpcConfig" not in function["Properties"], f"{lid} must not override the VPC of Globals"
            checked += 1
    assert checked == sum(1 for _ in functions(stacks))


def test_every_node_queue_caps_the_concurrency_of_its_consumer(stacks: list[Stack]) -> None:
    sources = [
        (stack, lid, event["Properties"])
        for stack, lid, props in functions(stacks)
        for event in (props.get("Events") or {}).values()
        if event["Type"] == "SQS"
    ]
    assert len(sources) >= 9
    for stack, lid, source in sources:
        cap = source["ScalingConfig"]["MaximumConcurrency"]
        assert root_parameter(stacks, stack, cap) == "NodeQueueMaxConcurrency", lid
    spec = stacks[0].doc["Parameters"]["NodeQueueMaxConcurrency"]
    assert (spec["MinValue"], spec["MaxValue"]) == (2, 1000)  # what SQS event sources accept


def request_serving_functions(stacks: list[Stack]) -> set[str]:
    """Functions behind a route, the authorizer and the function EventBridge Scheduler invokes."""
    serving = {"ScheduleTriggerFunction", "AuthorizerFunction"}
    for stack in stacks:
        for integration in stack.of_type(INTEGRATION).values():
            serving.add(ref_target(integration["Properties"]["IntegrationUri"]))
    return serving


def test_request_serving_functions_share_one_optional_concurrency_cap(stacks: list[Stack]) -> None:
    serving = request_serving_functions(stacks)
    capped = set()
    for stack, lid, props in functions(stacks):
        value = function_setting(stack, props, "ReservedConcurrentExecutions")
        if value is None:
            continue
        capped.add(lid)
        assert stack.doc["Conditions"]["CapsApiConcurrency"] == {
            "Fn::Not": [{"Fn::Equals": [{"Ref": "ApiReservedConcurrency"}, 0]}]
        }
        condition, cap, otherwise = value["Fn::If"]
        assert (condition, otherwise) == ("CapsApiConcurrency", {"Ref": "AWS::NoValue"}), lid
        assert root_parameter(stacks, stack, cap) == "ApiReservedConcurrency", lid
    assert capped == serving, "only (and every) request-serving function takes the API cap"


def test_the_generated_jwt_secret_is_encrypted_with_the_stacks_key(stacks: list[Stack]) -> None:
    secret = stacks[0].resources["JwtSigningSecret"]["Properties"]
    assert secret["KmsKeyId"] == {"Fn::If": ["HasKmsKey", {"Ref": "KmsKeyArn"}, {"Ref": "CredentialsKey"}]}
    readers = 0
    for stack, lid, props in functions(stacks):
        policies = props.get("Policies") or []
        reads = [
            p["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"]
            for p in policies
            if "AWSSecretsManagerGetSecretValuePolicy" in p
        ]
        if not any(origin(stack, arn)[1].get("Fn::If", [None])[0] == "HasJwtSecret" for arn in reads):
            continue
        readers += 1
        # Reading a secret under a customer key needs Decrypt on that key (through Secrets Manager).
        decrypts = [
            statement
            for p in policies
            for statement in p.get("Statement", [])
            if statement["Action"] == "kms:Decrypt"
            and statement.get("Condition", {}).get("StringEquals", {}).get("kms:ViaService")
        ]
        assert decrypts, f"{lid} reads the JWT secret without kms:Decrypt"
        _, key = origin(stack, decrypts[0]["Resource"])
        assert key == {
            "Fn::If": ["HasKmsKey", {"Ref": "KmsKeyArn"}, {"Fn::GetAtt": ["CredentialsKey", "Arn"]}]
        }
    assert readers >= 4  # the authorizer, register, login, refresh


def test_functions_reach_the_database_through_the_proxy_when_there_is_one(stacks: list[Stack]) -> None:
    root = stacks[0]
    assert root.resources["DatabaseProxy"]["Condition"] == "CreateDbProxy"
    target = root.resources["DatabaseProxyTargetGroup"]["Properties"]
    assert target["DBClusterIdentifiers"] == [{"Ref": "DbClusterIdentifier"}]
    for stack in (s for s in stacks if s.of_type(FUNCTION)):
        host = globals_of(stack)["Environment"]["Variables"]["A2N_DATABASE_HOST"]
        where, value = origin(stack, host)
        assert where == root
        assert value == {"Fn::If": ["CreateDbProxy", {"Fn::GetAtt": ["DatabaseProxy", "Endpoint"]}, ""]}


def test_engine_timers_are_armed_by_every_publisher_and_may_invoke_only_the_sweeper(
    stacks: list[Stack],
) -> None:
    """Scale to zero: the engine's one-time schedules (a2n.execution.timers) are created by whoever
    publishes step messages, only under the engine's names, with a role that may invoke the sweeper
    and send dead letters, nothing else; every function gets that target and role."""
    root, engine, ops = stacks[0], by_name(stacks, "Engine"), by_name(stacks, "Ops")
    _, *timer_statements = engine.resources["StepPublishPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    create, pass_role = timer_statements
    assert create["Action"] == ["scheduler:CreateSchedule", "scheduler:DeleteSchedule"]
    names = sorted(arn["Fn::Sub"].rsplit("/", 1)[1] for arn in create["Resource"])
    assert names == ["sweep-*", "timer-*"]
    assert all("/${ScheduleGroupName}/" in arn["Fn::Sub"] for arn in create["Resource"])
    assert pass_role["Action"] == "iam:PassRole"
    assert origin_resource(engine, pass_role["Resource"]) == (root, "TimerInvokeRole")

    role = root.resources["TimerInvokeRole"]["Properties"]
    grants = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert [g["Action"] for g in grants] == ["lambda:InvokeFunction", "sqs:SendMessage"]
    assert grants[0]["Resource"]["Fn::Sub"].endswith(":function:${AWS::StackName}-sweeper")
    assert ref_target(grants[1]["Resource"]) == "ScheduleDeadLetterQueue"

    sweeper = ops.resources["SweeperFunction"]["Properties"]
    assert sweeper["FunctionName"] == {"Fn::Sub": "${AppName}-sweeper"}
    # Nothing polls the database: the only fixed timer is the daily rule (sweep + retention).
    (event,) = sweeper["Events"].values()
    assert (event["Type"], event["Properties"]["Schedule"]) == ("Schedule", "rate(1 day)")
    assert json.loads(event["Properties"]["Input"]) == {"kind": "daily"}
    for stack in (s for s in stacks[1:] if s.of_type(FUNCTION)):
        variables = globals_of(stack)["Environment"]["Variables"]
        assert variables["A2N_TIMER_TARGET_ARN"]["Fn::Sub"].endswith(":function:${AppName}-sweeper"), stack
        assert origin_resource(stack, variables["A2N_TIMER_ROLE_ARN"]) == (root, "TimerInvokeRole"), stack


def test_links_in_emails_point_at_the_operators_front_end_or_else_the_api(stacks: list[Stack]) -> None:
    mail = by_name(stacks, "Mail")
    sender = mail.resources["MailSenderFunction"]["Properties"]["Environment"]["Variables"]

    where, value = origin(mail, sender["A2N_APP_BASE_URL"])

    assert where.name == "" and value["Fn::If"][:2] == ["HasAppBaseUrl", {"Ref": "AppBaseUrl"}]
    assert value["Fn::If"][2] == {"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert where.doc["Parameters"]["AppBaseUrl"]["Default"] == ""


def test_webhook_urls_start_with_the_apis_own_address_unless_the_operator_names_one(
    stacks: list[Stack],
) -> None:
    """Activation builds webhook URLs from A2N_PUBLIC_BASE_URL: on AWS that must be the deployed API
    (or the operator's domain), never the local default of http://127.0.0.1:3000."""
    api_url = {"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    for stack in (s for s in stacks[1:] if s.of_type(FUNCTION) and "ScheduleDlqArn" in s.passed()):
        variable = globals_of(stack)["Environment"]["Variables"]["A2N_PUBLIC_BASE_URL"]
        assert origin(stack, variable) == (
            stacks[0],
            {"Fn::If": ["HasPublicBaseUrl", {"Ref": "PublicBaseUrl"}, api_url]},
        ), f"{stack}: A2N_PUBLIC_BASE_URL"
    assert stacks[0].doc["Outputs"]["ApiUrl"]["Value"]["Fn::Sub"].startswith(api_url["Fn::Sub"])


def test_every_node_type_that_runs_as_a_step_has_its_queue_and_step_function(stacks: list[Stack]) -> None:
    """A type added to the registry without its queue would fail only when a workflow first used it."""
    from a2n.nodes.registry import all_specs

    engine = by_name(stacks, "Engine")
    queue_map = engine.doc["Outputs"]["QueueUrls"]["Value"]["Fn::Sub"]
    mapped = dict(re.findall(r'"([a-z_.]+)": "\$\{(\w+)\}"', queue_map))
    # Not a node type's: the notification deliveries' queue, announced through the same outbox.
    assert mapped.pop("notifications") == "NotificationQueue"
    steps = {spec.type for spec in all_specs() if not spec.is_trigger}
    assert set(mapped) == steps, "add the type's queue to A2N_QUEUE_URLS and QueueUrls (docs/extending.md)"
    consumed = sqs_consumers(engine)
    for node_type, queue in mapped.items():
        assert queue in consumed, f"{node_type}: no step function consumes {queue}"
        function, _ = consumed[queue]
        code_uri = engine.resources[function]["Properties"]["CodeUri"]
        assert code_uri == "step/", f"{node_type}: step functions share functions/nodes/step/"


# Functions that answer without the database (a document built from code).
NO_DATABASE = {"OpenApiFunction", "TemplatesListFunction", "CodeSandboxFunction", "MarketplaceSchemaFunction"}


def test_every_function_but_the_code_only_ones_may_read_the_database_secret(stacks: list[Stack]) -> None:
    """A route that reads Postgres without this policy works locally (no IAM) and fails on AWS."""
    missing = [
        lid for _, lid, props in functions(stacks)
        if lid not in NO_DATABASE
        and not any("AWSSecretsManagerGetSecretValuePolicy" in p for p in props.get("Policies") or [])
    ]  # fmt: skip
    assert missing == []
