"""The state file a running `a2n dev` leaves for `a2n invoke`: it counts only while its writer runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from a2n.local.state import DevState, forget, running_dev, state_path


def _state(pid: int) -> DevState:
    return DevState(pid, "http://127.0.0.1:3100", "postgresql://a2n:pw@127.0.0.1:54329/a2n", "http://127.0.0.1:4566")


def test_it_sits_beside_the_data_directory() -> None:
    assert state_path(Path(".a2n/pg")) == Path(".a2n/dev.json")


def test_the_state_of_a_live_a2n_process_is_read_back(tmp_path: Path) -> None:
    # Stands in for `a2n dev`: alive, and "a2n" on its command line. It says so once running: until its
    # exec, the child's /proc cmdline is still this test process's.
    script = "print('up', flush=True); import time; time.sleep(30)"
    dev = subprocess.Popen([sys.executable, "-c", script, "a2n", "dev"], stdout=subprocess.PIPE)
    try:
        assert dev.stdout is not None and dev.stdout.readline() == b"up\n"
        path = tmp_path / "dev.json"
        _state(dev.pid).write(path)

        assert running_dev(path) == _state(dev.pid)
        assert path.stat().st_mode & 0o777 == 0o600  # the URL may carry a password
    finally:
        dev.kill()
        dev.wait()


def test_a_state_left_by_a_killed_run_is_ignored(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    path = tmp_path / "dev.json"
    _state(dead.pid).write(path)

    assert running_dev(path) is None


def test_a_live_pid_that_is_not_a2n_does_not_count(tmp_path: Path) -> None:
    # A recycled pid: alive, but something else. Until it has printed, the fork may still carry this
    # test process's command line, which names the checkout's path (often with "a2n" in it).
    other = subprocess.Popen(["sh", "-c", "echo up; exec sleep 30"], stdout=subprocess.PIPE)
    try:
        assert other.stdout is not None and other.stdout.readline() == b"up\n"
        path = tmp_path / "dev.json"
        _state(other.pid).write(path)
        assert running_dev(path) is None
    finally:
        other.kill()
        other.wait()


def test_a_missing_or_garbled_file_means_no_stack(tmp_path: Path) -> None:
    assert running_dev(tmp_path / "dev.json") is None
    (tmp_path / "dev.json").write_text("{not json")
    assert running_dev(tmp_path / "dev.json") is None


def test_only_the_writer_removes_it(tmp_path: Path) -> None:
    path = tmp_path / "dev.json"
    _state(os.getpid() + 1).write(path)  # another `a2n dev` took over the file
    forget(path)
    assert path.exists()

    _state(os.getpid()).write(path)
    forget(path)
    assert not path.exists()
