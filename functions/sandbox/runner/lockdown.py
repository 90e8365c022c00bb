"""Locks the sandbox process down before user code runs: network, files, identity, limits.

Each measure is applied where the kernel and our privileges allow it and reported by name, so the
caller (and the docs) can say what held. Standard library only: the sandbox function ships alone.
Linux gives us, in order: a fresh network namespace (as root, or unprivileged through a user
namespace), Landlock (files outside the allowed directories, TCP, signals to other processes),
dropping root to ``nobody``, and resource limits. On other systems only the limits apply.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
from collections.abc import Iterable
from typing import Any

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PR_SET_DUMPABLE = 4
_PR_SET_NO_NEW_PRIVS = 38
# Landlock system calls: the same numbers on x86_64 and arm64 (asm-generic table).
_LANDLOCK_CREATE_RULESET, _LANDLOCK_ADD_RULE, _LANDLOCK_RESTRICT_SELF = 444, 445, 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 14, 1 << 15
_FS_READ_ONLY = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
_FS_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
# Shared libraries that extension modules (zlib, _hashlib …) load lazily, the loader's cache, tz data.
SYSTEM_READABLE = (
    "/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/etc/ld.so.cache", "/usr/share/zoneinfo",
)  # fmt: skip


class _PathBeneath(ctypes.Structure):
    _pack_ = 1  # struct landlock_path_beneath_attr is packed
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def lock_down(
    limits: dict[str, int], *, readable: Iterable[str], workdir: str, run_as: tuple[int, int] | None
) -> dict[str, str]:
    """Apply every measure this process can; returns what held: network, filesystem, user, limits.
    ``run_as`` is the (uid, gid) that root drops to (the caller chose it and owns ``workdir`` for it)."""
    libc = _libc()
    as_root = os.geteuid() == 0
    nobody = run_as if as_root else None
    report = {"network": _own_network_namespace(libc, as_root)}
    if libc is not None:
        libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if nobody is not None:
        _keep_imports_reachable()
    landlock = _landlock(libc, [*sys.path, *readable, *SYSTEM_READABLE], workdir)
    report["filesystem"] = "landlock" if landlock else "permissions"
    if landlock >= 4 and report["network"] == "open":
        report["network"] = "landlock-tcp"
    report["user"] = _drop_root(nobody)
    if libc is not None:
        # Not dumpable: a process of the same user cannot ptrace this one or read its memory.
        libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    refused = _set_limits(limits)
    report["limits"] = "all" if not refused else "partial"
    return report


def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    libc.syscall.restype = ctypes.c_long
    return libc


def _own_network_namespace(libc: Any, as_root: bool) -> str:
    """A new network namespace has only a loopback interface, down: every connect() fails.
    Unprivileged, a user namespace makes it possible where the kernel allows those."""
    if libc is None:
        return "open"
    flags = _CLONE_NEWNET if as_root else _CLONE_NEWUSER | _CLONE_NEWNET
    return "namespace" if libc.unshare(flags) == 0 else "open"


def _keep_imports_reachable() -> None:
    """Once root is dropped, a Python installed under a private home (pyenv in /root) can no longer
    be traversed; paths held open as O_PATH descriptors stay reachable through /proc/self/fd."""
    held: dict[str, str] = {}
    for entry in sys.path:
        try:
            descriptor = os.open(entry, os.O_PATH | os.O_DIRECTORY)
        except OSError:
            continue
        held[entry] = f"/proc/self/fd/{descriptor}"

    def reachable(path: str) -> str:
        for original, handle in held.items():
            if path == original or path.startswith(original + os.sep):
                return handle + path[len(original) :]
        return path

    sys.path[:] = list(held.values())
    # Packages imported at start (encodings …) find their submodules through __path__, not sys.path.
    for module in list(sys.modules.values()):
        search = getattr(module, "__path__", None)
        if isinstance(search, list):
            search[:] = [reachable(path) for path in search]
    sys.path_importer_cache.clear()


def _landlock(libc: Any, readable: Iterable[str], workdir: str) -> int:
    """Restrict files to reading ``readable`` and everything beneath ``workdir``; from ABI 4 deny
    TCP, from ABI 6 abstract sockets and signals to processes outside. Returns the ABI (0: none)."""
    if libc is None:
        return 0
    abi = int(libc.syscall(_LANDLOCK_CREATE_RULESET, None, 0, _LANDLOCK_CREATE_RULESET_VERSION))
    if abi < 1:
        return 0
    handled_fs = (1 << 13) - 1 | (1 << 13 if abi >= 2 else 0) | (_FS_TRUNCATE if abi >= 3 else 0)
    handled_fs |= _FS_IOCTL_DEV if abi >= 5 else 0
    attr = (ctypes.c_uint64 * 3)(handled_fs, 0b11 if abi >= 4 else 0, 0b11 if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24  # the struct grew with each ABI
    ruleset = int(libc.syscall(_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), size, 0))
    if ruleset < 0:
        return 0
    try:
        for path in dict.fromkeys(readable):
            _allow(libc, ruleset, path, _FS_READ_ONLY)
        _allow(libc, ruleset, workdir, handled_fs)
        if int(libc.syscall(_LANDLOCK_RESTRICT_SELF, ruleset, 0)) != 0:
            return 0
    finally:
        os.close(ruleset)
    return abi


def _allow(libc: Any, ruleset: int, path: str, access: int) -> None:
    try:
        descriptor = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # absent on this system
    try:
        if not os.path.isdir(f"/proc/self/fd/{descriptor}"):
            access &= _FS_FILE_RIGHTS  # directory rights on a file are refused (EINVAL)
        rule = _PathBeneath(access, descriptor)
        libc.syscall(_LANDLOCK_ADD_RULE, ruleset, _LANDLOCK_RULE_PATH_BENEATH, ctypes.byref(rule), 0)
    finally:
        os.close(descriptor)


def _drop_root(nobody: tuple[int, int] | None) -> str:
    if nobody is None:
        return "unchanged"
    uid, gid = nobody
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    return "nobody"


def _set_limits(limits: dict[str, int]) -> list[str]:
    """Hard limits equal to soft ones, so the code cannot raise them back. No processes or threads
    at all (RLIMIT_NPROC 0); a file past its size limit fails the write instead of killing us.
    Returns the limits this system refused (macOS has no RLIMIT_AS, for one)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    cpu = limits["cpuSeconds"]
    refused = []
    for name, soft, hard in (
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_NPROC, 0, 0),
        (resource.RLIMIT_NOFILE, limits["openFiles"], limits["openFiles"]),
        (resource.RLIMIT_FSIZE, limits["fileBytes"], limits["fileBytes"]),
        (resource.RLIMIT_CPU, cpu, cpu + 1),  # SIGXCPU at the soft limit, SIGKILL a second later
        (resource.RLIMIT_AS, limits["memoryBytes"], limits["memoryBytes"]),
    ):
        try:
            resource.setrlimit(name, (soft, hard))
        except (ValueError, OSError):
            refused.append(str(name))
    return refused
