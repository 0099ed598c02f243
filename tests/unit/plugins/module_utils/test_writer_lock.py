"""writer_lock: one writer per VPP across processes; the second waits, then fails naming the holder."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import writer_lock
from ansible_collections.vpp.maglev.plugins.module_utils.vpp_errors import VppError

HOLDER = """
import sys
from ansible_collections.vpp.maglev.plugins.module_utils import writer_lock
with writer_lock.hold(sys.argv[1], 0, owner="holder-test"):
    print("held", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def holder(tmp_path):
    """A process holding the writer lock of tmp_path/api.sock until the test ends."""
    socket = str(tmp_path / "api.sock")
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, socket],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert proc.stdout.readline() == "held\n"  # synchronise on the holder's own report
    yield socket, proc
    proc.stdin.close()
    proc.wait(timeout=20)


def test_a_second_writer_waits_then_fails_naming_the_holders_pid(holder):
    socket, proc = holder
    with pytest.raises(writer_lock.WriterLockBusy) as caught, writer_lock.hold(socket, 0.3):
        pytest.fail("took a lock another process holds")
    error = caught.value
    assert isinstance(error, VppError)  # modules and maglevd report it like any VPP error
    assert error.holder_pid == proc.pid
    message = str(error)
    assert "the VPP writer lock %s.lock is held by pid %d (owner=holder-test since=" % (socket, proc.pid) in message
    assert "lock_timeout" in message and "\n" not in message


def test_the_lock_is_free_once_its_holder_exits(holder):
    socket, proc = holder
    proc.stdin.close()
    proc.wait(timeout=20)
    with writer_lock.hold(socket, 0) as path:
        assert writer_lock.holder_pid(writer_lock.read_holder(path)) == os.getpid()
    assert writer_lock.read_holder(path) == ""  # cleared on release


def test_a_waiting_writer_proceeds_when_the_holder_releases(tmp_path):
    socket = str(tmp_path / "api.sock")
    waiting = threading.Event()
    done = threading.Event()
    seen = []

    def second():
        with writer_lock.hold(socket, 60, on_wait=lambda text: (seen.append(text), waiting.set())):
            done.set()

    with writer_lock.hold(socket, 0, owner="first"):
        thread = threading.Thread(target=second)
        thread.start()
        assert waiting.wait(20)  # it found the lock taken ...
        assert not done.is_set()  # ... and does not run while we hold it
    thread.join(20)
    assert done.is_set()
    assert "owner=first" in seen[0]


def test_a_symlink_in_place_of_the_lock_file_is_refused_and_its_target_untouched(tmp_path):
    target = tmp_path / "precious"
    target.write_text("keep me\n")
    (tmp_path / "api.sock.lock").symlink_to(target)
    with pytest.raises(writer_lock.WriterLockError) as caught, writer_lock.hold(str(tmp_path / "api.sock"), 0):
        pytest.fail("locked through a symlink")
    assert "it is a symbolic link" in str(caught.value)
    assert target.read_text() == "keep me\n"


def test_a_directory_in_place_of_the_lock_file_is_refused(tmp_path):
    (tmp_path / "api.sock.lock").mkdir()
    with pytest.raises(writer_lock.WriterLockError), writer_lock.hold(str(tmp_path / "api.sock"), 0):
        pytest.fail("locked a directory")


def test_a_hostile_holder_line_is_bounded_and_printable(tmp_path):
    path = tmp_path / "api.sock.lock"
    path.write_text("pid=12 \x1b[31mred\u202e" + "x" * 10000)
    text = writer_lock.read_holder(str(path))
    assert len(text) <= writer_lock.MAX_HOLDER_TEXT and "\x1b" not in text and "\u202e" not in text
    assert writer_lock.holder_pid(text) == 12


def test_the_daemon_wrapper_bounds_its_wait_by_daemon_lock_timeout(tmp_path, monkeypatch, holder):
    socket, proc = holder
    monkeypatch.setattr(writer_lock, "DAEMON_LOCK_TIMEOUT", 0.2)

    class Client:
        api_socket = socket

    with pytest.raises(writer_lock.WriterLockBusy) as caught:
        writer_lock.locked(lambda client: pytest.fail("applied without the lock"))(Client())
    assert caught.value.holder_pid == proc.pid


def test_a_new_lock_file_takes_the_sockets_group_so_every_user_of_the_socket_can_lock(tmp_path):
    socket = tmp_path / "api.sock"
    socket.write_text("")  # stands in for VPP's socket: only its group matters
    gid = 4242 if os.getuid() == 0 else os.getgid()
    os.chown(socket, -1, gid)
    old = os.umask(0o077)  # the creator's umask must not lock the group out
    try:
        with writer_lock.hold(str(socket), 0) as path:
            info = os.stat(path)
    finally:
        os.umask(old)
    assert info.st_gid == gid and info.st_mode & 0o777 == 0o660
