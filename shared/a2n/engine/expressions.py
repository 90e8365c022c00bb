"""Expressions: JMESPath over JSON, alone (condition/switch) or inside `{{ }}` templates.

Nothing but JMESPath runs: no eval, no Python attribute access (a field lookup on a non-object is
null), only the allow-listed functions of `a2n.engine.functions`. Sizes and nesting are bounded, and
so is each evaluation's work and output (`a2n.engine.evaluation`).
A string that is exactly one `{{ expr }}` renders to the JSON value; otherwise each `{{ expr }}` is
replaced by its text: null -> "", strings as-is, true/false, numbers as JSON, objects/arrays as
compact JSON. The context holds JSON only: trigger, input, nodes.<id>, vars, execution.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jmespath
from jmespath import exceptions as jmespath_errors
from jmespath.parser import ParsedResult
from jmespath.visitor import Options

from a2n.engine.evaluation import (
    DEFAULT_LIMITS,
    BoundedInterpreter,
    EvaluationBudget,
    ExpressionBudgetExceeded,
    ExpressionLimits,
)
from a2n.engine.expression_hints import hint
from a2n.engine.functions import MAX_ARGUMENTS, A2NFunctions, ExpressionError, function_arity

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_EXPRESSION_LENGTH",
    "Expression",
    "ExpressionBudgetExceeded",
    "ExpressionError",
    "ExpressionLimits",
    "ExpressionProblem",
    "Template",
    "compile_expression",
    "compile_template",
    "evaluate",
    "expression_context",
    "expression_problems",
    "is_truthy",
    "located_problem",
    "render",
]

MAX_EXPRESSION_LENGTH = 4096
MAX_BRACKET_NESTING = 32  # the JMESPath parser recurses per bracket level
MAX_AST_DEPTH = 100  # the interpreter recurses per AST level (`a.b.c…`, `a || b || …`)
MAX_VALUE_DEPTH = 64  # nesting of the JSON value being rendered
_OPEN, _CLOSE = "{{", "}}"
_QUOTES = "'\"`"


@dataclass(frozen=True, slots=True)
class Expression:
    source: str
    parsed: ParsedResult

    def evaluate(
        self,
        context: Mapping[str, Any],
        options: Options | None = None,
        budget: EvaluationBudget | None = None,
    ) -> Any:
        interpreter = BoundedInterpreter(options or _options_for(context), budget or EvaluationBudget())
        try:
            return interpreter.visit(self.parsed.parsed, context)
        except ExpressionBudgetExceeded as exceeded:
            raise exceeded.about(self.source) from None
        except ExpressionError:
            raise
        except jmespath_errors.JMESPathError as error:
            raise ExpressionError(f"{self.source!r}: {_describe(error)}") from None
        except (TypeError, ValueError, OverflowError, RecursionError) as error:
            # Built-ins meeting odd input must fail the node cleanly, never crash the step.
            raise ExpressionError(f"{self.source!r}: {type(error).__name__}") from None


@dataclass(frozen=True, slots=True)
class Template:
    text: str
    parts: tuple[str | Expression, ...]

    @property
    def is_whole_value(self) -> bool:
        return len(self.parts) == 1 and isinstance(self.parts[0], Expression)

    def render(
        self,
        context: Mapping[str, Any],
        options: Options | None = None,
        budget: EvaluationBudget | None = None,
    ) -> Any:
        options = options or _options_for(context)
        budget = budget or EvaluationBudget()
        if self.is_whole_value:
            return budget.returned(self.parts[0].evaluate(context, options, budget))  # type: ignore[union-attr]
        text = "".join(
            part if isinstance(part, str) else _as_text(part.evaluate(context, options, budget), budget)
            for part in self.parts
        )
        return budget.built(text)


@lru_cache(maxsize=4096)
def compile_expression(expression: str) -> Expression:
    """A bare JMESPath expression, checked for size, nesting and known functions."""
    source = expression.strip()
    offset = len(expression) - len(expression.lstrip())  # report positions in the caller's text
    if not source:
        raise ExpressionError("empty expression", 0)
    if len(source) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_EXPRESSION_LENGTH} characters", 0)
    _check_bracket_nesting(source)
    try:
        parsed = jmespath.compile(source)
    except jmespath_errors.JMESPathError as error:
        position = getattr(error, "lex_position", None)
        at = None if position is None else position + offset
        raise ExpressionError(_describe(error), at, hint(source, position)) from None
    except RecursionError:
        raise ExpressionError("expression nested too deeply", 0) from None
    _check_ast(parsed.parsed)
    return Expression(source, parsed)


@lru_cache(maxsize=4096)
def compile_template(text: str) -> Template:
    """Split `text` into literal parts and compiled `{{ }}` expressions; positions are in `text`."""
    parts: list[str | Expression] = []
    cursor = 0
    while (start := text.find(_OPEN, cursor)) != -1:
        if start > cursor:
            parts.append(text[cursor:start])
        end = _closing_braces(text, start + len(_OPEN))
        inner = text[start + len(_OPEN) : end]
        try:
            parts.append(compile_expression(inner))
        except ExpressionError as error:
            # Inside {{ }} the suggestion is a template too: {{ input.id }}, not input.id.
            advice = hint(inner.strip(), None, templated=True) if "$" in inner else error.hint
            raise ExpressionError(error.message, start + len(_OPEN) + (error.position or 0), advice) from None
        cursor = end + len(_CLOSE)
    if cursor < len(text) or not parts:
        parts.append(text[cursor:])
    return Template(text, tuple(parts))


def expression_context(
    *,
    trigger: Any,
    input: Any,
    nodes: Mapping[str, Any],
    variables: Mapping[str, Any],
    execution: Mapping[str, Any],
) -> dict[str, Any]:
    """The §6 context; `execution` is {id, startedAt, mode} plus an optional `now` clock for now()."""
    return {"trigger": trigger, "input": input, "nodes": nodes, "vars": variables, "execution": execution}


def render(value: Any, context: Mapping[str, Any], limits: ExpressionLimits = DEFAULT_LIMITS) -> Any:
    """`value` with every template string evaluated; dict keys and non-strings are left as they are.
    All its templates share one budget: `limits` bound the whole value, not each string."""
    return _render(value, context, _options_for(context), EvaluationBudget(limits), 0)


def evaluate(expression: str, context: Mapping[str, Any], limits: ExpressionLimits = DEFAULT_LIMITS) -> Any:
    """A bare JMESPath expression (condition/switch config) against the context."""
    return compile_expression(expression).evaluate(context, budget=EvaluationBudget(limits))


def is_truthy(value: Any) -> bool:
    """JMESPath truthiness: false, null, "", [] and {} are false; every number (0 too) is true."""
    return not (value is None or value is False or value in ("", [], {}))


@dataclass(frozen=True, slots=True)
class ExpressionProblem:
    """A template that does not compile: where (JSON pointer; 1-based line and column in the
    string) and what to do about it."""

    pointer: str
    message: str
    line: int | None = None
    column: int | None = None


def expression_problems(value: Any, pointer: str) -> list[ExpressionProblem]:
    """Every template in `value` that does not compile."""
    problems: list[ExpressionProblem] = []
    for path, text in _strings(value, pointer, 0):
        if _OPEN not in text:
            continue
        try:
            compile_template(text)
        except ExpressionError as error:
            problems.append(located_problem(path, text, error))
    return problems


def located_problem(pointer: str, text: str, error: ExpressionError) -> ExpressionProblem:
    """`error` in `text` (the string at `pointer`) with its line and column."""
    if error.position is None:
        return ExpressionProblem(pointer, str(error))
    line = text.count("\n", 0, error.position) + 1
    column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
    where = f"at column {column}" if line == 1 else f"at line {line}, column {column}"
    message = f"{error.message} ({where})" + (f": {error.hint}" if error.hint else "")
    return ExpressionProblem(pointer, message, line, column)


def _render(
    value: Any, context: Mapping[str, Any], options: Options, budget: EvaluationBudget, depth: int
) -> Any:
    if depth > MAX_VALUE_DEPTH:
        raise ExpressionError(f"value nested deeper than {MAX_VALUE_DEPTH} levels")
    if isinstance(value, str):
        return compile_template(value).render(context, options, budget) if _OPEN in value else value
    if isinstance(value, Mapping):
        return {key: _render(item, context, options, budget, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item, context, options, budget, depth + 1) for item in value]
    return value


def _strings(value: Any, pointer: str, depth: int) -> Iterator[tuple[str, str]]:
    if depth > MAX_VALUE_DEPTH:
        return
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{pointer}/{_escape_pointer(str(key))}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{pointer}/{index}", depth + 1)


def _escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")  # RFC 6901


def _options_for(context: Mapping[str, Any]) -> Options:
    execution = context.get("execution")
    clock = None
    if isinstance(execution, Mapping):
        clock = execution.get("now") or execution.get("startedAt")
    return Options(custom_functions=A2NFunctions(clock if isinstance(clock, str) else None))


def _as_text(value: Any, budget: EvaluationBudget) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        return budget.text_of(value)
    return json.dumps(value)


def _closing_braces(text: str, start: int) -> int:
    """Index of the `}}` closing the template opened before `start`, skipping JMESPath literals."""
    depth, index = 0, start
    while index < len(text):
        char = text[index]
        if char in _QUOTES:
            index = _end_of_literal(text, index)
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0 and text.startswith(_CLOSE, index):
                return index
            depth = max(depth - 1, 0)
        index += 1
    raise ExpressionError("unclosed '{{'", start - len(_OPEN))


def _end_of_literal(text: str, start: int) -> int:
    quote, index = text[start], start + 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == quote:
            return index
        index += 1
    raise ExpressionError(f"unclosed {quote} literal", start)


def _check_bracket_nesting(source: str) -> None:
    depth = 0
    index = 0
    while index < len(source):
        char = source[index]
        if char in _QUOTES:
            index = _end_of_literal(source, index)
        elif char in "([{":
            depth += 1
            if depth > MAX_BRACKET_NESTING:
                raise ExpressionError(f"brackets nested deeper than {MAX_BRACKET_NESTING}", index)
        elif char in ")]}":
            depth -= 1
        index += 1


def _check_ast(root: Mapping[str, Any]) -> None:
    stack: list[tuple[Mapping[str, Any], int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_AST_DEPTH:
            raise ExpressionError(f"expression nested deeper than {MAX_AST_DEPTH} levels")
        if node.get("type") == "function_expression":
            _check_call(node["value"], len(node["children"]))
        stack.extend((child, depth + 1) for child in node.get("children", ()) if isinstance(child, Mapping))


def _check_call(name: str, argument_count: int) -> None:
    arity = function_arity(name)
    if arity is None:
        raise ExpressionError(f"unknown function {name}()")
    expected, variadic = arity
    most = MAX_ARGUMENTS.get(name, expected if not variadic else None)
    if argument_count < expected or (most is not None and argument_count > most):
        takes = expected if most == expected else f"{expected} to {most}" if most else f"{expected}+"
        raise ExpressionError(f"{name}() takes {takes} argument(s), got {argument_count}")


def _describe(error: jmespath_errors.JMESPathError) -> str:
    if isinstance(error, jmespath_errors.JMESPathTypeError):
        # Its own text quotes the whole offending value: that can be megabytes, or a secret.
        expected = ", ".join(error.expected_types)
        return f"{error.function_name}() expects {expected}, got {error.actual_type}"
    message = getattr(error, "msg", None) or getattr(error, "message", None) or str(error)
    return str(message).splitlines()[0][:_MAX_DESCRIBED]


_MAX_DESCRIBED = 300
