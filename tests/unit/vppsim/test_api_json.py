"""Our api.json files announce exactly what VPP master (and 26.06) announce.

docs/vpp-lb-reference.md#messages lists the messages, #message-crcs how their CRCs are made.
"""

from __future__ import annotations

import json

import pytest
from ansible_collections.vpp.maglev.vppsim.crc import CrcCalculator
from ansible_collections.vpp.maglev.vppsim.personality import API_DIR, LEGACY_LB, load

# Message -> (CRC, size in bytes), as VPP master's api.json files define them (docs/vppsim.md).
EXPECTED = {
    "lb_conf": ("0x56cd3261", 38),
    "lb_conf_reply": ("0xe8d4e804", 10),
    "lb_conf_get": ("0x51077d14", 10),
    "lb_conf_get_reply": ("0x923427ac", 38),
    "lb_add_del_vip": ("0x6fa569c7", 49),
    "lb_add_del_vip_reply": ("0xe8d4e804", 10),
    "lb_add_del_vip_v2": ("0x7c520e0f", 50),
    "lb_add_del_vip_v2_reply": ("0xe8d4e804", 10),
    "lb_add_del_as": ("0x35d72500", 50),
    "lb_add_del_as_reply": ("0xe8d4e804", 10),
    "lb_add_del_as_v2": ("0x2f1d3b0e", 51),
    "lb_add_del_as_v2_reply": ("0xe8d4e804", 10),
    "lb_as_set_weight": ("0x2d89bdbd", 50),
    "lb_as_set_weight_reply": ("0xe8d4e804", 10),
    "lb_flush_vip": ("0x1063f819", 31),
    "lb_flush_vip_reply": ("0xe8d4e804", 10),
    "lb_vip_dump": ("0x56110cb7", 33),
    "lb_vip_details": ("0x1329ec9b", 40),
    "lb_as_dump": ("0x1063f819", 31),
    "lb_as_details": ("0x8d24c29e", 49),
    "lb_as_v2_dump": ("0x1063f819", 31),
    "lb_as_v2_details": ("0x90064aae", 54),
    "lb_add_del_intf_nat4": ("0x47d6e753", 15),
    "lb_add_del_intf_nat4_reply": ("0xe8d4e804", 10),
    "lb_add_del_intf_nat6": ("0x47d6e753", 15),
    "lb_add_del_intf_nat6_reply": ("0xe8d4e804", 10),
    "show_version": ("0x51077d14", 10),
    "show_version_reply": ("0xc919bde1", None),
    "cli_inband": ("0xf8377302", None),
    "cli_inband_reply": ("0x05879051", None),
    "sockclnt_create": ("0x455fb9c4", 70),
    "sockclnt_create_reply": ("0x35166268", 20),
    "sockclnt_delete": ("0x8ac76db6", 14),
    "sockclnt_delete_reply": ("0x8f38b1ee", 10),
    "control_ping": ("0x51077d14", 10),
    "control_ping_reply": ("0xf6b0b8ca", 18),
    "get_first_msg_id": ("0xebf79a66", None),
    "get_first_msg_id_reply": ("0x7d337472", None),
    "api_versions": ("0x51077d14", None),
    "api_versions_reply": ("0x5f0d99d6", None),
    "memclnt_keepalive": ("0x51077d14", None),
    "memclnt_keepalive_reply": ("0xe8d4e804", None),
    "get_api_json": ("0x51077d14", None),
    "get_api_json_reply": ("0xea715b59", None),
}
NOT_IN_2606 = {
    "lb_conf_get",
    "lb_conf_get_reply",
    "lb_add_del_as_v2",
    "lb_add_del_as_v2_reply",
    "lb_as_set_weight",
    "lb_as_set_weight_reply",
    "lb_as_v2_dump",
    "lb_as_v2_details",
}


def _docs(legacy=False):
    paths = [API_DIR / n for n in ("memclnt.api.json", "vlib.api.json", "vpe.api.json")]
    paths.append(LEGACY_LB if legacy else API_DIR / "lb.api.json")
    return [json.loads(p.read_text()) for p in paths]


@pytest.mark.parametrize("legacy", [False, True])
def test_every_crc_recomputes_from_the_fields(legacy):
    docs = _docs(legacy)
    for doc in docs:
        calc = CrcCalculator(doc)
        for entry in doc["messages"]:
            assert "0x%08x" % calc.message_crc(entry) == entry[-1]["crc"], entry[0]


@pytest.mark.parametrize("legacy", [False, True])
def test_crcs_and_sizes_are_the_reference_values(legacy):
    personality = load("26.06" if legacy else "26.10")
    for name, (crc, size) in EXPECTED.items():
        if legacy and name in NOT_IN_2606:
            assert name not in personality.ids
            continue
        msg = personality.codec.messages[name]
        assert msg.crc == crc, name
        if size is not None:
            assert msg.struct.size == size, name


def test_lb_ids_are_one_block_in_definition_order_and_file_crcs():
    personality = load("26.10")
    lb = [n for n in personality.ids if n.startswith("lb_")]
    assert lb[0] == "lb_conf" and lb[-1] == "lb_add_del_intf_nat6_reply" and len(lb) == 26
    base = personality.ids["lb_conf"]
    assert [personality.ids[n] - base for n in lb] == list(range(26))
    assert personality.module_bases["lb_ac602d7b"] == base
    assert load("26.06").module_bases["lb_49e3c1c1"] == base
    assert personality.ids["sockclnt_create"] == 15 and personality.ids["get_api_json_reply"] == 28


def test_services_map_requests_to_replies_and_dumps_to_streams():
    lb = json.loads((API_DIR / "lb.api.json").read_text())
    assert lb["services"]["lb_as_v2_dump"] == {"reply": "lb_as_v2_details", "stream": True}
    assert lb["services"]["lb_as_set_weight"] == {"reply": "lb_as_set_weight_reply"}
    assert lb["options"]["version"] == "1.2.0" and lb["vl_api_version"] == "0xac602d7b"
    assert {"address_family", "ip_proto", "lb_encap_type"} <= {e[0] for e in lb["enums"]}
