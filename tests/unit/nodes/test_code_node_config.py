"""The code node at save: the source compiles (syntax errors with line and column), is at most
64 KiB, defines ``main(input, ctx)``, and is never read as a ``{{ }}`` template. Nothing runs."""

from __future__ import annotations

from typing import Any

import pytest

from a2n.errors import Problem, ValidationFailed
from a2n.workflows.validation import ensure_valid_definition, validate_definition

POINTER = "/definition/nodes/1/config/code"


def definition(code: Any) -> dict[str, Any]:
    """GIVEN start ─► code (with this source)."""
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "shape", "type": "code", "config": {"code": code}},
        ],
        "connections": [{"source": "start", "target": "shape"}],
    }


def problems(code: Any) -> list[Problem]:
    return validate_definition(definition(code))


def test_code_defining_main_is_valid_and_its_braces_are_python_not_templates() -> None:
    code = (
        "def main(input, ctx):\n"
        "    name = input['name']\n"
        "    return {'greeting': f'{{hello}} {name}', 'set': {{1, 2}} if False else None}\n"
    )

    assert problems(code) == []


def test_a_syntax_error_points_at_the_code_with_its_line_and_column() -> None:
    (problem,) = problems("def main(input, ctx):\n    return [1, 2\n\nx = 1\n")

    assert problem.pointer == POINTER
    assert problem.message.startswith("SyntaxError: ")
    assert (problem.line, problem.column) == (2, 12)
    assert problem.as_dict() == {"pointer": POINTER, "message": problem.message, "line": 2, "column": 12}


def test_errors_found_after_parsing_are_reported_too() -> None:
    (outside,) = problems("return 1\ndef main(input, ctx):\n    return 2\n")
    (indent,) = problems("def main(input, ctx):\nreturn 2\n")

    assert outside.message == "SyntaxError: 'return' outside function"
    assert (outside.line, outside.column) == (1, 1)
    assert indent.message.startswith("IndentationError: ")
    assert indent.line == 2


def test_code_must_define_main_taking_input_and_ctx() -> None:
    cases = {
        "def handler(input, ctx):\n    return 1\n": (
            "the code must define a function main(input, ctx) at the top level",
            None,
        ),
        "class A:\n    def main(self, input, ctx):\n        return 1\n": (
            "the code must define a function main(input, ctx) at the top level",
            None,
        ),
        "async def main(input, ctx):\n    return 1\n": ("main must be a plain def, not async def", 1),
        "x = 1\ndef main(input):\n    return 1\n": ("main must take two arguments: main(input, ctx)", 2),
    }
    for code, (message, line) in cases.items():
        (problem,) = problems(code)
        assert (problem.pointer, problem.message, problem.line) == (POINTER, message, line), code


@pytest.mark.parametrize(
    "code",
    [
        "def main(*args):\n    return args\n",
        "def main(input, ctx, extra=None):\n    return 1\n",
        "def main(input, /, ctx):\n    return 1\n",
    ],
)
def test_main_may_take_its_two_arguments_in_any_compatible_shape(code: str) -> None:
    assert problems(code) == []


def test_code_over_64_kib_is_refused_counting_bytes_not_characters() -> None:
    body = "def main(input, ctx):\n    return 1\n"
    fits = body + "#" * (65_536 - len(body))
    wide = body + "# " + "é" * 33_000  # under 64 Ki characters, over 64 KiB in UTF-8

    assert problems(fits) == []
    (problem,) = problems(wide)
    assert problem.pointer == POINTER
    assert problem.message == f"code is {len(wide.encode())} bytes; at most 65536 are allowed"


@pytest.mark.parametrize(
    "code",
    [
        "(" * 10_000,
        "-" * 60_000 + "1",
        "x = " + "[" * 5_000 + "]" * 5_000,
        "def main(input, ctx):\n    return 1\n\x00",
        "x = 2 ** 10 ** 10\ny = 'a' * 10 ** 10\ndef main(input, ctx):\n    return 1\n",
    ],
    ids=["parentheses", "unary-chain", "nested-lists", "nul-byte", "folding-bombs"],
)
def test_hostile_sources_are_one_clear_problem_or_none_and_compile_quickly(code: str) -> None:
    found = problems(code)

    assert len(found) <= 1
    assert all(p.pointer == POINTER for p in found)


def test_code_that_is_not_a_string_or_empty_is_a_config_problem() -> None:
    assert {p.pointer for p in problems(42)} == {POINTER}
    assert {p.pointer for p in problems("")} == {POINTER}


def test_the_422_lists_line_and_column_beside_the_pointer() -> None:
    with pytest.raises(ValidationFailed) as refused:
        ensure_valid_definition(definition("def main(input, ctx):\n    return )\n"))

    (error,) = refused.value.problem()["errors"]
    assert error == {"pointer": POINTER, "message": "SyntaxError: unmatched ')'", "line": 2, "column": 12}
