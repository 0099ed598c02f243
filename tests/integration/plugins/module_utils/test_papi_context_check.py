"""vpp_papi's reader thread asks ``has_context`` of every message it receives; the connection
gives it a cheaper one (papi_reader.install_context_check) that must answer exactly as
vpp_papi's own does, for every message of the connection's table."""

from __future__ import annotations

import struct

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import vppclient
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.papi_reader import install_context_check
from vpp_papi import VPPApiClient

pytestmark = pytest.mark.integration


def test_the_cheaper_context_check_is_installed_and_answers_as_vpp_papi_does(vppsim):
    with vppclient.connect(vppsim.socket, api_dir=vppsim.api_dir, timeout=5) as vpp:
        papi = vpp.papi
        assert "has_context" in vars(papi)  # installed on this connection, not on the class
        assert not install_context_check(papi)  # once
        stock = VPPApiClient.has_context
        checked = 0
        for index, name in enumerate(papi.id_names):
            if name is None or papi.id_msgdef[index] is None:
                continue
            for context in (0, 1, 0xFFFFFFFF):
                message = struct.pack(">HII", index, 0, context) + bytes(32)
                assert papi.has_context(message) == stock(papi, message), name
            checked += 1
        assert checked > 50  # memclnt, vpe, vlib and lb
        runt = struct.pack(">HI", 1, 0)
        assert papi.has_context(runt) is stock(papi, runt) is False
        vpp.call("control_ping")  # and the connection works with it
