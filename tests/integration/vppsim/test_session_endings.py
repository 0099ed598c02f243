"""vppsim's record of how each registration ended: the polite end (sockclnt_delete, then
close) against a socket dropped without it, and the ends vppsim chooses itself."""

from __future__ import annotations

import socket
import struct

import pytest
from ansible_collections.vpp.maglev.vppsim.calllog import SESSION_END
from ansible_collections.vpp.maglev.vppsim.personality import load
from vpp_papi.vpp_papi import VPPIOError

pytestmark = pytest.mark.integration
P = load("26.10")


def handshake(path: str) -> tuple:
    """A raw client registered with vppsim: (socket, its handle)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(path)
    payload = P.codec.messages["sockclnt_create"].encode({"_vl_msg_id": 15, "context": 1, "name": "raw"})
    sock.sendall(struct.pack(">QII", 0, len(payload), 0) + payload)
    head = b""
    while len(head) < 16:
        head += sock.recv(16 - len(head))
    body = b""
    length = struct.unpack(">I", head[8:12])[0]
    while len(body) < length:
        body += sock.recv(length - len(body))
    return sock, P.codec.messages["sockclnt_create_reply"].decode(body)["index"]


def ending(sim, handle: int, since: int) -> str:
    return sim.wait_for(SESSION_END, since=since, client=handle)["args"]["how"]


def test_a_dropped_socket_is_an_abrupt_end(sim):
    seq = sim.stats()["seq"]
    sock, handle = handshake(sim.socket)
    sock.close()
    assert ending(sim, handle, seq) == "eof"


def test_vpp_papi_disconnect_is_the_polite_end(sim, connect):
    seq = sim.stats()["seq"]
    client = connect(sim)
    handle = client.transport.socket_index
    client.disconnect()
    assert ending(sim, handle, seq) == "delete"
    ends = sim.calls(SESSION_END, since=seq)
    assert [entry["args"] for entry in ends] == [{"client": handle, "how": "delete"}]  # once, not again at EOF


def test_ends_vppsim_chooses_are_named(sim, connect):
    seq = sim.stats()["seq"]
    sim.set_fault(drop_after=0)
    client = connect(sim)
    handle = client.transport.socket_index
    with pytest.raises(VPPIOError):
        client.api.control_ping()  # uncounted: answered
        client.api.show_version()  # the first counted call: dropped
    assert ending(sim, handle, seq) == "fault"
