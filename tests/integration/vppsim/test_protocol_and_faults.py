"""Wire protocol, several clients, restart, bootstrap, the 26.06 personality, faults and control."""

from __future__ import annotations

import json
import os
import socket
import struct

import pytest
from ansible_collections.vpp.maglev.vppsim.harness import API_DIR, VppSim, VppSimError
from ansible_collections.vpp.maglev.vppsim.personality import load
from vpp_papi import VPPApiClient

pytestmark = pytest.mark.integration
P = load("26.10")
V4 = "192.0.2.0/24"


class RawClient:
    """A hand-written client: proves framing and silence without vpp_papi in the way."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(path)
        self.buf = b""

    def send(self, *payloads: bytes, split: bool = False) -> None:
        data = b"".join(struct.pack(">QII", 0, len(p), 0) + p for p in payloads)
        if split:
            for i in range(0, len(data), 3):
                self.sock.sendall(data[i : i + 3])
        else:
            self.sock.sendall(data)

    def read(self) -> bytes:
        while True:
            if len(self.buf) >= 16:
                length = struct.unpack(">I", self.buf[8:12])[0]
                if len(self.buf) >= 16 + length:
                    msg, self.buf = self.buf[16 : 16 + length], self.buf[16 + length :]
                    return msg
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def handshake(self) -> int:
        self.send(P.codec.messages["sockclnt_create"].encode({"_vl_msg_id": 15, "context": 124, "name": "raw"}))
        reply = self.read()
        assert struct.unpack(">H", reply[:2])[0] == 16
        decoded = P.codec.messages["sockclnt_create_reply"].decode(reply)
        names = {name.rstrip(b"\0").decode() for _i, name in decoded["message_table"]}
        assert {"lb_as_v2_details_90064aae", "control_ping_reply_f6b0b8ca", "cli_inband_f8377302"} <= names
        assert decoded["count"] == len(P.ids)
        return decoded["index"]

    def ping(self, handle: int, context: int) -> bytes:
        return struct.pack(">HII", 23, handle, context)


def test_raw_framing_handshake_and_silence(sim):
    raw = RawClient(sim.socket)
    handle = raw.handshake()
    assert handle == 0x80000001
    bad_client = struct.pack(">HII", P.ids["lb_conf_get"], 0x80000063, 7)
    unknown_id = struct.pack(">HII", 999, handle, 8)
    truncated = struct.pack(">HII", P.ids["lb_add_del_vip"], handle, 9) + b"\x00" * 5
    # Several messages in one write, then the same split into 3-byte pieces.
    raw.send(bad_client, unknown_id, truncated, raw.ping(handle, 10))
    reply = raw.read()
    assert reply == struct.pack(">HIiII", 24, 10, 0, handle, reply and struct.unpack(">I", reply[14:18])[0])
    raw.send(bad_client, raw.ping(handle, 11), split=True)
    assert struct.unpack(">HI", raw.read()[:6]) == (24, 11)
    dump = struct.pack(">HII", P.ids["lb_vip_dump"], handle, 12) + bytes(23)
    raw.send(dump, raw.ping(handle, 12))
    assert struct.unpack(">HI", raw.read()[:6]) == (24, 12)  # empty dump: just the ping reply
    raw.send(struct.pack(">HIII", 17, handle, 13, handle))
    assert raw.read() == struct.pack(">HIi", 18, 13, 1)
    with pytest.raises(EOFError):
        raw.read()


def test_two_clients_share_state_interleave_and_reuse_handles_lifo(sim, connect):
    a = connect(sim, name="a")
    b = connect(sim, name="b")
    assert (a.transport.socket_index, b.transport.socket_index) == (0x80000001, 0x80000002)
    assert a.api.lb_add_del_vip_v2(pfx=V4, protocol=6, port=80).retval == 0
    assert b.api.lb_add_del_vip_v2(pfx=V4, protocol=6, port=80).retval == -81
    for i in range(20):
        client = (a, b)[i % 2]
        assert client.api.lb_add_del_as_v2(pfx=V4, protocol=6, port=80, as_address="10.0.0.%d" % (i + 1)).retval == 0
    assert len(a.api.lb_as_v2_dump()) == len(b.api.lb_as_v2_dump()) == 20
    assert a.disconnect().response == 1
    c = connect(sim, name="c")
    assert c.transport.socket_index == 0x80000001  # freed slot reused
    stats = sim.stats()
    assert stats["counts"]["lb_add_del_as_v2"] == 20 and stats["writes"] == 22


def test_restart_while_connected(sim, connect):
    vpp = connect(sim, read_timeout=2)
    assert vpp.api.lb_add_del_vip_v2(pfx=V4, protocol=6, port=80).retval == 0
    sim.restart()
    with pytest.raises(OSError):
        vpp.api.lb_vip_dump()
    fresh = connect(sim)
    assert fresh.transport.socket_index == 0x80000001
    assert fresh.api.lb_vip_dump() == []


def test_bootstrapapi_mode_and_memclnt_extras(sim, connect):
    vpp = connect(sim, bootstrap=True)
    assert vpp.api.lb_add_del_vip_v2(pfx="2001:db8::/64", protocol=17, port=53, encap=1).retval == 0
    assert str(vpp.api.lb_vip_dump()[0].vip.pfx) == "2001:db8::/64"
    assert vpp.api.show_version().version == "26.10-rc0~vppsim"
    first = vpp.api.get_first_msg_id(name="lb_ac602d7b")
    assert (first.retval, first.first_msg_id) == (0, P.ids["lb_conf"])
    missing = vpp.api.get_first_msg_id(name="nope_12345678")
    assert (missing.retval, missing.first_msg_id) == (-7, 0xFFFF)
    assert vpp.api.memclnt_keepalive().retval == 0
    versions = {v.name: (v.major, v.minor, v.patch) for v in vpp.api.api_versions().api_versions}
    assert versions["lb"] == (1, 2, 0)
    assert vpp.api.control_ping().vpe_pid > 0


def test_old_vpp_personality(tmp_path):
    with VppSim(tmp_path, vpp_version="26.06") as old:
        vpp = VPPApiClient(apidir=str(API_DIR), server_address=old.socket)
        vpp.connect("old")
        try:
            for name in ("lb_as_set_weight", "lb_add_del_as_v2", "lb_as_v2_dump", "lb_conf_get"):
                assert not hasattr(vpp.api, name)
            assert vpp.api.get_first_msg_id(name="lb_49e3c1c1").retval == 0
            # IPv4 VIPs collapse onto ::/len: the second /32 is a duplicate.
            assert vpp.api.lb_add_del_vip(pfx="192.0.2.1/32", protocol=6, port=80).retval == 0
            assert vpp.api.lb_add_del_vip(pfx="198.51.100.1/32", protocol=6, port=80).retval == -81
            assert vpp.api.lb_add_del_vip(pfx="2001:db8::/64", protocol=6, port=80, encap=4).retval == 0
            dump = {str(d.vip.pfx): d for d in vpp.api.lb_vip_dump()}
            assert set(dump) == {"0.0.0.0/32", "2001:db8::/64"}
            v4 = dump["0.0.0.0/32"]
            assert (v4.vip.protocol, int(v4.encap), v4.flow_table_length) == (0, 1, 0)  # ip6-gre4 leaks as 1
            assert int(dump["2001:db8::/64"].encap) == 0  # NAT6 became ip6-gre6 (0)
            assert vpp.api.lb_add_del_as(pfx="192.0.2.1/32", protocol=6, port=80, as_address="10.0.0.1").retval == 0
            assert vpp.api.lb_add_del_as(pfx="192.0.2.1/32", protocol=6, port=80, as_address="10.0.0.2").retval == 0
            assert [r.flags for r in vpp.api.lb_as_dump()] == [1, 1]
            state = old.state()
            assert state["lb_api_version"] == "1.1.0"
            assert [a["num_buckets"] for a in state["vips"][0]["ases"]] == [512, 512]
        finally:
            vpp.disconnect()


def test_fault_fail_nth_call(sim, vpp):
    assert vpp.api.lb_add_del_vip_v2(pfx=V4, protocol=6, port=80).retval == 0
    vpp.api.lb_add_del_as_v2(pfx=V4, protocol=6, port=80, as_address="10.0.0.1")
    sim.set_fault(fail={"message": "lb_as_set_weight", "nth": 2, "retval": -99})
    call = dict(pfx=V4, protocol=6, port=80, as_address="10.0.0.1")
    assert vpp.api.lb_as_set_weight(weight=10, **call).retval == 0
    assert vpp.api.lb_as_set_weight(weight=20, **call).retval == -99
    assert vpp.api.lb_as_set_weight(weight=30, **call).retval == 0
    assert sim.state()["vips"][0]["ases"][0]["weight"] == 30
    failed = sim.calls("lb_as_set_weight")[-2]
    assert failed["retval"] == -99 and failed["fault"] == "fail" and failed["args"]["weight"] == 20
    with pytest.raises(VppSimError, match=r"fail\.message"):
        sim.set_fault(fail={"message": "lb_vip_dump", "nth": 1, "retval": -1})


def test_fault_drop_after_and_delay(sim, connect):
    sim.set_fault(drop_after=2)
    vpp = connect(sim, read_timeout=2)
    assert vpp.api.lb_conf_get().retval == 0
    assert vpp.api.lb_vip_dump() == []  # a dump (+ its ping) counts once
    with pytest.raises(OSError):
        vpp.api.lb_conf_get()
    sim.set_fault(drop_after=None, delay_ms=1500)
    slow = connect(sim, read_timeout=0.3)
    with pytest.raises(OSError):
        slow.api.lb_conf_get()  # answered only after the client gave up
    sim.set_fault(delay_ms=0)
    ok = connect(sim)
    assert ok.api.lb_conf_get().retval == 0


def test_control_wait_calls_stats_and_errors(sim, vpp):
    since = sim.stats()["seq"]
    assert vpp.api.lb_add_del_vip_v2(pfx=V4, protocol=6, port=80).retval == 0
    assert vpp.api.lb_add_del_as_v2(pfx=V4, protocol=6, port=80, as_address="10.0.0.7", weight=3).retval == 0
    call = sim.wait_for("lb_add_del_as_v2", since=since, as_address="10.0.0.7", weight=3, pfx=V4)
    assert call["retval"] == 0 and call["client_index"] == 0x80000001
    with pytest.raises(VppSimError, match="timeout"):
        sim.wait_for("lb_add_del_as_v2", timeout=0.2, since=since, as_address="10.0.0.8")
    sim.reset_stats()
    vpp.api.lb_as_v2_dump()
    stats = sim.stats()
    assert stats["writes"] == 0 and stats["counts"] == {"lb_as_v2_dump": 1, "control_ping": 1}
    with pytest.raises(VppSimError, match="unknown cmd"):
        sim.control({"cmd": "explode"})
    with pytest.raises(VppSimError, match="delay_ms"):
        sim.set_fault(delay_ms=-1)
    state = sim.state()
    assert state["vips"][0]["ases"][0] == {
        "address": "10.0.0.7",
        "slot": 0,
        "weight": 3,
        "used": True,
        "flags": 1,
        "num_buckets": 1024,
        "in_use_since": 0,
        "flows": 0,
    }


def test_cli_flags_fixture_and_clean_shutdown(tmp_path, vppsim):
    # The shared fixture works and starts empty.
    assert vppsim.state()["vips"] == []
    extra = ["--fail", "lb_conf:1:-70", "--interfaces", "0,3", "--no-linger"]
    sim = VppSim(tmp_path / "flags", extra_args=extra)
    (tmp_path / "flags").mkdir()
    with sim:
        vpp = VPPApiClient(apidir=str(API_DIR), server_address=sim.socket)
        vpp.connect("flags")
        try:
            assert vpp.api.lb_conf(ip4_src_address="1.1.1.1").retval == -70
            assert vpp.api.lb_add_del_intf_nat4(is_add=True, sw_if_index=3).retval == 0
            vpp.api.lb_add_del_vip_v2(pfx=V4, protocol=6, port=80)
            vpp.api.lb_add_del_as_v2(pfx=V4, protocol=6, port=80, as_address="10.0.0.1")
            vpp.api.lb_add_del_as_v2(pfx=V4, protocol=6, port=80, as_address="10.0.0.1", is_del=True)
            assert vpp.api.lb_as_v2_dump() == []  # --no-linger: gone at once
        finally:
            vpp.disconnect()
        assert os.path.exists(sim.socket)
        assert sim.stop() == 0
    assert not os.path.exists(sim.socket) and not os.path.exists(sim.control_socket)
    with pytest.raises(VppSimError, match="MSG:NTH:RETVAL"):
        VppSim(tmp_path, extra_args=["--fail", "nonsense"]).start()


def test_an_overlong_control_line_is_answered_and_dropped(sim, vpp):
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(10)
        sock.connect(sim.control_socket)
        sock.sendall(b"x" * (70 * 1024) + b"\n")
        reply = sock.makefile("rb").readline()
    assert json.loads(reply) == {"ok": False, "error": "control line longer than 64 KiB"}
    assert sim.stats()["seq"] >= 0  # the simulator still answers
    assert vpp.api.lb_conf_get().retval == 0
