"""vppsim owns its sockets: a live one is never taken over, a stale one is replaced, and a
frame that declares more than MAX_FRAME bytes closes that connection instead of buffering it."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys

import pytest
from ansible_collections.vpp.maglev.vppsim.harness import API_DIR, COLLECTIONS_ROOT, VppSim, VppSimError
from ansible_collections.vpp.maglev.vppsim.personality import load
from ansible_collections.vpp.maglev.vppsim.server import MAX_FRAME
from vpp_papi import VPPApiClient

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
P = load("26.10")
ENV = {**os.environ, "PYTHONPATH": str(COLLECTIONS_ROOT)}


def run_vppsim(socket_path: str) -> subprocess.CompletedProcess:
    """A second vppsim that must refuse at once (it never gets to its ready line)."""
    return subprocess.run(
        [sys.executable, "-m", "ansible_collections.vpp.maglev.vppsim", "--socket", socket_path],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=30,
        check=False,
    )


def answers(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(path)
        except OSError:
            return False
        return True


def stale_socket(path: str) -> None:
    """A socket file nobody listens on, as a killed vppsim leaves behind."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.close()


def test_second_vppsim_refuses_a_live_socket_and_leaves_it_alone(vppsim):
    inode = os.stat(vppsim.socket).st_ino
    second = run_vppsim(vppsim.socket)
    assert second.returncode == 1, (second.stdout, second.stderr)
    assert second.stdout == ""  # never printed a ready line
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "in use" in lines[0] and vppsim.socket in lines[0], second.stderr
    # The first one's sockets are still its own and still answer, through vpp_papi too.
    assert os.stat(vppsim.socket).st_ino == inode
    assert answers(vppsim.socket) and answers(vppsim.control_socket)
    client = VPPApiClient(apidir=str(API_DIR), server_address=vppsim.socket)
    client.connect("first-still-serves")
    try:
        assert client.api.show_version().version.startswith("26.10")
    finally:
        client.disconnect()
    assert vppsim.state()["restarts"] == 0


def test_harness_reports_the_refusal(vppsim, tmp_path):
    second = VppSim(tmp_path)  # the same directory, so the same socket path
    try:
        with pytest.raises(VppSimError, match="in use"):
            second.start()
    finally:
        second.stop()  # a no-op unless it wrongly started
    assert answers(vppsim.socket)


def test_a_live_control_socket_alone_also_refuses(tmp_path):
    path = str(tmp_path / "api.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".ctl")
    listener.listen(1)
    try:
        result = run_vppsim(path)
        assert result.returncode == 1 and "in use" in result.stderr and path + ".ctl" in result.stderr
        assert not os.path.exists(path)  # refused before binding anything
        assert answers(path + ".ctl")
    finally:
        listener.close()


def test_stale_sockets_are_replaced(tmp_path):
    sim = VppSim(tmp_path)
    stale_socket(sim.socket)
    stale_socket(sim.control_socket)
    with sim:
        assert answers(sim.socket) and sim.state()["restarts"] == 0
    assert not os.path.exists(sim.socket) and not os.path.exists(sim.control_socket)


def test_a_file_that_is_not_a_socket_is_refused_and_kept(tmp_path):
    path = tmp_path / "api.sock"
    path.write_text("precious")
    result = run_vppsim(str(path))
    assert result.returncode == 1 and "not a socket" in result.stderr, result.stderr
    assert path.read_text() == "precious"


def test_exit_leaves_a_successors_socket_alone(tmp_path):
    sim = VppSim(tmp_path).start()
    try:
        # Someone replaced our socket file (an operator, a restart script): it is not ours to remove.
        os.unlink(sim.socket)
        stale_socket(sim.socket)
        successor_inode = os.stat(sim.socket).st_ino
    finally:
        assert sim.stop() == 0
    assert os.stat(sim.socket).st_ino == successor_inode
    assert not os.path.exists(sim.control_socket)


def _header(length: int) -> bytes:
    return struct.pack(">QII", 0, length, 0)


@pytest.mark.parametrize("declared", [MAX_FRAME + 1, 0xFFFFFFFF])
def test_a_frame_declaring_more_than_the_cap_closes_that_connection(vppsim, declared):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as bomb:
        bomb.settimeout(10)
        bomb.connect(vppsim.socket)
        bomb.sendall(_header(declared) + b"\x00" * 4096)  # a start of the body, never the rest
        assert bomb.recv(1) == b""  # closed by vppsim, not left waiting for 4 GB
    call = vppsim.wait_for("<frame-too-large>")
    assert call["declared"] == declared and call["limit"] == MAX_FRAME
    assert vppsim.stats()["rejected_frames"] >= 1
    # Everyone else is served as before.
    client = VPPApiClient(apidir=str(API_DIR), server_address=vppsim.socket)
    client.connect("after-bomb")
    try:
        assert client.api.show_version().retval == 0
    finally:
        client.disconnect()


def test_a_large_legitimate_frame_under_the_cap_is_served(vppsim):
    client = VPPApiClient(apidir=str(API_DIR), server_address=vppsim.socket)
    client.connect("big-cli")
    try:
        # A 64 KB CLI command: far more than any real request, far less than the cap.
        reply = client.api.cli_inband(cmd="show lb vips " + "x" * 65536)  # show lb vips ignores it
        assert reply.retval == 0
    finally:
        client.disconnect()
    assert vppsim.stats()["rejected_frames"] == 0
