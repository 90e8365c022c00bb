"""Every example in README.md and docs/*.md runs as shown, against the local runtime (issue 11 item 2).

A page's bash blocks run in order as a reader pastes them, in one shell state per page (variables
carry from block to block), with ``http://127.0.0.1:3000`` pointing at this test's stack; what each
prints is compared with the output block after it. Workflow examples are created and run by hand, and
their nodes' outputs compared. The conventions are in docs/testing.md and tests/e2e/doc_examples.py.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from doc_examples import Block, blocks, json_matches, json_values, text_matches
from e2e_support import ACTIVE, ApiClient, RegisteredUser, register_user, wait_for_execution
from waiting import wait_until

from a2n.local.runtime import LocalRuntime
from a2n.settings import reset_settings

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DOCUMENTED_API = "http://127.0.0.1:3000"
SHELL_TIMEOUT_S = 120
# Each block runs in a fresh bash that first loads what the page's earlier blocks defined, then saves
# every variable for the next block (less the shell's own and read-only ones).
_PRELUDE = 'source "$A2N_DOC_STATE"\n'
_EPILOGUE = """
__rc=$?
for __v in $(compgen -v); do
  case "$__v" in
    __*|BASH*|COMP*|FUNCNAME|PIPESTATUS|LINENO|RANDOM|SRANDOM|SECONDS|EPOCH*|_|HIST*|OPT*) continue;;
    GROUPS|DIRSTACK) continue;;
  esac
  __d=$(declare -p "$__v" 2>/dev/null) || continue
  __f=${__d#declare -}; __f=${__f%% *}
  [[ $__f == *r* ]] || printf '%s\\n' "$__d"
done > "$A2N_DOC_STATE.next"
exit $__rc
"""


def _page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def _runnable(page: Path) -> bool:
    return any(b.not_run is None and _kind(b) for b in blocks(page))


def _kind(block: Block) -> str:
    if block.lang in ("bash", "sh"):
        return "shell"
    if block.lang == "json" and block.role == "workflow-example":
        return "workflow"
    if block.lang == "json" and not block.role:
        return "json"
    return ""


@pytest.fixture
def any_lateness(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Schedules fire on the runtime's manual clock, which is not the wall clock the scheduled
    function compares a fire's time with: no fire is too late to run here."""
    monkeypatch.setenv("A2N_SCHEDULE_MAX_LATENESS_S", str(10 * 365 * 86400))
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


@pytest.fixture(scope="module")
def reader(stack: LocalRuntime) -> RegisteredUser:
    """The account workflow examples run under (shell examples register their own)."""
    return register_user(ApiClient(stack.url), name="Docs Reader")


# The pages describe the default deployment, pure nodes inline (an execution of pure nodes has ended
# when `execute` answers): the examples run against that stack only.
@pytest.mark.parametrize("stack", [True], ids=["inline-on"], indirect=True)
@pytest.mark.usefixtures("any_lateness")
@pytest.mark.parametrize("page", [p for p in PAGES if _runnable(p)], ids=_page_id)
def test_every_example_of_the_page_runs_as_shown(
    page: Path, stack: LocalRuntime, reader: RegisteredUser, tmp_path: Path
) -> None:
    state = tmp_path / "state.sh"
    state.write_text("")
    workdir = _checkout_view(tmp_path / "checkout")
    for block in blocks(page):
        if block.not_run is not None or not _kind(block):
            continue
        if block.clock_s and _kind(block) == "shell":
            stack.scheduler.advance(timedelta(seconds=block.clock_s))
        text = block.text.replace(DOCUMENTED_API, stack.url)
        if _kind(block) == "shell":
            _run_shell(block, text, state, stack.url, workdir)
        elif _kind(block) == "workflow":
            _run_workflow(block, json.loads(text), reader, stack)
        else:
            _check_json(block, text, reader)


def _checkout_view(view: Path) -> Path:
    """A directory that links every top-level entry of the checkout: examples run from the checkout
    as a reader's do (.venv/bin/a2n, make, events/), and the files they write land in the test's
    temporary directory instead of the working tree."""
    view.mkdir()
    for entry in ROOT.iterdir():
        (view / entry.name).symlink_to(entry)
    return view


def _run_shell(block: Block, text: str, state: Path, url: str, workdir: Path) -> None:
    env = {**os.environ, "A2N_DOC_STATE": str(state)}
    script = _PRELUDE + text + _EPILOGUE
    done = subprocess.run(
        ["bash", "-c", script],
        check=False,
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=SHELL_TIMEOUT_S,
    )
    shown = f"{block.where}\n--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
    assert done.returncode == 0, f"the example exits {done.returncode}: {shown}"
    (state.parent / "state.sh.next").replace(state)
    if block.expected is None:
        return
    expected = block.expected
    shows = expected.text.replace(DOCUMENTED_API, url)
    if expected.lang == "json":
        want, got = json_values(shows), json_values(done.stdout)
        assert len(want) == len(got) and all(map(json_matches, want, got)), (
            f"{block.where} prints something else than {expected.where} shows: {shown}"
        )
    else:
        assert text_matches(shows, done.stdout), (
            f"{block.where} prints something else than {expected.where} shows: {shown}"
        )


def _run_workflow(block: Block, example: dict[str, Any], reader: RegisteredUser, stack: LocalRuntime) -> None:
    """Created, run by hand with its input, each listed node's output compared; a clock directive
    moves the clock once the run has started (the time a reader waits for a wait node)."""
    assert {"definition", "input", "outputs"} <= example.keys(), f"{block.where}: a workflow example holds "
    "definition, input and outputs"
    created = reader.client.post(
        "/workflows", {"name": f"example {block.where}", "definition": example["definition"]}
    )
    assert created.status == 201, f"{block.where}: the definition does not save: {created.json}"
    started = reader.client.post(f"/workflows/{created.json['id']}/execute", {"input": example["input"]})
    assert started.status == 202, f"{block.where}: {started.json}"
    if block.clock_s:
        _advance_once_parked(reader, started.json["executionId"], stack, block.clock_s)
    try:
        run = wait_for_execution(reader, started.json["executionId"])
    except AssertionError as exc:
        raise AssertionError(f"{block.where}: {exc}") from exc
    nodes = {node["nodeId"]: node for node in run["nodes"]}
    for node_id, output in example["outputs"].items():
        assert node_id in nodes and nodes[node_id]["status"] == "SUCCEEDED", (
            f"{block.where}: node {node_id} did not succeed: {nodes.get(node_id)}"
        )
        assert json_matches(output, nodes[node_id]["output"]), (
            f"{block.where}: node {node_id} outputs {nodes[node_id]['output']!r}"
        )
    skipped = sorted(n for n, node in nodes.items() if node["status"] == "SKIPPED")
    assert skipped == sorted(example.get("skipped", [])), f"{block.where}: skipped nodes are {skipped}"


def _advance_once_parked(
    reader: RegisteredUser, execution_id: str, stack: LocalRuntime, seconds: int
) -> None:
    """Move the clock once a node of the run waits (parked on the clock), as the reader's time passes."""

    def parked() -> bool:
        run = reader.client.get(f"/executions/{execution_id}").json
        return any(node["status"] == "WAITING" for node in run["nodes"]) or run["status"] not in ACTIVE

    wait_until(parked, f"execution {execution_id} to wait on the clock")
    stack.scheduler.advance(timedelta(seconds=seconds))


def _check_json(block: Block, text: str, reader: RegisteredUser) -> None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"{block.where}: not JSON ({exc})") from exc
    definition = value.get("definition", value) if isinstance(value, dict) else None
    if isinstance(definition, dict) and "nodes" in definition:
        checked = reader.client.post("/workflows/validate", {"definition": definition})
        assert checked.status == 200, f"{block.where}: the definition does not validate: {checked.json}"


