"""The code sandbox function: runs one ``main(input, ctx)`` of a workflow's code node.

Every invocation starts a fresh process (``child.py``) that locks itself down before the code runs;
this side feeds it the request, reads its answer within bounds, kills it at the wall-time limit and
removes the temporary directory it worked in. Self-contained (standard library only, no ``a2n``
import): deployed alone, without A2N's layers, under a role that may only write its own logs.
Locally, ``a2n dev`` invokes this same handler through its stand-in for the Lambda Invoke API.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHILD = Path(__file__).resolve().with_name("child.py")
MIB = 1024 * 1024
# What a caller gets without asking, and the most it may ask for: Lambda answers at most 6 MB.
DEFAULT_LIMITS = {
    "timeoutMs": 10_000, "memoryMb": 256, "outputBytes": MIB, "logBytes": 64 * 1024, "logLines": 1000,
}  # fmt: skip
MAX_LIMITS = {
    "timeoutMs": 60_000, "memoryMb": 2048, "outputBytes": 5 * MIB, "logBytes": 256 * 1024, "logLines": 5000,
}  # fmt: skip
OPEN_FILES = 64
FILE_BYTES = 16 * MIB
STDERR_KEPT = 2000
# This process's own share of the function's memory, and of its time (to answer after a kill).
PARENT_MEMORY_MB = 96
PARENT_MARGIN_S = 1.0
# The operator's packages: the sandbox's own layer on Lambda; in a checkout, that layer's build output.
PACKAGE_DIRS = ("/opt/python", str(Path(__file__).resolve().parents[3] / "layers" / "sandbox" / "python"))


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One run, within what is left of this invocation's time and the function's memory."""
    on_lambda = "AWS_LAMBDA_RUNTIME_API" in os.environ  # never set by the local runtime
    if on_lambda:
        _hide_from_children()
    try:
        return run_sandboxed(
            event,
            wall_ceiling_s=context.get_remaining_time_in_millis() / 1000 - PARENT_MARGIN_S,
            memory_ceiling_mb=int(context.memory_limit_in_mb) - PARENT_MEMORY_MB,
        )
    finally:
        if on_lambda:
            # The environment is reused for the next run, possibly another workspace's: /tmp is ours.
            _empty_directory(tempfile.gettempdir())


def run_sandboxed(
    request: dict[str, Any],
    *,
    wall_ceiling_s: float | None = None,
    memory_ceiling_mb: int | None = None,
    temp_root: str | None = None,
) -> dict[str, Any]:
    """Run the request's code in a fresh locked-down process; always a result, never an exception:
    ``{status: ok, output, logs, …}`` or ``{status: error, error: {kind, message, …}, logs, …}``."""
    if not isinstance(request, dict) or not isinstance(request.get("code"), str):
        return _failure("request", "the sandbox request needs a 'code' string")
    limits = _limits(request.get("limits"), wall_ceiling_s, memory_ceiling_mb)
    workdir = tempfile.mkdtemp(prefix="a2n-code-", dir=temp_root)
    try:
        run_as = _unprivileged_ids() if os.geteuid() == 0 else None
        if run_as is not None:
            os.chown(workdir, *run_as)  # the child drops root before the code runs
        child_request = {
            "code": request["code"], "input": request.get("input"), "context": request.get("context"),
            "limits": limits, "packages": [d for d in PACKAGE_DIRS if os.path.isdir(d)], "runAs": run_as,
        }  # fmt: skip
        started = time.monotonic()
        result = _run_child(json.dumps(child_request).encode(), workdir, limits)
        result["durationMs"] = int((time.monotonic() - started) * 1000)
        result.setdefault("logs", [])
        return result
    finally:
        _remove_tree(workdir)


def _limits(asked: Any, wall_ceiling_s: float | None, memory_ceiling_mb: int | None) -> dict[str, Any]:
    chosen = dict(DEFAULT_LIMITS)
    for key, value in asked.items() if isinstance(asked, dict) else ():
        if key in chosen and isinstance(value, int) and not isinstance(value, bool) and value > 0:
            chosen[key] = min(value, MAX_LIMITS[key])
    wall_s = chosen["timeoutMs"] / 1000
    if wall_ceiling_s is not None:
        wall_s = max(0.1, min(wall_s, wall_ceiling_s))
    memory_mb = chosen["memoryMb"]
    if memory_ceiling_mb is not None:
        memory_mb = max(64, min(memory_mb, memory_ceiling_mb))
    return {
        "wallSeconds": wall_s,
        "cpuSeconds": int(wall_s) + 1,  # a backstop: without threads CPU time cannot outrun wall time
        "memoryBytes": memory_mb * MIB,
        "openFiles": OPEN_FILES,
        "fileBytes": FILE_BYTES,
        "outputBytes": chosen["outputBytes"],
        "logBytes": chosen["logBytes"],
        "logLines": chosen["logLines"],
    }


def _unprivileged_ids() -> tuple[int, int]:
    try:
        import pwd

        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except (ImportError, KeyError):
        return 65534, 65534


