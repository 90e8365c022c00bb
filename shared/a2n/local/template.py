"""The SAM template as the local runtime sees it: functions, routes, queues, schedules.

``load_template`` reads ``template.yaml``, merges ``Globals`` into each function per SAM rules and
resolves intrinsics with local values (moto queue URLs, local function ARNs, parameter defaults).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from a2n.errors import ConfigurationError
from a2n.local.intrinsics import ACCOUNT_ID, IntrinsicResolver, ResolveContext, load_cfn_yaml

FUNCTION = "AWS::Serverless::Function"
QUEUE = "AWS::SQS::Queue"
HTTP_API = "AWS::Serverless::HttpApi"


@dataclass(frozen=True)
class Queue:
    logical_id: str
    name: str
    arn: str
    # SQS attribute names → string values, ready for CreateQueue.
    attributes: dict[str, str]
    dead_letter_arn: str | None = None


@dataclass(frozen=True)
class HttpRoute:
    function: str
    method: str  # upper case; ANY matches every method
    path: str  # "/a/{b}/{c+}" or "$default"
    authorizer: str | None  # None = public route


@dataclass(frozen=True)
class Authorizer:
    name: str
    function: str
    identity_headers: tuple[str, ...]
    simple_responses: bool = True


@dataclass(frozen=True)
class SqsSource:
    function: str
    queue: str  # logical id of the queue
    batch_size: int
    report_batch_item_failures: bool
    enabled: bool = True


@dataclass(frozen=True)
class TemplateSchedule:
    """A Schedule (EventBridge rule) or ScheduleV2 (Scheduler) event declared on a function."""

    function: str
    name: str
    expression: str
    timezone: str
    input: str | None
    enabled: bool
    is_rule: bool  # EventBridge rules send a "Scheduled Event" envelope when no Input is given


@dataclass(frozen=True)
class Function:
    logical_id: str
    name: str
    arn: str
    code_uri: Path
    handler: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]


@dataclass(frozen=True)
class Template:
    path: Path
    stack_name: str
    region: str
    functions: dict[str, Function]
    queues: dict[str, Queue]
    routes: list[HttpRoute] = field(default_factory=list)
    authorizers: dict[str, Authorizer] = field(default_factory=dict)
    sqs_sources: list[SqsSource] = field(default_factory=list)
    schedules: list[TemplateSchedule] = field(default_factory=list)

    def function_by_arn(self, arn: str) -> Function | None:
        """Scheduler targets name functions by ARN (possibly with a ``:qualifier``)."""
        name = arn.split(":function:", 1)[-1].split(":", 1)[0]
        return next((f for f in self.functions.values() if name in (f.name, f.logical_id)), None)


def load_template(
    path: Path,
    *,
    region: str = "us-east-1",
    stack_name: str = "a2n",
    parameters: Mapping[str, str] | None = None,
    queue_urls: Mapping[str, str] | None = None,
) -> Template:
    """Read and resolve ``path``; ``queue_urls`` maps queue logical ids to their moto URLs."""
    raw = load_cfn_yaml(path.read_text())
    resources: dict[str, Any] = raw.get("Resources") or {}
    params = {k: v.get("Default", "") for k, v in (raw.get("Parameters") or {}).items()}
    params.update(parameters or {})
    context = ResolveContext(
        parameters=params,
        region=region,
        stack_name=stack_name,
        conditions=raw.get("Conditions") or {},
        mappings=raw.get("Mappings") or {},
    )
    resolver = IntrinsicResolver(context)
    names = _resource_names(resources, resolver, stack_name)
    urls = dict(queue_urls or {})
    context.refs = {
        lid: urls.get(lid, f"http://127.0.0.1:4566/{ACCOUNT_ID}/{names[lid]}")
        if res.get("Type") == QUEUE
        else names[lid]
        for lid, res in resources.items()
    }
    context.attribute = lambda lid, attr: _attribute(resources, names, context, lid, attr)
    from a2n.local import template_events

    template = Template(path=path, stack_name=stack_name, region=region, functions={}, queues={})
    globals_ = (raw.get("Globals") or {}).get("Function") or {}
    for lid, res in resources.items():
        if not _is_active(res, resolver):
            continue
        if res.get("Type") == QUEUE:
            props = resolver.resolve(res.get("Properties") or {})
            template.queues[lid] = _queue(lid, names[lid], props, region)
        elif res.get("Type") == FUNCTION:
            props = _merge_globals(globals_, res.get("Properties") or {})
            template.functions[lid] = _function(path.parent, lid, names[lid], resolver.resolve(props), region)
    template_events.read_events(template, raw, resolver)
    return template


def _is_active(resource: Mapping[str, Any], resolver: IntrinsicResolver) -> bool:
    condition = resource.get("Condition")
    return condition is None or resolver.condition(str(condition))


def _resource_names(resources: dict[str, Any], resolver: IntrinsicResolver, stack: str) -> dict[str, str]:
    """Physical names: the explicit name property if any, else a stable local stand-in."""
    names: dict[str, str] = {}
    for lid, res in resources.items():
        props = res.get("Properties") or {}
        kind = res.get("Type")
        if kind == QUEUE:
            explicit = props.get("QueueName")
            names[lid] = str(resolver.resolve(explicit)) if explicit else f"{stack}-{lid}"
        elif kind == FUNCTION:
            names[lid] = str(resolver.resolve(props["FunctionName"])) if "FunctionName" in props else lid
        else:
            names[lid] = f"{lid.lower()}-local"
    return names


def _attribute(
    resources: dict[str, Any], names: dict[str, str], ctx: ResolveContext, lid: str, attribute: str
) -> str:
    if lid not in resources:
        raise ConfigurationError(f"template: !GetAtt names unknown resource {lid}")
    kind = resources[lid].get("Type")
    name = names[lid]
    if kind == FUNCTION and attribute == "Arn":
        return f"arn:aws:lambda:{ctx.region}:{ACCOUNT_ID}:function:{name}"
    if kind == QUEUE:
        by_attribute = {
            "Arn": f"arn:aws:sqs:{ctx.region}:{ACCOUNT_ID}:{name}",
            "QueueName": name,
            "QueueUrl": str(ctx.refs[lid]),
        }
        if attribute in by_attribute:
            return by_attribute[attribute]
    if attribute == "Arn" or attribute.endswith("Arn"):
        return f"arn:aws:local:{ctx.region}:{ACCOUNT_ID}:{lid}"
    return f"{name}.{attribute}"


def _merge_globals(globals_: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """SAM rules: maps merge (function wins), lists concatenate, scalars are overridden."""
    merged = dict(globals_)
    for key, value in props.items():
        base = merged.get(key)
        if isinstance(base, dict) and isinstance(value, dict):
            merged[key] = _merge_globals(base, value)
        elif isinstance(base, list) and isinstance(value, list):
            merged[key] = base + value
        else:
            merged[key] = value
    return merged


def _function(root: Path, lid: str, name: str, props: Mapping[str, Any], region: str) -> Function:
    code_uri = props.get("CodeUri")
    if not isinstance(code_uri, str):
        raise ConfigurationError(f"template: {lid} needs a local CodeUri path (got {code_uri!r})")
    if "Handler" not in props:
        raise ConfigurationError(f"template: {lid} has no Handler")
    variables = (props.get("Environment") or {}).get("Variables") or {}
    return Function(
        logical_id=lid,
        name=name,
        arn=f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}",
        code_uri=(root / code_uri).resolve(),
        handler=str(props["Handler"]),
        timeout_s=int(props.get("Timeout", 3)),
        memory_mb=int(props.get("MemorySize", 128)),
        environment={k: _env_text(v) for k, v in variables.items()},
    )


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _queue(lid: str, name: str, props: Mapping[str, Any], region: str) -> Queue:
    attributes = {
        key: _env_text(props[key])
        for key in (
            "VisibilityTimeout",
            "DelaySeconds",
            "MessageRetentionPeriod",
            "MaximumMessageSize",
            "ReceiveMessageWaitTimeSeconds",
            "FifoQueue",
            "ContentBasedDeduplication",
        )
        if key in props
    }
    redrive = props.get("RedrivePolicy")
    if redrive:
        attributes["RedrivePolicy"] = json.dumps(redrive) if isinstance(redrive, dict) else str(redrive)
    dlq = redrive.get("deadLetterTargetArn") if isinstance(redrive, dict) else None
    return Queue(
        logical_id=lid,
        name=name,
        arn=f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{name}",
        attributes=attributes,
        dead_letter_arn=dlq,
    )