# --- the comparison itself can fail -------------------------------------------------------------


def test_ellipsis_matches_within_a_string_and_nothing_else_is_loose() -> None:
    assert json_matches({"id": "…", "n": 1, "at": "at …"}, {"id": 7, "n": 1, "at": "at noon"})
    assert not json_matches({"n": 1}, {"n": 1, "extra": True})
    assert json_matches({"n": 1, "…": "…"}, {"n": 1, "extra": True})
    assert not json_matches({"n": 1}, {"n": 2})
    assert not json_matches({"ok": 1}, {"ok": True})
    assert json_matches(["a", "…", "z"], ["a", "b", "c", "z"])
    assert not json_matches(["a", "…", "z"], ["a", "b"])
    assert json_matches(
        {"id": "0b5c8f0e-1e43-4c4e-9d39-5b1f1e0c7a11", "at": "2026-01-01T00:00:00Z"},
        {"id": "7f0c2b1a-0000-4000-8000-000000000000", "at": "2030-05-06T07:08:09.123+02:00"},
    )


def test_text_lines_match_one_by_one_and_a_lone_ellipsis_spans_lines() -> None:
    assert text_matches("a\n…\nz\n", "a\nb\nc\nz\n")
    assert text_matches("status 2…\n", "status 202\n")
    assert not text_matches("a\nz\n", "a\nb\nz\n")
    assert not text_matches("pending\n", "verified\n")
    assert json_values('{"a": 1}\n{"b": 2}\n"x"\n') == [{"a": 1}, {"b": 2}, "x"]