def _run_child(request: bytes, workdir: str, limits: dict[str, Any]) -> dict[str, Any]:
    # JSON escaping can grow a log line up to six times; anything beyond this answer is not ours.
    answer_cap = limits["outputBytes"] + 6 * limits["logBytes"] + 64 * 1024
    deadline = time.monotonic() + limits["wallSeconds"]
    child = subprocess.Popen(  # our own interpreter and script, no shell
        [sys.executable, "-I", "-S", str(CHILD)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={}, cwd=workdir, start_new_session=True, close_fds=True,
    )  # fmt: skip
    try:
        answer, errors, stopped = _exchange(child, request, deadline, answer_cap)
        if stopped is None and not _exited_by(child, deadline):
            stopped = "timeout"  # it closed its streams but kept running
    finally:
        _kill_group(child)
    if stopped == "timeout":
        seconds = limits["wallSeconds"]
        return _failure("timeout", f"the code ran past its time limit of {seconds:g} s and was stopped")
    if stopped == "overflow":
        return _failure("output-limit", f"the sandbox's answer went over {answer_cap} bytes and was cut off")
    return _parsed(answer) or _died(child.returncode, errors, limits)


def _exchange(
    child: subprocess.Popen[bytes], request: bytes, deadline: float, answer_cap: int
) -> tuple[bytes, bytes, str | None]:
    """Write the request, read stdout (up to ``answer_cap``) and stderr (its start) until the child
    closes both or the deadline passes; the third value says why it stopped early, if it did."""
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    stdin, stdout = child.stdin.fileno(), child.stdout.fileno()
    streams = {stdout: bytearray(), child.stderr.fileno(): bytearray()}
    pending = memoryview(request)
    with selectors.DefaultSelector() as selector:
        os.set_blocking(stdin, False)
        selector.register(stdin, selectors.EVENT_WRITE)
        for descriptor in streams:
            selector.register(descriptor, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return b"", b"", "timeout"
            for key, _ in selector.select(left):
                if key.fd == stdin:
                    pending = _feed(child, key.fd, pending, selector)
                    continue
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fd)
                    continue
                kept = streams[key.fd]
                if key.fd == stdout and len(kept) + len(data) > answer_cap:
                    return b"", b"", "overflow"
                kept += data if key.fd == stdout else data[: max(0, STDERR_KEPT - len(kept))]
    return bytes(streams[stdout]), bytes(streams[child.stderr.fileno()]), None


def _feed(child: subprocess.Popen[bytes], descriptor: int, pending: memoryview, selector: Any) -> memoryview:
    try:
        pending = pending[os.write(descriptor, pending[:65536]) :]
    except BrokenPipeError:
        pending = pending[:0]  # it died before reading everything: its exit status will say why
    if not pending:
        selector.unregister(descriptor)
        assert child.stdin is not None
        child.stdin.close()
    return pending


def _exited_by(child: subprocess.Popen[bytes], deadline: float) -> bool:
    """Wait for the child to exit without reaping it, so its process group stays ours to kill."""
    waitid = getattr(os, "waitid", None)
    while time.monotonic() < deadline:
        if waitid is None:
            if child.poll() is not None:
                return True
        elif waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None:
            return True
        time.sleep(0.001)
    return False


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    """SIGKILL whatever is left of the child's session, then reap the child."""
    if child.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)
    for stream in (child.stdin, child.stdout, child.stderr):
        if stream is not None:
            stream.close()
    child.wait()


def _parsed(answer: bytes) -> dict[str, Any] | None:
    try:
        result = json.loads(answer)
    except ValueError:
        return None
    if not isinstance(result, dict) or result.get("status") not in ("ok", "error"):
        return None
    return result


def _died(returncode: int | None, errors: bytes, limits: dict[str, Any]) -> dict[str, Any]:
    """The child ended without an answer: killed by a limit, or the code ended its own process."""
    if returncode is not None and returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else str(-returncode)
        why = f"the code's process was killed by {name}"
    else:
        why = f"the code's process exited with status {returncode} without a result"
    memory_mb = limits["memoryBytes"] // MIB
    cpu_s = limits["cpuSeconds"]
    message = f"{why}; it may have gone over its memory limit ({memory_mb} MiB) or CPU time ({cpu_s} s)"
    failure = _failure("crash", message)
    tail = errors.decode("utf-8", "replace").strip()
    if tail:
        failure["error"]["stderr"] = tail
    return failure


def _failure(kind: str, message: str) -> dict[str, Any]:
    return {"status": "error", "error": {"kind": kind, "message": message}, "logs": []}


def _remove_tree(path: str) -> None:
    """Remove the work directory even where the code took its own permissions away."""

    def allow_and_retry(function: Any, failed: str, _: Any) -> None:
        for target in (os.path.dirname(failed), failed):
            with contextlib.suppress(OSError):
                os.chmod(target, stat.S_IRWXU)
        with contextlib.suppress(OSError):
            function(failed)

    # Python 3.12 renamed the hook (onerror is deprecated there); both get the same arguments we use.
    hook = {"onexc": allow_and_retry} if sys.version_info >= (3, 12) else {"onerror": allow_and_retry}
    shutil.rmtree(path, **hook)


def _empty_directory(directory: str) -> None:
    for entry in os.listdir(directory):
        target = os.path.join(directory, entry)
        if os.path.isdir(target) and not os.path.islink(target):
            _remove_tree(target)
        else:
            with contextlib.suppress(OSError):
                os.unlink(target)


def _hide_from_children() -> None:
    """Not dumpable: a child of the same user cannot read this process's /proc environ (the
    function role's session credentials live there) or memory."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
