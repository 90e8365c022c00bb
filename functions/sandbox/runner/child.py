"""The sandbox process: locks itself down, then runs the user's ``main(input, ctx)`` once.

Started fresh for every invocation by ``app.py`` as ``python -I -S child.py``, with an empty
environment, in an empty temporary directory. It reads one request (JSON) on stdin and writes one
result (JSON) on its original stdout; the user's ``print`` goes to a bounded capture instead.
Standard library only: the sandbox function ships alone, without A2N's layers.
"""

from __future__ import annotations

import builtins
import io
import json
import linecache
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

CODE_FILE = "<code>"
USER_MODULE = "__code__"
MESSAGE_LIMIT = 2000
TRACEBACK_LIMIT = 8000

# Importable by the user's code: computation on data, nothing that reaches the system. A convenience
# that keeps honest code honest, never the boundary (that is this process and its lockdown).
ALLOWED_MODULES = frozenset(
    {
        "base64", "binascii", "bisect", "calendar", "collections", "copy", "csv", "dataclasses",
        "datetime", "decimal", "difflib", "enum", "fractions", "functools", "hashlib", "heapq", "hmac",
        "html", "ipaddress", "itertools", "json", "math", "numbers", "operator", "pprint", "random", "re",
        "secrets", "statistics", "string", "struct", "textwrap", "time", "typing", "unicodedata",
        "urllib.parse", "uuid", "zlib", "zoneinfo",
        # Imported lazily by C code on the caller's behalf (datetime.strptime; big int to str on 3.12).
        "_strptime", "_pylong",
    }
)  # fmt: skip


class PrintCapture(io.TextIOBase):
    """The user's ``sys.stdout`` and ``sys.stderr``: whole lines, each with the milliseconds since
    the code started, up to ``limit_bytes`` and ``limit_lines``; the rest is counted, not kept."""

    def __init__(self, limit_bytes: int, limit_lines: int, started: float) -> None:
        self.lines: list[list[Any]] = []
        self.dropped_bytes = 0
        self._limit_bytes = limit_bytes
        self._limit_lines = limit_lines
        self._used = 0
        self._partial = ""
        self._started = started

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        room = self._limit_bytes - self._used
        kept = text[:room] if room > 0 else ""
        encoded = kept.encode("utf-8", "replace")
        if len(encoded) > room:
            encoded = encoded[: max(room, 0)]
            kept = encoded.decode("utf-8", "ignore")
        self._used += len(encoded)
        self.dropped_bytes += len(text.encode("utf-8", "replace")) - len(encoded)
        self._partial += kept
        while "\n" in self._partial:
            line, self._partial = self._partial.split("\n", 1)
            self._keep(line)
        return len(text)

    def finish(self) -> None:
        if self._partial:
            self._keep(self._partial)
            self._partial = ""

    def _keep(self, line: str) -> None:
        if len(self.lines) >= self._limit_lines:
            self.dropped_bytes += len(line.encode("utf-8", "replace")) + 1
            return
        self.lines.append([int((time.monotonic() - self._started) * 1000), line])


def main() -> None:
    request = json.loads(sys.stdin.buffer.read())
    os.environ.clear()  # started with none; Python's own locale coercion adds LC_CTYPE (PEP 538)
    result_fd = _private_result_stream()
    packages = [str(path) for path in request.get("packages", [])]
    lock_down = _lockdown_function()
    allowed = ALLOWED_MODULES | _package_names(packages)
    sys.path[1:1] = packages  # the operator's packages, after the standard library
    run_as = request.get("runAs")
    isolation = lock_down(request["limits"], readable=packages, workdir=os.getcwd(),
                          run_as=(int(run_as[0]), int(run_as[1])) if run_as else None)  # fmt: skip
    started = time.monotonic()
    capture = PrintCapture(request["limits"]["logBytes"], request["limits"]["logLines"], started)
    sys.stdout = sys.stderr = capture
    builtins.__import__ = _import_guard(builtins.__import__, allowed)
    result = run_user_code(request["code"], request.get("input"), request.get("context") or {},
                           output_limit=request["limits"]["outputBytes"])  # fmt: skip
    capture.finish()
    result.update(logs=capture.lines, logsDroppedBytes=capture.dropped_bytes, isolation=isolation)
    _write_all(result_fd, result)
    os._exit(0)  # no atexit handlers or finalizers the user's code may have registered


