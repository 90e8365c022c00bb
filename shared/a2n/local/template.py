"""The SAM template as the local runtime sees it: functions, routes, queues, schedules.

``load_template`` reads ``template.yaml`` and the nested applications it names (local template files,
with the parameters the parent passes and ``!GetAtt Child.Outputs.X`` resolved), merges ``Globals``
into each function per SAM rules and resolves intrinsics with local values (moto queue URLs, local
function ARNs, parameter defaults).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from a2n.errors import ConfigurationError
from a2n.local.intrinsics import ACCOUNT_ID, IntrinsicResolver, ResolveContext, load_cfn_yaml

FUNCTION = "AWS::Serverless::Function"
# A plain function: no Globals, code under `Code` (the code sandbox is one, to escape the Globals).
LAMBDA_FUNCTION = "AWS::Lambda::Function"
QUEUE = "AWS::SQS::Queue"
HTTP_API = "AWS::Serverless::HttpApi"
APPLICATION = "AWS::Serverless::Application"
# Nested stacks: SAM's application (Location) or CloudFormation's own (TemplateURL), from a local file.
APPLICATIONS = (APPLICATION, "AWS::CloudFormation::Stack")


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
    stack: str = ""  # the nested stack's path from the root ("" = the root template)


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
        # Also an API Gateway integration URI: arn:aws:apigateway:…:functions/<function arn>/invocations
        name = arn.split(":function:", 1)[-1].split(":", 1)[0].split("/", 1)[0]
        return next((f for f in self.functions.values() if name in (f.name, f.logical_id)), None)


def load_template(
    path: Path,
    *,
    region: str = "us-east-1",
    stack_name: str = "a2n",
    parameters: Mapping[str, str] | None = None,
    queue_urls: Mapping[str, str] | None = None,
) -> Template:
    """Read and resolve ``path`` and every nested application it names, into one flat ``Template``.

    ``queue_urls`` maps queue logical ids to their moto URLs. Logical ids of functions and queues are
    unique across the nested stacks, so ``a2n invoke`` and the pollers name them as before.
    """
    from a2n.local import template_events

    template = Template(path=path, stack_name=stack_name, region=region, functions={}, queues={})
    root = _Stack(
        template,
        path,
        stack_name=stack_name,
        parameters=dict(parameters or {}),
        queue_urls=dict(queue_urls or {}),
    )
    stacks = root.load()
    authorizer_ids: dict[str, str] = {}
    defaults = [
        template_events.read_authorizers(template, s.raw, s.resolver, s.names, authorizer_ids) for s in stacks
    ]
    for stack, default in zip(stacks, defaults, strict=True):
        authorizers = (default, authorizer_ids)
        template_events.read_events(template, stack.raw, stack.resolver, stack.names, authorizers)
    return template


class _Stack:
    """One template of the application: its parameters, resources and (lazily) its nested stacks.

    A nested stack is loaded when the parent first needs it: for ``!GetAtt Child.Outputs.X`` while
    resolving another child's parameters, or in template order otherwise; a cycle is an error.
    """

    def __init__(
        self,
        template: Template,
        path: Path,
        *,
        stack_name: str,
        parameters: dict[str, Any],
        queue_urls: dict[str, str],
        parent: _Stack | None = None,
        logical_id: str = "",
    ) -> None:
        self.template = template
        self.path = path
        self.stack_name = stack_name
        self.parent = parent
        self.logical_id = logical_id
        self.queue_urls = queue_urls
        if not path.is_file():
            where = f" (nested application {logical_id})" if logical_id else ""
            raise ConfigurationError(f"template: {path} not found{where}")
        self.raw = load_cfn_yaml(path.read_text())
        self.resources: dict[str, Any] = self.raw.get("Resources") or {}
        self.context = ResolveContext(
            parameters=_parameters(self.raw, parameters, path if parent is not None else None),
            region=template.region,
            stack_name=stack_name,
            conditions=self.raw.get("Conditions") or {},
            mappings=self.raw.get("Mappings") or {},
        )
        self.resolver = IntrinsicResolver(self.context)
        self.names = _resource_names(self.resources, self.resolver, stack_name)
        self.context.refs = {
            lid: queue_urls.get(lid, f"http://127.0.0.1:4566/{ACCOUNT_ID}/{self.names[lid]}")
            if res.get("Type") == QUEUE
            else self.names[lid]
            for lid, res in self.resources.items()
        }
        self.context.attribute = self._attribute
        self._children: dict[str, _Stack] = {}
        self._loading: set[str] = set()
        self._outputs: dict[str, Any] | None = None
        self.descendants: list[_Stack] = []

    def load(self) -> list[_Stack]:
        """Fill the template with this stack's queues and functions; returns it and its descendants."""
        loaded = [self]
        for lid, res in self.resources.items():
            if res.get("Type") in APPLICATIONS and _is_active(res, self.resolver):
                self._child(lid)
        for child in self._children.values():
            loaded.extend(child.descendants)
        globals_ = (self.raw.get("Globals") or {}).get("Function") or {}
        for lid, res in self.resources.items():
            if not _is_active(res, self.resolver):
                continue
            if res.get("Type") == QUEUE:
                self._claim(lid, self.template.queues)
                props = self.resolver.resolve(res.get("Properties") or {})
                self.template.queues[lid] = _queue(lid, self.names[lid], props, self.template.region)
            elif res.get("Type") in (FUNCTION, LAMBDA_FUNCTION):
                self._claim(lid, self.template.functions)
                if res["Type"] == FUNCTION:
                    resolved = self.resolver.resolve(_merge_globals(globals_, res.get("Properties") or {}))
                else:  # a plain function: no Globals, its code under Code
                    resolved = dict(self.resolver.resolve(res.get("Properties") or {}))
                    resolved["CodeUri"] = resolved.pop("Code", None)
                function = _function(self.path.parent, lid, self.names[lid], resolved, self.template.region)
                self.template.functions[lid] = replace(function, stack=self.qualified_name)
        self.descendants = loaded
        return loaded

    @property
    def qualified_name(self) -> str:
        """``""`` for the root, ``Child`` or ``Child/Grandchild`` below it (as ``sam local invoke``)."""
        if self.parent is None:
            return ""
        return f"{self.parent.qualified_name}/{self.logical_id}".lstrip("/")

    def _claim(self, lid: str, taken: Mapping[str, Any]) -> None:
        if lid in taken:
            raise ConfigurationError(
                f"template: logical id {lid} is declared in two stacks ({self.path}); names must be unique"
            )

    def _child(self, lid: str) -> _Stack:
        if lid in self._children:
            return self._children[lid]
        if lid in self._loading:
            raise ConfigurationError(f"template: nested application {lid} depends on its own outputs")
        self._loading.add(lid)
        props = self.resources[lid].get("Properties") or {}
        is_sam = self.resources[lid]["Type"] == APPLICATION
        location = props.get("Location") if is_sam else props.get("TemplateURL")
        if not isinstance(location, str) or "://" in location:
            raise ConfigurationError(
                f"template: nested application {lid} needs a local template file (got {location!r})"
            )
        parameters = {
            name: _parameter_text(value)
            for name, value in self.resolver.resolve(props.get("Parameters") or {}).items()
        }
        child = _Stack(
            self.template,
            (self.path.parent / location).resolve(),
            stack_name=f"{self.stack_name}-{lid}",
            parameters=parameters,
            queue_urls=self.queue_urls,
            parent=self,
            logical_id=lid,
        )
        child.load()
        self._children[lid] = child
        self._loading.discard(lid)
        return child

    def output(self, name: str) -> Any:
        if self._outputs is None:
            self._outputs = {
                key: self.resolver.resolve(spec.get("Value"))
                for key, spec in (self.raw.get("Outputs") or {}).items()
                if "Condition" not in spec or self.resolver.condition(str(spec["Condition"]))
            }
        if name not in self._outputs:
            raise ConfigurationError(f"template: {self.path} has no output {name}")
        return self._outputs[name]

    def _attribute(self, lid: str, attribute: str) -> Any:
        resource = self.resources.get(lid)
        if resource is not None and resource.get("Type") in APPLICATIONS and attribute.startswith("Outputs."):
            return self._child(lid).output(attribute.removeprefix("Outputs."))
        return _attribute(self.resources, self.names, self.context, lid, attribute)


