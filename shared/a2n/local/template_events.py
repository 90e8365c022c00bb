"""Event sources of the SAM template: HttpApi routes and authorizers, SQS mappings, schedules.

Split from ``template`` so each module reads in one sitting; ``read_events`` fills a ``Template``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from a2n.errors import ConfigurationError
from a2n.local.template import Authorizer, HttpRoute, SqsSource, Template, TemplateSchedule

if TYPE_CHECKING:
    from a2n.local.intrinsics import IntrinsicResolver

_HTTP_API = "AWS::Serverless::HttpApi"


def read_events(template: Template, raw: Mapping[str, Any], resolver: IntrinsicResolver) -> None:
    resources: dict[str, Any] = raw.get("Resources") or {}
    default_authorizer = _read_authorizers(template, raw, resolver)
    for lid in template.functions:
        events = (resources[lid].get("Properties") or {}).get("Events") or {}
        for event_name, event in events.items():
            kind = event.get("Type")
            props = resolver.resolve(event.get("Properties") or {})
            if kind == "HttpApi":
                _route(template, lid, props, default_authorizer)
            elif kind == "SQS":
                _sqs(template, lid, event_name, props)
            elif kind in ("Schedule", "ScheduleV2"):
                _schedule(template, lid, event_name, kind, props)


def _read_authorizers(template: Template, raw: Mapping[str, Any], resolver: IntrinsicResolver) -> str | None:
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
