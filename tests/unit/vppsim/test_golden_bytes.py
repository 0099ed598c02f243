"""Our codec against the golden hex (docs/vpp-lb-reference.md#golden-bytes) and vpp_papi's own serializer."""

from __future__ import annotations

import ipaddress

import pytest
from ansible_collections.vpp.maglev.vppsim.personality import API_DIR, frame, load
from vpp_papi.vpp_papi import VPPApiJSONFiles

P = load("26.10")
M = P.codec.messages


def _papi_messages():
    messages = {}
    for name in ("memclnt", "vlib", "vpe", "lb"):
        m, _s = VPPApiJSONFiles.process_json_str((API_DIR / ("%s.api.json" % name)).read_text())
        messages.update(m)
    return messages


PAPI = _papi_messages()
V4 = {"af": 0, "un": bytes([10, 0, 0, 1]) + bytes(12)}


def test_lb_add_del_vip_matches_reference_hex():
    hexed = (
        "006e 80000001 00000002 00 0a000001 000000000000000000000000 20 06 0050 00000000 00 00000000 0000 0000"
        " 00000400 00"
    )
    expected = bytes.fromhex(hexed.replace(" ", ""))
    ours = M["lb_add_del_vip"].encode(
        {
            "_vl_msg_id": 0x6E,
            "client_index": 0x80000001,
            "context": 2,
            "pfx": {"address": V4, "len": 32},
            "protocol": 6,
            "port": 80,
        }
    )
    assert ours == expected and len(ours) == 49 and ours[27] == 0x20
    papi = PAPI["lb_add_del_vip"].pack(
        {
            "_vl_msg_id": 0x6E,
            "client_index": 0x80000001,
            "context": 2,
            "pfx": "10.0.0.1/32",
            "protocol": 6,
            "port": 80,
            "encap": 0,
        }
    )
    assert papi == expected
    decoded = M["lb_add_del_vip"].decode(expected)
    assert decoded["pfx"]["len"] == 32 and decoded["new_flows_table_length"] == 1024


def test_control_ping_reply_matches_reference_hex():
    ours = M["control_ping_reply"].encode(
        {"_vl_msg_id": 24, "context": 3, "retval": 0, "client_index": 0x80000001, "vpe_pid": 1234}
    )
    assert ours == bytes.fromhex("0018 00000003 00000000 80000001 000004d2".replace(" ", ""))


def test_lb_as_v2_details_offsets():
    ours = M["lb_as_v2_details"].encode(
        {
            "_vl_msg_id": 7,
            "context": 9,
            "vip": {"pfx": {"address": V4, "len": 24}, "protocol": 6, "port": 80},
            "app_srv": {"af": 0, "un": bytes([10, 0, 0, 2]) + bytes(12)},
            "flags": 1,
            "in_use_since": 0x01020304,
            "weight": 55,
            "num_buckets": 0x0A0B0C0D,
        }
    )
    assert len(ours) == 54
    assert ours[6:11] == bytes([0, 10, 0, 0, 1])  # vip at offset 6
    assert ours[27:32] == bytes([0, 10, 0, 0, 2])  # app_srv at 27
    assert ours[44] == 1 and ours[45:49] == bytes([1, 2, 3, 4]) and ours[49] == 55
    assert ours[50:54] == bytes([10, 11, 12, 13])
    r, _size = PAPI["lb_as_v2_details"].unpack(ours)
    assert r.app_srv == ipaddress.ip_address("10.0.0.2") and r.num_buckets == 0x0A0B0C0D and r.weight == 55


def test_sockclnt_create_handshake_bytes():
    request = bytes.fromhex("000f0000007c") + b"probe".ljust(64, b"\x00")
    assert len(request) == 70
    assert M["sockclnt_create"].decode(request) == {"_vl_msg_id": 15, "context": 124, "name": "probe"}
    reply = M["sockclnt_create_reply"].encode(
        {
            "_vl_msg_id": 16,
            "context": 124,
            "index": 0x80000001,
            "count": 1,
            "message_table": [(23, b"control_ping_51077d14")],
        }
    )
    assert len(reply) == 20 + 66
    r, _size = PAPI["sockclnt_create_reply"].unpack(reply)
    assert r.index == 0x80000001 and r.message_table[0].name == "control_ping_51077d14"


def test_variable_strings_and_frame():
    reply = M["get_api_json_reply"].encode({"_vl_msg_id": 28, "context": 5, "json": "[]"})
    assert reply == bytes.fromhex("001c 00000005 00000000 00000002".replace(" ", "")) + b"[]"
    assert frame(b"\x00\x17") == bytes(8) + bytes([0, 0, 0, 2]) + bytes(4) + b"\x00\x17"
    cli = PAPI["cli_inband"].pack({"_vl_msg_id": 29, "client_index": 1, "context": 2, "cmd": "show lb vips"})
    assert M["cli_inband"].decode(cli)["cmd"] == "show lb vips"
    assert M["cli_inband"].decode(cli[:-1]) is None  # truncated: dropped


@pytest.mark.parametrize("name", sorted(M))
def test_every_message_round_trips_with_vpp_papi(name):
    """vpp_papi packs a default message; we decode it to the same size and re-encode it byte for byte."""
    papi = PAPI[name]
    values = {"_vl_msg_id": 1}
    if name.startswith("memclnt_create"):
        values["api_versions"] = list(range(8))  # fixed u32[8]: vpp_papi needs a value
    packed = papi.pack(values)
    decoded = M[name].decode(packed)
    assert decoded is not None
    assert M[name].encode(decoded) == packed
    assert M[name].decode(packed[:-1]) is None or M[name].tail is not None