def run_user_code(code: str, input_value: Any, ctx: Any, *, output_limit: int) -> dict[str, Any]:
    """Compile, run the module, call ``main(input, ctx)``, check the output: always a result dict."""
    linecache.cache[CODE_FILE] = (len(code), None, code.splitlines(True), CODE_FILE)
    try:
        compiled = compile(code, CODE_FILE, "exec")
    except (SyntaxError, ValueError) as error:
        return _error("syntax", error)
    namespace: dict[str, Any] = {"__name__": USER_MODULE, "__builtins__": builtins}
    try:
        exec(compiled, namespace)  # noqa: S102 - running the user's code is this process's purpose
        entry = namespace.get("main")
        if not callable(entry):
            return {"status": "error", "error": {"kind": "contract",
                    "message": "the code defines no main(input, ctx) function"}}  # fmt: skip
        output = entry(input_value, ctx)
    except MemoryError as error:
        return _error("memory", error)
    except BaseException as error:  # SystemExit and KeyboardInterrupt are the code's failures too
        return _error("exception", error)
    return _output(output, output_limit)


def _output(output: Any, limit: int) -> dict[str, Any]:
    if hasattr(output, "__await__"):
        return _contract("main() returned a coroutine: define it with def, not async def")
    try:
        text = json.dumps(output, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        size = len(text.encode("utf-8"))
    except (TypeError, ValueError, RecursionError) as error:
        return _contract(f"main() returned a value that is not JSON: {error}"[:MESSAGE_LIMIT])
    if size > limit:
        return {"status": "error", "error": {"kind": "output-limit",
                "message": f"output is {size} bytes, over the limit of {limit}"}}  # fmt: skip
    return {"status": "ok", "output": _Raw(text)}


def _contract(message: str) -> dict[str, Any]:
    return {"status": "error", "error": {"kind": "contract", "message": message}}


def _error(kind: str, error: BaseException) -> dict[str, Any]:
    """The failure with a traceback trimmed to the frames of the user's code."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == CODE_FILE]
    summary = "".join(traceback.format_exception_only(type(error), error))
    text = "Traceback (most recent call last):\n" + "".join(traceback.format_list(frames)) if frames else ""
    details: dict[str, Any] = {"kind": kind, "traceback": (text + summary)[-TRACEBACK_LIMIT:]}
    details["message"] = summary.strip().splitlines()[-1][:MESSAGE_LIMIT] if summary.strip() else kind
    line = frames[-1].lineno if frames else getattr(error, "lineno", None)
    if isinstance(line, int):
        details["line"] = line
    if isinstance(error, SyntaxError) and isinstance(error.offset, int):
        details["column"] = error.offset
    return {"status": "error", "error": details}


def _import_guard(real_import: Callable[..., Any], allowed: Iterable[str]) -> Callable[..., Any]:
    """Refuses imports made by the user's module of anything off the allow-list; imports made by
    allowed modules themselves (json importing re …) pass."""
    names = frozenset(allowed)

    # The parameters keep __import__'s names: callers may pass them by keyword.
    def guarded(
        name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> Any:
        caller = globals.get("__name__") if isinstance(globals, dict) else None
        if caller == USER_MODULE and not _allowed(name, fromlist, level, names):
            shown = ", ".join(sorted(n for n in names if not n.startswith("_")))
            raise ImportError(f"module {name!r} is not available in the code node (available: {shown})")
        return real_import(name, globals, locals, fromlist, level)

    return guarded


def _allowed(name: str, fromlist: Any, level: int, names: frozenset[str]) -> bool:
    if level != 0:
        return False
    if name.partition(".")[0] in names or name in names:
        return True
    return bool(fromlist) and all(f"{name}.{item}" in names for item in fromlist)


def _package_names(directories: Iterable[str]) -> frozenset[str]:
    """Top-level modules of the operator's package directories: installed on purpose, so allowed."""
    found: set[str] = set()
    for directory in directories:
        try:
            entries = os.listdir(directory)
        except OSError:
            continue
        for entry in entries:
            if entry.endswith((".dist-info", ".egg-info", ".pth")) or entry.startswith(("_", ".")):
                continue
            found.add(entry.split(".", 1)[0])
    return frozenset(found)


def _lockdown_function() -> Callable[..., dict[str, str]]:
    """``lockdown.lock_down``, from beside this file (``-I`` keeps the script's directory off the
    path, and it should stay off: the code has no business importing the sandbox's own modules)."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    try:
        from lockdown import lock_down
    finally:
        sys.path.remove(here)
    return lock_down


def _private_result_stream() -> int:
    """The result goes to a copy of the original stdout; fds 0 and 1 become /dev/null, so the
    code's own writes to them reach no one."""
    result_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    return result_fd


class _Raw(str):
    """JSON text already serialised (and size-checked): written as is."""


def _write_all(fd: int, result: dict[str, Any]) -> None:
    output = result.pop("output", None)
    text = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
    if isinstance(output, _Raw):
        text = text[:-1] + ',"output":' + output + "}"
    data = text.encode("utf-8", "replace")
    while data:
        data = data[os.write(fd, data) :]


if __name__ == "__main__":
    main()
