"""code: the user's Python ``main(input, ctx)``, run by the sandbox function, never in this process.

At save the source is compiled (never run) so that syntax errors come back with their line and
column, and it must define ``main``. The source is taken literally: ``{{`` is Python, not a template.
"""

from __future__ import annotations

import ast
from typing import Annotated

from pydantic import Field

from a2n.errors import Problem
from a2n.nodes.config import NodeConfig
from a2n.nodes.context import NodeContext, NodeResult
from a2n.nodes.spec import NodeSpec

MAX_CODE_BYTES = 65_536
CODE_FILE = "<code>"


class CodeConfig(NodeConfig):
    """Python source defining ``main(input, ctx)``; its return value is the node's output."""

    code: Annotated[str, Field(min_length=1, max_length=MAX_CODE_BYTES)]


def code_problems(code: str, pointer: str) -> list[Problem]:
    """Why ``code`` cannot be saved: too large, does not compile (with line and column), or no
    ``main(input, ctx)``. Compiling runs nothing, and CPython bounds what it folds at compile time."""
    size = len(code.encode("utf-8", "surrogatepass"))
    if size > MAX_CODE_BYTES:
        return [Problem(pointer, f"code is {size} bytes; at most {MAX_CODE_BYTES} are allowed")]
    try:
        compile(code, CODE_FILE, "exec", dont_inherit=True)
        tree = ast.parse(code, CODE_FILE)
    except SyntaxError as error:
        where = {"line": error.lineno or 1, "column": error.offset or 1}
        return [Problem(pointer, f"{type(error).__name__}: {error.msg}", **where)]
    except (ValueError, RecursionError, MemoryError) as error:  # NUL bytes; nesting past the compiler's stack
        return [Problem(pointer, f"the code cannot be compiled: {error or type(error).__name__}")]
    return _main_problems(tree, pointer)


def _main_problems(tree: ast.Module, pointer: str) -> list[Problem]:
    found = [node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
             and node.name == "main"]  # fmt: skip
    if not found:
        return [Problem(pointer, "the code must define a function main(input, ctx) at the top level")]
    main = found[-1]  # the last definition wins, as it would when the module runs
    where = {"line": main.lineno, "column": main.col_offset + 1}
    if isinstance(main, ast.AsyncFunctionDef):
        return [Problem(pointer, "main must be a plain def, not async def", **where)]
    positional = len(main.args.posonlyargs) + len(main.args.args)
    if positional < 2 and main.args.vararg is None:
        return [Problem(pointer, "main must take two arguments: main(input, ctx)", **where)]
    return []


def _config_problems(config: CodeConfig, pointer: str) -> list[Problem]:
    return code_problems(config.code, f"{pointer}/code")


SPEC = NodeSpec(
    type="code",
    name="Code",
    category="data",
    description=(
        "Runs Python: main(input, ctx) in a sandbox that holds no credentials, no database and no AWS "
        "permissions; its return value is the output and print() goes to the execution's logs."
    ),
    config_model=CodeConfig,
    output_schema={"description": "What main(input, ctx) returned (any JSON value)."},
    config_problems=_config_problems,
    literal_fields=("code",),
)


def run(ctx: NodeContext) -> NodeResult:
    """Hands the code to the sandbox function; the invocation machinery loads on first use."""
    from a2n.nodes.code_run import run_code

    return run_code(ctx)
