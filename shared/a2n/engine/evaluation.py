"""Bounded expression evaluation: a budget of work, produced elements and produced bytes, charged
while JMESPath runs, so that `s | [@, @] | [@, @] …` (2^k values from 8k characters) fails in
microseconds instead of costing gigabytes once its result is serialised.

JMESPath builds new containers out of references, so a value's *logical* size (what JSON text of it
would weigh) can double per pipe while memory barely grows. Every container the evaluation builds is
charged its logical size: one level of new structure plus the sizes of what it holds (see
`EvaluationBudget` for when those are measured).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jmespath.functions import Functions
from jmespath.visitor import Options, TreeInterpreter

from a2n.engine.functions import ExpressionError

if TYPE_CHECKING:
    from jmespath.visitor import _TreeNode as Node

_SCALAR_BYTES = 8  # a number, true/false or null: a flat estimate, never a walk
_UNKNOWN = -1
_EQUALITY = frozenset({"eq", "ne"})
_METHODS: dict[str, Callable[..., Any]] = {}  # node type -> BoundedInterpreter.visit_<type> (charged)
# Node types whose visit returns a new array or object of existing members (function calls charge
# their results in visit_function_expression).
_BUILDERS = frozenset({"multi_select_list", "multi_select_dict", "projection", "value_projection",
                       "filter_projection", "flatten", "slice"})  # fmt: skip


@dataclass(frozen=True, slots=True)
class ExpressionLimits:
    """What one evaluation (one `render` of a node's config, or one bare expression) may spend."""

    max_steps: int = 1_000_000  # AST nodes visited + elements handed to functions or compared
    max_elements: int = 1_000_000  # elements placed into arrays and objects the evaluation builds
    max_bytes: int = 8_388_608  # JSON size of what it builds, interpolates or returns by reference again


DEFAULT_LIMITS = ExpressionLimits()


class ExpressionBudgetExceeded(ExpressionError):
    """An evaluation went over one of its limits; `budget` names which (steps, elements, bytes)."""

    def __init__(self, budget: str, limit: int, source: str | None = None) -> None:
        message = f"evaluation exceeded its budget of {limit} {budget}"
        super().__init__(message if source is None else f"{source!r}: {message}")
        self.budget = budget
        self.limit = limit
        self.source = source

    def about(self, source: str) -> ExpressionBudgetExceeded:
        """The same error naming the expression that ran out (the innermost one, if nested)."""
        return self if self.source is not None else ExpressionBudgetExceeded(self.budget, self.limit, source)


class EvaluationBudget:
    """The running account of one evaluation, with a memo of what it has met, by object identity
    (the memo holds the objects, so an id cannot be reused while the budget lives).

    A container taken from the context is free the first time it is built into something (or
    returned): it is at most as big as the context that let it in, and sizing it would cost as much
    as serialising it. Met again, it costs its JSON size, measured once. A built container's exact
    size is worked out only when something needs it: when it is built into another value,
    interpolated or compared — which is where a 2^k blow-up has to pass.
    """

    __slots__ = ("_memo", "bytes_left", "elements_left", "limits", "steps_left")

    def __init__(self, limits: ExpressionLimits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.steps_left = limits.max_steps
        self.elements_left = limits.max_elements
        self.bytes_left = limits.max_bytes
        self._memo: dict[int, tuple[Any, int, bool]] = {}  # id -> (value, exact size or -1, built here)

    def spend_steps(self, count: int) -> None:
        self.steps_left -= count
        if self.steps_left < 0:
            raise ExpressionBudgetExceeded("steps", self.limits.max_steps)

    def spend_bytes(self, count: int) -> None:
        self.bytes_left -= count
        if self.bytes_left < 0:
            raise ExpressionBudgetExceeded("bytes", self.limits.max_bytes)

    def built(self, value: Any) -> Any:
        """Charge a value the evaluation just made: one level of new structure over existing members."""
        kind = type(value)
        if kind is str:
            self.spend_bytes(len(value))
            self._memo[id(value)] = (value, len(value) + 2, True)
            return value
        if kind is list:
            members: Any = value
            cost = 2 + len(value)
        elif kind is dict:
            members = value.values()
            cost = 2 + sum(len(key) + 4 for key in value)
        else:
            return value
        self.elements_left -= len(value)
        if self.elements_left < 0:
            raise ExpressionBudgetExceeded("elements", self.limits.max_elements)
        exact = True
        for member in members:
            member_cost = self._member_cost(member)
            if member_cost < 0:
                exact = False
            else:
                cost += member_cost
        self.spend_bytes(cost)
        self._memo[id(value)] = (value, cost if exact else _UNKNOWN, True)
        return value

    def returned(self, value: Any) -> Any:
        """Charge a template's result: something built here is paid for; a value from the context is
        free the first time and costs its size each time it is handed out again (a config repeating
        `{{ input }}` 10,000 times would otherwise be 10,000 inputs big)."""
        kind = type(value)
        if kind is not str and kind is not list and kind is not dict:
            return value
        known = self._memo.get(id(value))
        if known is None:
            self._memo[id(value)] = (value, _UNKNOWN, False)
        elif not known[2]:
            self.spend_bytes(self.size_of(value))
        return value

    def text_of(self, value: Any) -> str:
        """A container as compact JSON for interpolation, refused before the dump if unaffordable."""
        if self.size_of(value) > self.bytes_left:
            raise ExpressionBudgetExceeded("bytes", self.limits.max_bytes)
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def size_of(self, value: Any) -> int:
        """The exact JSON size of `value` (memoised); a context value's by `json.dumps`, at C speed."""
        kind = type(value)
        if kind is str:
            return len(value) + 2
        if kind is not list and kind is not dict:
            return _SCALAR_BYTES
        known = self._memo.get(id(value))
        if known is not None and known[1] >= 0:
            return known[1]
        if known is not None and known[2]:  # built here, over members not sized yet
            if kind is list:
                size = 2 + len(value) + sum(self.size_of(member) for member in value)
            else:
                size = 2 + sum(len(key) + 4 + self.size_of(member) for key, member in value.items())
        else:
            # From the context: a plain tree (no shared references), bounded by the limits that let it in.
            size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str))
        self._memo[id(value)] = (value, size, known is not None and known[2])
        return size

    def _member_cost(self, member: Any) -> int:
        """What holding `member` adds to a built value; -1 for a context container met the first time."""
        if (type(member) is list or type(member) is dict) and id(member) not in self._memo:
            self._memo[id(member)] = (member, _UNKNOWN, False)
            return _UNKNOWN
        return self.size_of(member)


