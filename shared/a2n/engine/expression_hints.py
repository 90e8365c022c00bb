"""What to do about an expression that does not parse: the habits people bring from elsewhere.

Two mistakes make most of the rejected expressions: a bare number where JMESPath wants a literal
(`trigger.total > 100`; JMESPath writes it `` `100` ``) and n8n's `$json` / `$node["X"].json` /
`$now` syntax. Each gets a message that shows the A2N spelling, rewritten from what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# n8n spellings, most specific first, and the A2N text each becomes (a node's name is our node id).
_NODE_OUTPUT = re.compile(
    r"""(?:\$node\[\s*(?P<q1>["'])(?P<n1>[^"']+)(?P=q1)\s*\]"""
    r"""|\$\(\s*(?P<q2>["'])(?P<n2>[^"']+)(?P=q2)\s*\)(?:\.item|\.first\(\)|\.last\(\))?)\.json\b"""
)
_N8N: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_NODE_OUTPUT, lambda m: "nodes." + _identifier(m["n1"] or m["n2"])),
    (re.compile(r"\$input\.(?:item|first\(\)|last\(\))\.json\b"), lambda m: "input"),
    (re.compile(r"\$json\b"), lambda m: "input"),
    (re.compile(r"\$(?:now|today)\b(?:\.toISO\(\))?"), lambda m: "now()"),
    (re.compile(r"\$vars\b"), lambda m: "vars"),
    (re.compile(r"\$execution\b"), lambda m: "execution"),
    (re.compile(r"\$trigger\b"), lambda m: "trigger"),
)  # fmt: skip
_DOLLAR = re.compile(r"\$[A-Za-z_(][\w]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

CONTEXT_NAMES = "trigger, input, nodes.<id>, vars, execution"


def hint(source: str, position: int | None, *, templated: bool = False) -> str | None:
    """A sentence saying how to write `source` (an expression that failed to parse at `position`;
    inside `{{ }}` when `templated`) in A2N, or None when no known habit explains the failure."""
    if "$" in source:
        return _n8n_hint(source, templated)
    if position is not None:
        number = _NUMBER.match(source, position)
        if number is not None:
            literal = number.group()
            fixed = source[:position] + f"`{literal}`" + source[number.end() :]
            return (
                f"a number is a literal in JMESPath and literals are backticked: write `{literal}`"
                f" (here: {fixed})"
            )
    return None


def _n8n_hint(source: str, templated: bool) -> str:
    rewritten = source
    for pattern, replacement in _N8N:
        rewritten = pattern.sub(replacement, rewritten)
    leftover = _DOLLAR.search(rewritten)
    if leftover is not None:
        what = "$env" if leftover.group().startswith("$env") else leftover.group()
        extra = " (expressions never read the environment: put the value in vars)" if what == "$env" else ""
        return (
            f"{what} is n8n syntax, which A2N does not have{extra}; A2N expressions are JMESPath over "
            f"{CONTEXT_NAMES}"
        )
    ours = f"{{{{ {rewritten} }}}}" if templated else rewritten
    return f"this is n8n syntax; in A2N write {ours} ($json is input, $node[\"X\"].json is nodes.X)"


def _identifier(name: str) -> str:
    # A node id that is not a bare JMESPath identifier is written as a quoted one: nodes."my node".
    return name if _IDENTIFIER.fullmatch(name) else '"' + name.replace('"', '\\"') + '"'