def _parameters(raw: Mapping[str, Any], given: Mapping[str, Any], nested: Path | None) -> dict[str, Any]:
    """Defaults overridden by ``given``; list-typed parameters become lists, as ``!Ref`` sees them.

    The root's required parameters default to "" (the local stand-ins need no secret ARN); a nested
    template (``nested``) missing one means its parent forgot to pass it, as CloudFormation would say.
    """
    declared: dict[str, Any] = raw.get("Parameters") or {}
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        value = given.get(name, spec.get("Default"))
        if value is None and nested is not None:
            raise ConfigurationError(f"template: {nested} needs a value for parameter {name}")
        value = "" if value is None else value
        kind = str(spec.get("Type", "String"))
        if (kind == "CommaDelimitedList" or kind.startswith("List<")) and isinstance(value, str):
            value = value.split(",")
        values[name] = value
    # Values for undeclared names still resolve (overrides given to `a2n dev` for any stack).
    return {**{k: v for k, v in given.items() if k not in declared}, **values}


def _parameter_text(value: Any) -> str:
    """CloudFormation passes nested-stack parameters as strings; lists as comma-joined text."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return _env_text(value)


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
        elif kind in (FUNCTION, LAMBDA_FUNCTION):
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
    if kind in (FUNCTION, LAMBDA_FUNCTION) and attribute == "Arn":
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