class BoundedInterpreter(TreeInterpreter):
    """JMESPath's tree interpreter with every visit counted and every built value charged."""

    def __init__(self, options: Options, budget: EvaluationBudget) -> None:
        super().__init__(options)
        self._budget = budget
        self._calls = options.custom_functions or Functions()

    def visit(self, node: Node, *args: Any, **kwargs: Any) -> Any:
        budget = self._budget
        budget.steps_left -= 1
        if budget.steps_left < 0:
            raise ExpressionBudgetExceeded("steps", budget.limits.max_steps)
        method = _METHODS.get(node["type"])
        if method is None:
            method = _METHODS[node["type"]] = _method_for(node["type"])
        return method(self, node, *args, **kwargs)

    def visit_function_expression(self, node: Node, value: Any) -> Any:
        budget = self._budget
        arguments = [self.visit(child, value) for child in node["children"]]
        # Built-ins loop over their arrays and objects (type checks, sums, sorts, contains): that is
        # work the visit count does not see.
        budget.spend_steps(sum(len(a) for a in arguments if type(a) is list or type(a) is dict))
        if node["value"] == "contains" and type(arguments[-1]) in (list, dict):
            budget.spend_bytes(budget.size_of(arguments[0]))  # container equality walks both sides
        result = self._calls.call_function(node["value"], arguments)
        if any(result is argument for argument in arguments):
            return result
        return budget.built(result)

    def visit_comparator(self, node: Node, value: Any) -> Any:
        if node["value"] not in _EQUALITY:
            return super().visit_comparator(node, value)
        left = self.visit(node["children"][0], value)
        right = self.visit(node["children"][1], value)
        if type(left) in (list, dict) and type(right) in (list, dict) and left is not right:
            budget = self._budget
            budget.spend_bytes(min(budget.size_of(left), budget.size_of(right)))
        equal = self.COMPARATOR_FUNC["eq"](left, right)
        return equal if node["value"] == "eq" else not equal


def _method_for(node_type: str) -> Callable[..., Any]:
    """The visit method of a node type; for the types that build a new array or object, wrapped so
    that what it built is charged to the budget."""
    method: Callable[..., Any] = getattr(BoundedInterpreter, "visit_" + node_type, _unknown)
    if node_type not in _BUILDERS:
        return method

    def charged(interpreter: BoundedInterpreter, node: Node, value: Any) -> Any:
        return interpreter._budget.built(method(interpreter, node, value))

    return charged


def _unknown(interpreter: BoundedInterpreter, node: Node, *args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError(node["type"])
