"""Event sources of the SAM templates: HttpApi routes and authorizers, SQS mappings, schedules.

Routes come either way: SAM ``HttpApi`` events on a function, or explicit ``AWS::ApiGatewayV2::Route``
+ ``Integration`` resources (what nested stacks must use, as SAM events may only name an HttpApi of
their own template). Split from ``template`` so each module reads in one sitting.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from a2n.errors import ConfigurationError
from a2n.local.template import Authorizer, HttpRoute, SqsSource, Template, TemplateSchedule

if TYPE_CHECKING:
    from a2n.local.intrinsics import IntrinsicResolver

_HTTP_API = "AWS::Serverless::HttpApi"
_FUNCTION = "AWS::Serverless::Function"
_AUTHORIZER = "AWS::ApiGatewayV2::Authorizer"
_ROUTE = "AWS::ApiGatewayV2::Route"
_INTEGRATION = "AWS::ApiGatewayV2::Integration"


def read_authorizers(
    template: Template,
    raw: Mapping[str, Any],
    resolver: IntrinsicResolver,
    names: Mapping[str, str],
    authorizer_ids: dict[str, str],
) -> str | None:
    """Authorizers of one stack: a SAM HttpApi's ``Auth`` block or ``AWS::ApiGatewayV2::Authorizer``s.

    Read for every stack before any route, since routes may live in another stack than their authorizer.
    ``authorizer_ids`` collects what ``!Ref`` gives an explicit authorizer (a route's ``AuthorizerId``)
    → its name; the SAM API's default authorizer, if any, is returned.
    """
    resources: dict[str, Any] = raw.get("Resources") or {}
    default = _read_sam_authorizers(template, raw, resolver)
    for lid, res in resources.items():
        if res.get("Type") != _AUTHORIZER or not _is_active(res, resolver):
            continue
        props = resolver.resolve(res.get("Properties") or {})
        name = str(props.get("Name") or lid)
        function = template.function_by_arn(str(props.get("AuthorizerUri", "")))
        if props.get("AuthorizerType") != "REQUEST" or function is None:
            raise ConfigurationError(
                f"template: authorizer {lid} must be a REQUEST authorizer of a local function"
            )
        prefix = "$request.header."
        headers = tuple(
            s.removeprefix(prefix) for s in props.get("IdentitySource") or () if s.startswith(prefix)
        )
        template.authorizers[name] = Authorizer(
            name=name,
            function=function.logical_id,
            identity_headers=headers,
            simple_responses=bool(props.get("EnableSimpleResponses", False)),
        )
        authorizer_ids[names[lid]] = name
    return default


def read_events(
    template: Template,
    raw: Mapping[str, Any],
    resolver: IntrinsicResolver,
    names: Mapping[str, str],
    authorizers: tuple[str | None, Mapping[str, str]],
) -> None:
    """Routes (SAM ``HttpApi`` events or explicit ``Route``s), SQS mappings and schedules of one stack.

    ``authorizers``: this stack's default SAM authorizer and every explicit authorizer's id → name.
    """
    resources: dict[str, Any] = raw.get("Resources") or {}
    default_authorizer, authorizer_ids = authorizers
    for lid, res in resources.items():
        if res.get("Type") != _FUNCTION or lid not in template.functions or not _is_active(res, resolver):
            continue
        events = (res.get("Properties") or {}).get("Events") or {}
        for event_name, event in events.items():
            kind = event.get("Type")
            props = resolver.resolve(event.get("Properties") or {})
            if kind == "HttpApi":
                _route(template, lid, props, default_authorizer)
            elif kind == "SQS":
                _sqs(template, lid, event_name, props)
            elif kind in ("Schedule", "ScheduleV2"):
                _schedule(template, lid, event_name, kind, props)
    for lid, res in resources.items():
        if res.get("Type") == _ROUTE and _is_active(res, resolver):
            _explicit_route(template, lid, (resources, names), resolver, authorizer_ids)


def _is_active(resource: Mapping[str, Any], resolver: IntrinsicResolver) -> bool:
    condition = resource.get("Condition")
    return condition is None or resolver.condition(str(condition))


def _read_sam_authorizers(
    template: Template, raw: Mapping[str, Any], resolver: IntrinsicResolver
) -> str | None:
    """Authorizers of the (first) HttpApi, or of ``Globals.HttpApi`` for the implicit API."""
    apis = [r for r in (raw.get("Resources") or {}).values() if r.get("Type") == _HTTP_API]
    props = (apis[0].get("Properties") or {}) if apis else ((raw.get("Globals") or {}).get("HttpApi") or {})
    auth = resolver.resolve(props.get("Auth") or {})
    for name, spec in (auth.get("Authorizers") or {}).items():
        if "FunctionArn" not in spec:
            continue  # JWT authorizers need a real identity provider; not emulated locally
        function = template.function_by_arn(str(spec["FunctionArn"]))
        if function is None:
            raise ConfigurationError(f"template: authorizer {name} names no function of this template")
        headers = tuple((spec.get("Identity") or {}).get("Headers") or ())
        template.authorizers[name] = Authorizer(
            name=name,
            function=function.logical_id,
            identity_headers=headers,
            simple_responses=bool(spec.get("EnableSimpleResponses", False)),
        )
    default = auth.get("DefaultAuthorizer")
    return str(default) if default else None


def _explicit_route(
    template: Template,
    lid: str,
    stack: tuple[Mapping[str, Any], Mapping[str, str]],
    resolver: IntrinsicResolver,
    authorizer_ids: Mapping[str, str],
) -> None:
    """``AWS::ApiGatewayV2::Route`` → its ``integrations/<id>`` target → the integration's function."""
    resources, names = stack
    props = resolver.resolve(resources[lid].get("Properties") or {})
    key = str(props.get("RouteKey", ""))
    method, _, path = key.partition(" ")
    if key == "$default":
        method, path = "ANY", "$default"
    target = str(props.get("Target", ""))
    integrations = [i for i, r in resources.items() if r.get("Type") == _INTEGRATION]
    integration_id = next((i for i in integrations if f"integrations/{names[i]}" == target), None)
    if integration_id is None:
        raise ConfigurationError(
            f"template: route {lid} ({key}) targets {target!r}: no integration of its stack"
        )
    integration = resolver.resolve(resources[integration_id].get("Properties") or {})
    function = template.function_by_arn(str(integration.get("IntegrationUri", "")))
    if function is None:
        raise ConfigurationError(f"template: integration {integration_id} names no function of the template")
    authorizer: str | None = None
    if props.get("AuthorizationType", "NONE") == "CUSTOM":
        authorizer = authorizer_ids.get(str(props.get("AuthorizerId")))
        if authorizer is None:
            raise ConfigurationError(f"template: route {lid} ({key}) uses an unknown authorizer")
    elif props.get("AuthorizationType", "NONE") != "NONE":
        raise ConfigurationError(f"template: route {lid}: only CUSTOM or NONE authorization is emulated")
    route = HttpRoute(function=function.logical_id, method=method.upper(), path=path, authorizer=authorizer)
    template.routes.append(route)


def _route(template: Template, lid: str, props: Mapping[str, Any], default_authorizer: str | None) -> None:
    auth = props.get("Auth") or {}
    authorizer = auth.get("Authorizer", default_authorizer)
    if authorizer == "NONE":
        authorizer = None
    if authorizer is not None and authorizer not in template.authorizers:
        raise ConfigurationError(f"template: {lid} uses unknown authorizer {authorizer}")
    template.routes.append(
        HttpRoute(
            function=lid,
            method=str(props.get("Method", "ANY")).upper(),
            path=str(props.get("Path", "$default")),
            authorizer=authorizer,
        )
    )


def _sqs(template: Template, lid: str, event_name: str, props: Mapping[str, Any]) -> None:
    arn = str(props.get("Queue", ""))
    queue = next((q for q in template.queues.values() if q.arn == arn), None)
    if queue is None:
        raise ConfigurationError(f"template: {lid}.{event_name} reads from unknown queue {arn!r}")
    response_types = props.get("FunctionResponseTypes") or ()
    template.sqs_sources.append(
        SqsSource(
            function=lid,
            queue=queue.logical_id,
            batch_size=min(int(props.get("BatchSize", 10)), 10),
            report_batch_item_failures="ReportBatchItemFailures" in response_types,
            enabled=bool(props.get("Enabled", True)),
        )
    )


def _schedule(template: Template, lid: str, event_name: str, kind: str, props: Mapping[str, Any]) -> None:
    is_rule = kind == "Schedule"
    expression = props.get("Schedule") if is_rule else props.get("ScheduleExpression")
    enabled = bool(props.get("Enabled", True)) if is_rule else props.get("State", "ENABLED") == "ENABLED"
    template.schedules.append(
        TemplateSchedule(
            function=lid,
            name=str(props.get("Name") or f"{lid}{event_name}"),
            expression=str(expression),
            timezone=str(props.get("ScheduleExpressionTimezone") or "UTC"),
            input=props.get("Input"),
            enabled=enabled,
            is_rule=is_rule,
        )
    )
