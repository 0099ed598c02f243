# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The writer lock: one writer at a time per VPP, across processes.

Every writer of a VPP's load balancer - the modules (read -> plan -> apply) and maglevd (each
apply) - holds ``flock(LOCK_EX)`` on ``<api_socket>.lock`` while it works, so two writers never
interleave their operations and no writer plans from a state another is halfway through
changing. The file sits beside the API socket: every writer derives the same path from the
socket it already uses, with no setting to agree on, and it lives as long as VPP's runtime
directory.

The holder writes ``pid=<pid> owner=<who> since=<time>`` into the file so that a writer that
gives up after ``timeout`` can name it. flock is released by the kernel when its holder exits
or dies, so a crashed writer never leaves the lock taken.

No Ansible imports: maglevd uses this too (from its VPP worker thread, never the event loop).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from typing import Any, Callable, Iterator, Optional, TypeVar

from ansible_collections.vpp.maglev.plugins.module_utils.vpp_errors import VppError

T = TypeVar("T")

LOCK_SUFFIX = ".lock"
# The modules' default lock_timeout, and its bound (a task stuck for an hour is a bug).
DEFAULT_LOCK_TIMEOUT = 60.0
MAX_LOCK_TIMEOUT = 3600.0
# maglevd's bound per apply: it must not hold its VPP thread long; a failed apply is retried
# by the reconciler's normal backoff, so a long module write only delays the daemon.
DAEMON_LOCK_TIMEOUT = 5.0
# The holder line is ours, but the file is shared: never read more of it than this.
MAX_HOLDER_TEXT = 200
POLL_INTERVAL = 0.02
POLL_MAX = 0.2


class WriterLockError(VppError):
    """The writer lock cannot be taken (file cannot be opened, or is not a regular file)."""

    def __init__(self, message: str, path: str = ""):
        self.path = path
        super().__init__(message)


class WriterLockBusy(WriterLockError):
    """Another writer held the lock for longer than the timeout."""

    def __init__(self, message: str, path: str, holder_pid: Optional[int]):
        self.holder_pid = holder_pid
        super().__init__(message, path)


def lock_path(api_socket: str) -> str:
    return str(api_socket) + LOCK_SUFFIX


def _open(path: str, api_socket: str) -> int:
    """An fd on the lock file, created if needed. O_NOFOLLOW + a regular-file check: the
    directory may be writable by a group, and root must never truncate where a planted
    symlink points. Read-only is enough for flock when the file exists but is not ours."""
    flags = os.O_CLOEXEC | os.O_NOFOLLOW
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | flags, 0o660)
        _share_with_socket_group(fd, api_socket)
        return fd
    except FileExistsError:
        pass
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise _cannot_open(path, exc)
    try:
        fd = os.open(path, os.O_RDWR | flags)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise _cannot_open(path, exc)
        try:
            fd = os.open(path, os.O_RDONLY | flags)
        except OSError as again:
            raise _cannot_open(path, again)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise WriterLockError("the VPP writer lock %s is not a regular file; remove it" % path, path)
    return fd


def _share_with_socket_group(fd: int, api_socket: str) -> None:
    """Whoever may use the API socket (its group, e.g. vpp: maglevd) may take the lock too,
    whoever created the file first (e.g. a module run as root). Best effort."""
    try:
        os.fchown(fd, -1, os.stat(api_socket).st_gid)
    except OSError:
        pass
    try:
        os.fchmod(fd, 0o660)  # exactly, whatever the umask
    except OSError:
        pass


def _cannot_open(path: str, exc: OSError) -> WriterLockError:
    reason = "it is a symbolic link" if exc.errno == errno.ELOOP else exc.strerror
    return WriterLockError(
        "cannot open the VPP writer lock %s: %s (every writer of this VPP takes it: run with become, or let the "
        "writer create files in %s)" % (path, reason, os.path.dirname(path) or "."),
        path,
    )


def read_holder(path: str) -> str:
    """The holder line of ``path`` ('' when unknown), printable and bounded."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    try:
        data = os.read(fd, MAX_HOLDER_TEXT)
    except OSError:
        return ""
    finally:
        os.close(fd)
    text = data.decode("utf-8", "replace").strip()
    return "".join(c for c in text if c.isprintable())


def holder_pid(text: str) -> Optional[int]:
    for word in text.split():
        if word.startswith("pid=") and word[4:].isdigit():
            return int(word[4:])
    return None


def _write_holder(fd: int, owner: str) -> None:
    line = "pid=%d owner=%s since=%s\n" % (os.getpid(), owner, time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, line.encode()[:MAX_HOLDER_TEXT], 0)
    except OSError:  # a read-only fd (the file is not ours): the lock holds, unnamed
        pass


def _clear_holder(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)
    except OSError:
        pass


@contextlib.contextmanager
def hold(
    api_socket: str,
    timeout: float,
    *,
    owner: str = "vpp.maglev",
    on_wait: Optional[Callable[[str], None]] = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[str]:
    """Hold the writer lock of the VPP on ``api_socket`` for the ``with`` block.

    Waits up to ``timeout`` seconds (0: one try) for another holder, then raises WriterLockBusy
    naming it. ``on_wait(holder)`` is called once when the first try finds the lock taken.
    Yields the lock file's path."""
    path = lock_path(api_socket)
    fd = _open(path, api_socket)
    try:
        start = clock()
        delay = POLL_INTERVAL
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            if not waited:
                waited = True
                if on_wait is not None:
                    on_wait(read_holder(path))
            elapsed = clock() - start
            if elapsed >= timeout:
                raise _busy(path, elapsed)
            sleep(min(delay, timeout - elapsed))
            delay = min(delay * 2, POLL_MAX)
        _write_holder(fd, owner)
        try:
            yield path
        finally:
            _clear_holder(fd)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _busy(path: str, elapsed: float) -> WriterLockBusy:
    holder = read_holder(path)
    pid = holder_pid(holder)
    if pid is not None:
        rest = " ".join(word for word in holder.split() if not word.startswith("pid="))
        who = "pid %d%s" % (pid, " (%s)" % rest if rest else "")
    else:
        who = "a writer that did not record its pid"
    return WriterLockBusy(
        "the VPP writer lock %s is held by %s; gave up after %.1fs (lock_timeout). Another writer is changing this "
        "VPP: retry when it has finished, or raise lock_timeout" % (path, who, elapsed),
        path,
        pid,
    )


def locked(fn: Callable[[Any], T], *, owner: str = "maglevd") -> Callable[[Any], T]:
    """``fn(client)`` wrapped to run under the writer lock of ``client.api_socket``, waiting at
    most DAEMON_LOCK_TIMEOUT (read when called). For maglevd's VPP thread: a WriterLockBusy is
    a VppError, so the apply fails like any VPP error and the reconciler retries it."""

    def run(client: Any) -> T:
        with hold(client.api_socket, DAEMON_LOCK_TIMEOUT, owner=owner):
            return fn(client)

    return run
