"""The simulator's call log: numbered entries, JSON arguments, waiters woken by a match."""

from __future__ import annotations

import asyncio

from ansible_collections.vpp.maglev.vppsim.calllog import CallLog, jsonable

PFX = {"address": {"af": 0, "un": bytes([192, 0, 2, 7]) + bytes(12)}, "len": 24}


def test_entries_are_numbered_and_keep_the_arguments_as_sent():
    log = CallLog(size=2)
    log.record("lb_conf", {"_vl_msg_id": 1000, "client_index": 5, "ip4_src_address": bytes([10, 0, 0, 1])}, 0, 5)
    log.record("lb_add_del_vip", {"pfx": PFX, "port": 80}, -81, 5)
    log.record("<restart>", {}, None, 0, answered=False)
    assert [entry["seq"] for entry in log.entries] == [2, 3]  # the oldest fell out
    vip, restart = log.entries
    assert vip["args"] == {"pfx": "192.0.2.7/24", "port": 80} and vip["retval"] == -81
    assert restart["answered"] is False and log.seq == 3


def test_jsonable_shows_addresses_as_text_and_other_bytes_as_hex():
    assert jsonable({"af": 1, "un": bytes(15) + b"\x01"}) == "::1"
    assert jsonable(bytes([10, 0, 0, 1]), "ip4_src_address") == "10.0.0.1"
    assert jsonable(b"\x01\x02") == "0102"
    assert jsonable([{"af": 0, "un": bytes([10, 0, 0, 2]) + bytes(12)}]) == ["10.0.0.2"]


def test_a_waiter_is_woken_by_the_first_matching_call():
    async def scenario():
        log = CallLog()
        future = asyncio.get_running_loop().create_future()
        log.waiters.append((lambda entry: entry["message"] == "lb_as_set_weight", future))
        log.record("lb_conf", {}, 0, 1)
        assert not future.done()
        log.record("lb_as_set_weight", {"weight": 0}, 0, 1)
        return await future

    assert asyncio.run(scenario())["seq"] == 2
