"""SECURITY case 34, at the sandbox itself: hostile code meets hard limits and sees nothing useful.

The tests assert on what the code sees (it returns its observations as output). They step around
the import allow-list on purpose (``grab``): the list is a convenience, the process is the boundary.
What the stack around it exposes (database, keys, moto) is asserted in e2e/test_code_node_e2e.py.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sandbox_support import BYPASS, landlock_abi, output_of, run, sandbox_processes

AS_ROOT = os.geteuid() == 0


def test_an_infinite_loop_is_stopped_at_the_time_limit_and_its_process_is_gone() -> None:
    result = run("def main(input, ctx):\n    while True:\n        pass\n", limits={"timeoutMs": 1000})

    assert result["error"]["kind"] == "timeout"
    assert result["error"]["message"] == "the code ran past its time limit of 1 s and was stopped"
    assert sandbox_processes() == []


def test_a_loop_that_closed_its_result_stream_is_still_stopped() -> None:
    code = BYPASS + (
        "def main(input, ctx):\n    grab('os').closerange(0, 64)\n    while True:\n        pass\n"
    )

    result = run(code, limits={"timeoutMs": 1000})

    assert result["error"]["kind"] == "timeout"
    assert sandbox_processes() == []


@pytest.mark.parametrize(
    "bomb",
    [
        "    block = bytearray(2**34)\n",
        "    hoard = []\n    while True:\n        hoard.append(bytearray(10**7))\n",
        "    text = 'x'\n    while True:\n        text += text\n",
    ],
    ids=["one-huge-block", "steady-growth", "doubling-string"],
)
def test_a_memory_bomb_fails_cleanly_at_the_memory_limit(bomb: str) -> None:
    result = run("def main(input, ctx):\n" + bomb + "    return 'survived'\n", limits={"memoryMb": 128})

    assert result["status"] == "error"
    assert result["error"]["kind"] == "memory", result["error"]
    assert result["error"]["message"] == "MemoryError"
    assert sandbox_processes() == []


def test_a_fork_bomb_is_refused_by_the_process_limit() -> None:
    code = BYPASS + (
        "def main(input, ctx):\n"
        "    os, threading = grab('os'), grab('threading')\n"
        "    seen = {}\n"
        "    try:\n"
        "        while True:\n"
        "            if os.fork() == 0:\n"
        "                os._exit(0)\n"
        "    except OSError as error:\n"
        "        seen['fork'] = type(error).__name__\n"
        "    try:\n"
        "        threading.Thread(target=lambda: None).start()\n"
        "    except RuntimeError as error:\n"
        "        seen['thread'] = str(error)\n"
        "    try:\n"
        "        os.posix_spawn('/bin/true', ['true'], {})\n"
        "    except OSError as error:\n"
        "        seen['spawn'] = type(error).__name__\n"
        "    return seen\n"
    )

    seen = output_of(code)

    assert seen == {"fork": "BlockingIOError", "thread": "can't start new thread", "spawn": "BlockingIOError"}
    assert sandbox_processes() == []


def test_the_code_sees_an_empty_environment() -> None:
    os.environ["A2N_SANDBOX_CANARY"] = "if you can read this the environment leaked"
    code = BYPASS + (
        "def main(input, ctx):\n"
        "    os = grab('os')\n"
        "    try:\n"
        "        raw = open('/proc/self/environ', 'rb').read().decode()\n"
        "    except OSError as error:\n"
        "        raw = type(error).__name__\n"
        "    return {'environ': dict(os.environ), 'proc': raw}\n"
    )
    try:
        seen = output_of(code)
    finally:
        del os.environ["A2N_SANDBOX_CANARY"]

    assert seen["environ"] == {}
    assert seen["proc"] == ("PermissionError" if landlock_abi() else "")


def test_files_outside_the_work_dir_are_unreadable_and_the_work_dir_is_usable(tmp_path: Path) -> None:
    # A key file as the local key store writes it (0600 in a 0700 dir) and a world-readable file:
    # the first is closed by dropping root, both by Landlock.
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    (keys / "master-v1.key").write_bytes(b"K" * 32)
    (keys / "master-v1.key").chmod(0o600)
    public = Path(os.path.realpath("/tmp")) / f"a2n-sandbox-public-{os.getpid()}"
    public.mkdir(mode=0o755, exist_ok=True)
    (public / "notes.txt").write_text("readable by anyone on this machine")
    (public / "notes.txt").chmod(0o644)
    code = (
        "def read(path):\n"
        "    try:\n"
        "        return open(path).read()\n"
        "    except OSError as error:\n"
        "        return type(error).__name__\n"
        "def main(input, ctx):\n"
        "    open('scratch.txt', 'w').write('mine')\n"
        "    return {path: read(path) for path in input} | {'scratch': read('scratch.txt')}\n"
    )
    targets = [str(keys / "master-v1.key"), str(public / "notes.txt"), "/etc/passwd", str(Path(__file__))]
    try:
        seen = output_of(code, input=targets)
    finally:
        (public / "notes.txt").unlink()
        public.rmdir()

    assert seen[targets[0]] == "PermissionError"
    if landlock_abi():
        assert {seen[path] for path in targets} == {"PermissionError"}
    assert seen["scratch"] == "mine"


def test_the_network_is_unreachable(unused_tcp_listener: socket.socket) -> None:
    host, port = unused_tcp_listener.getsockname()[:2]
    code = BYPASS + (
        "def main(input, ctx):\n"
        "    socket = grab('socket')\n"
        "    seen = {}\n"
        "    for name, address in input.items():\n"
        "        try:\n"
        "            socket.create_connection(tuple(address), timeout=2).close()\n"
        "            seen[name] = 'connected'\n"
        "        except OSError as error:\n"
        "            seen[name] = type(error).__name__\n"
        "    return seen\n"
    )

    seen = output_of(code, input={"listener": [host, port], "public": ["1.1.1.1", 443]})

    assert set(seen.values()) <= {"PermissionError", "OSError"}, seen
    unused_tcp_listener.settimeout(0)
    with pytest.raises(BlockingIOError):
        unused_tcp_listener.accept()  # nothing ever arrived


def test_isolation_is_the_strongest_this_machine_offers() -> None:
    isolation = run("def main(input, ctx):\n    return None\n")["isolation"]

    assert isolation["limits"] == "all"
    assert isolation["filesystem"] == ("landlock" if landlock_abi() else "permissions")
    if AS_ROOT:
        assert isolation == {"network": "namespace", "filesystem": isolation["filesystem"],
                             "user": "nobody", "limits": "all"}  # fmt: skip
    else:
        assert isolation["user"] == "unchanged"
        possible = {"namespace", "landlock-tcp"} if landlock_abi() >= 4 else {"namespace", "open"}
        assert isolation["network"] in possible


@pytest.mark.slow
def test_a_thousand_runs_leave_no_process_and_no_file(tmp_path: Path) -> None:
    temp_root = tmp_path / "runs"
    temp_root.mkdir()
    if AS_ROOT:
        temp_root.chmod(0o755)  # the runs drop to nobody, who must reach their own work dirs
    codes = [
        "def main(input, ctx):\n    open('f', 'w').write('x' * 1000)\n    return input\n",
        BYPASS + "def main(input, ctx):\n    os = grab('os')\n    os.mkdir('locked')\n"
        "    open('locked/f', 'w').write('x')\n    os.chmod('locked', 0)\n    os.chmod('.', 0o500)\n"
        "    return input\n",
        "def main(input, ctx):\n    raise RuntimeError(input)\n",
    ]
    endless = "def main(input, ctx):\n    while True:\n        pass\n"

    def one(index: int) -> str:
        if index % 100 == 0:  # every hundredth run is stopped at its time limit
            return str(run(endless, limits={"timeoutMs": 300}, temp_root=str(temp_root))["status"])
        return str(run(codes[index % 3], input=index, temp_root=str(temp_root))["status"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(one, range(1000)))

    assert statuses == ["error" if i % 100 == 0 or i % 3 == 2 else "ok" for i in range(1000)]
    assert list(temp_root.iterdir()) == []
    assert sandbox_processes() == []


@pytest.fixture
def unused_tcp_listener() -> Iterator[socket.socket]:
    """A listening loopback socket: if the sandbox had network, connecting to it would succeed."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener
