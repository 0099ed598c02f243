"""The lb node's flow hash and the seeded simulated flows (docs/vppsim.md#the-flow-hash,
#picking-flows): the fast per-VIP path equals the byte-by-byte CRC32C of VPP's message."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.vppsim.flow_hash import FlowSource, crc32c_raw, flow_message, lb_hash

VIP4 = bytes([192, 0, 2, 1])
VIP6 = bytes.fromhex("20010db8000000000000000000000001")


def test_crc32c_is_castagnoli_without_the_inversions():
    # The standard check value of CRC-32C ("123456789") once the inversions are put back.
    assert crc32c_raw(b"123456789", 0xFFFFFFFF) ^ 0xFFFFFFFF == 0xE3069283
    assert crc32c_raw(b"\x00" * 40) == 0  # no initial inversion: zeros hash to zero


def test_the_message_is_the_address_pair_then_the_ports_as_the_header_holds_them():
    message = flow_message(bytes([198, 18, 0, 7]), VIP4, 0x8001, 80, True)
    assert message == bytes([198, 18, 0, 7, 192, 0, 2, 1, 0, 80, 0x80, 0x01]) + bytes(28)
    assert flow_message(bytes([198, 18, 0, 7]), VIP4, 0x8001, 80, False) == bytes(
        [198, 18, 0, 7, 192, 0, 2, 1]
    ) + bytes(32)


@pytest.mark.parametrize(
    "vip, port, with_ports, clients",
    [(VIP4, 80, True, 0), (VIP6, 443, True, 0), (VIP4, 0, False, 0), (VIP6, 0, False, 0), (VIP4, 80, True, 7)],
)
def test_the_fast_hash_equals_the_reference_for_every_flow(vip, port, with_ports, clients):
    source = FlowSource(vip, port, with_ports, seed=11, clients=clients)
    fast = list(source.hashes(100, 2000))
    for offset, flow_hash in enumerate(fast):
        client, sport = source.flow(100 + offset)
        assert flow_hash == lb_hash(flow_message(client, vip, sport, port, with_ports))


def test_a_seed_replays_its_flows_and_its_flows_are_distinct():
    one, same, other = (FlowSource(VIP4, 80, True, seed) for seed in (5, 5, 6))
    flows = [one.flow(i) for i in range(50_000)]
    assert len(set(flows)) == 50_000
    assert flows[:1000] == [same.flow(i) for i in range(1000)]
    assert len(set(flows[:1000]) & {other.flow(i) for i in range(1000)}) < 5
    assert list(one.hashes(0, 100)) == list(same.hashes(0, 100))


def test_few_clients_open_many_connections_each():
    source = FlowSource(VIP4, 80, True, seed=1, clients=3)
    flows = [source.flow(i) for i in range(300)]
    assert len({client for client, _port in flows}) == 3 and len(set(flows)) == 300
    assert all(client[0] == 198 and client[1] in (18, 19) for client, _port in flows)  # 198.18.0.0/15
