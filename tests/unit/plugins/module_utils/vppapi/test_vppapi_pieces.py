"""The VPP client's smaller pieces without a VPP: the wire layouts, the reader thread's
liveness seqlock, feature detection's message, the reader over scripted rows."""

from __future__ import annotations

import ipaddress
from types import SimpleNamespace

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.vpp_errors import VppFeatureError
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi import features, reader, wire
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.papi_reader import PapiReaderThread


@pytest.mark.parametrize("name", sorted(wire.LAYOUTS))
def test_every_layout_names_each_field(name):
    layout = wire.LAYOUTS[name]
    row = layout.struct.unpack(bytes(layout.struct.size))
    assert len(row) == len(layout.fields) == len(set(layout.fields))


class Thread:
    def __init__(self, alive: bool) -> None:
        self.alive = alive

    def is_alive(self) -> bool:
        return self.alive


def test_liveness_counts_a_pause_as_alive_and_a_broken_connection_as_dead():
    state = {"broken": False}
    transport = SimpleNamespace(message_thread=Thread(True))
    reader_thread = PapiReaderThread(SimpleNamespace(transport=transport), lambda: state["broken"])
    assert reader_thread.alive()
    transport.message_thread.alive = False
    assert not reader_thread.alive()  # VPP went away
    reader_thread.begin_pause()
    assert reader_thread.alive()  # stopped on purpose
    reader_thread.end_pause()
    assert not reader_thread.alive()
    transport.message_thread.alive = True
    state["broken"] = True
    assert not reader_thread.alive()


def test_a_pause_needs_a_running_reader_on_an_open_socket():
    transport = SimpleNamespace(message_thread=Thread(True), socket=object(), sque=0, q=0, msg_thread_func=0)
    papi = SimpleNamespace(transport=transport)
    assert not PapiReaderThread(papi, lambda: False).pausable()  # no socket_index
    transport.socket_index = 1
    assert PapiReaderThread(papi, lambda: False).pausable()
    transport.message_thread.alive = False
    assert not PapiReaderThread(papi, lambda: False).pausable()


def test_feature_error_names_what_is_missing():
    connection = SimpleNamespace(
        api=SimpleNamespace(lb_conf=1), lb_file_version="1.1.0", api_socket="/s.sock", api_dir="/api"
    )
    with pytest.raises(VppFeatureError) as caught:
        features.check_features(connection, lambda: {"version": "24.10"})
    error = caught.value
    assert "lb_vip_dump" in error.missing and error.found["vpp_version"] == "24.10"
    assert "no lb plugin API" in str(error) and "version 1.1.0" in str(error)
    complete = SimpleNamespace(api=SimpleNamespace(**{n: 1 for n in features.REQUIRED_MESSAGES}))
    features.check_features(complete, lambda: pytest.fail("show_version is asked only when something is missing"))


def test_the_reader_reads_rows_by_name_and_skips_lingering_ones():
    un = ipaddress.IPv4Address("192.0.2.1").packed + wire.IP4_PAD
    as_un = ipaddress.IPv4Address("10.0.0.1").packed + wire.IP4_PAD
    gone_un = ipaddress.IPv4Address("10.0.0.2").packed + wire.IP4_PAD
    rows = {
        "lb_vip_details": [(0, 0, 0, un, 32, 6, 80, 0, 0, 0, 0, 1024)],
        "lb_as_v2_details": [
            (0, 0, 0, un, 32, 6, 80, 0, as_un, 1, 0, 40, 512),
            (0, 0, 0, un, 32, 6, 80, 0, gone_un, 0, 0, 100, 0),  # lingering
        ],
    }
    conf = SimpleNamespace(
        retval=0, ip4_src_address="0.0.0.0", ip6_src_address="::", sticky_buckets_per_core=1024, flow_timeout=40
    )
    lb = reader.LbReader(lambda name, **kwargs: conf, lambda name, details: rows[details], False)
    state, buckets = lb.read()
    key = VipKey.make("192.0.2.1/32", "tcp", 80)
    address = ipaddress.ip_address("10.0.0.1")
    assert state.vips[key].ases == {address: 40} and buckets == {key: {address: 512}}
