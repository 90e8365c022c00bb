"""CloudFormation YAML for the local runtime: short-form tags and intrinsic functions.

``load_cfn_yaml`` turns ``!Ref x`` into ``{"Ref": "x"}`` (and ``!Sub``, ``!GetAtt`` … into their
``Fn::`` long forms); ``IntrinsicResolver`` evaluates those forms against local stand-in values.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from a2n.errors import ConfigurationError

# Returned for ``!Ref AWS::NoValue``; the enclosing key or list item is dropped.
NO_VALUE = object()

ACCOUNT_ID = "123456789012"
_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class _CfnLoader(yaml.SafeLoader):
    """A SafeLoader that understands CloudFormation's ``!Tag`` short forms."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_cfn_yaml(text: str) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template written in YAML (or JSON)."""
    data = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(data, dict):
        raise ConfigurationError("template is not a mapping")
    return data


@dataclass
class ResolveContext:
    """What intrinsics resolve to locally: parameters, pseudo parameters, resource values."""

    parameters: dict[str, Any]
    region: str
    stack_name: str
    conditions: Mapping[str, Any] = field(default_factory=dict)
    mappings: Mapping[str, Any] = field(default_factory=dict)
    # logical id → value of ``Ref``; (logical id, attribute) → value of ``GetAtt``.
    refs: Mapping[str, Any] = field(default_factory=dict)
    attribute: Callable[[str, str], Any] | None = None

    def pseudo(self) -> dict[str, Any]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{ACCOUNT_ID}:stack/{self.stack_name}/x",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
            "AWS::NotificationARNs": [],
        }


class IntrinsicResolver:
    """Evaluates ``Ref``/``Fn::*`` forms recursively; unknown names are configuration errors."""

    def __init__(self, context: ResolveContext) -> None:
        self.context = context
        self._condition_values: dict[str, bool] = {}
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::If": self._if,
            "Fn::Equals": lambda v: self.resolve(v[0]) == self.resolve(v[1]),
            "Fn::Not": lambda v: not self.resolve(v[0]),
            "Fn::And": lambda v: all(self.resolve(x) for x in v),
            "Fn::Or": lambda v: any(self.resolve(x) for x in v),
            "Fn::Select": lambda v: self.resolve(v[1])[int(self.resolve(v[0]))],
            "Fn::Split": lambda v: str(self.resolve(v[1])).split(self.resolve(v[0])),
            "Fn::FindInMap": self._find_in_map,
            "Fn::ImportValue": lambda v: f"import-{self.resolve(v)}",
            "Fn::Base64": lambda v: base64.b64encode(str(self.resolve(v)).encode()).decode(),
            "Fn::GetAZs": lambda v: [f"{self.context.region}a", f"{self.context.region}b"],
            "Fn::ToJsonString": lambda v: json.dumps(self.resolve(v)),
        }

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(str(arg))
            if key == "Condition" and isinstance(arg, str):
                return self.condition(arg)
            if key in self._functions:
                return self._functions[key](arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def ref(self, name: str) -> Any:
        pseudo = self.context.pseudo()
        if name in pseudo:
            return pseudo[name]
        if name in self.context.parameters:
            return self.context.parameters[name]
        if name in self.context.refs:
            return self.context.refs[name]
        raise ConfigurationError(f"template: !Ref {name} names no parameter or resource")

    def condition(self, name: str) -> bool:
        if name not in self._condition_values:
            if name not in self.context.conditions:
                raise ConfigurationError(f"template: unknown condition {name}")
            self._condition_values[name] = bool(self.resolve(self.context.conditions[name]))
        return self._condition_values[name]

    def _get_att(self, arg: Any) -> Any:
        logical_id, attribute = (self.resolve(a) for a in arg)
        if self.context.attribute is None:
            raise ConfigurationError(f"template: !GetAtt {logical_id}.{attribute} cannot be resolved")
        return self.context.attribute(str(logical_id), str(attribute))

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        values = {k: self.resolve(v) for k, v in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                return str(values[name])
            if "." in name and name.split(".", 1)[0] not in self.context.parameters:
                return str(self._get_att(name.split(".", 1)))
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(substitute, str(text))

    def _join(self, arg: Any) -> str:
        separator, items = arg
        resolved = self.resolve(items)
        return str(separator).join(str(i) for i in resolved)

    def _if(self, arg: Any) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self.condition(name) else when_false)

    def _find_in_map(self, arg: Any) -> Any:
        mapping, top, second = (self.resolve(a) for a in arg)
        try:
            return self.context.mappings[mapping][top][second]
        except KeyError as exc:
            raise ConfigurationError(f"template: !FindInMap {mapping}/{top}/{second} not found") from exc
