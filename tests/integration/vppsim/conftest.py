"""One simulator per module (restarted empty before each test) and vpp_papi client factories."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.vppsim.harness import API_DIR, VppSim
from vpp_papi import VPPApiClient


@pytest.fixture(scope="module")
def module_sim(tmp_path_factory):
    with VppSim(tmp_path_factory.mktemp("vppsim")) as sim:
        yield sim


@pytest.fixture
def sim(module_sim):
    module_sim.clear_faults()
    module_sim.restart()
    module_sim.reset_stats()
    return module_sim


@pytest.fixture
def connect():
    """connect(sim, bootstrap=False, read_timeout=5) -> a connected VPPApiClient."""
    clients = []

    def _connect(target, bootstrap=False, read_timeout=5, name="pytest"):
        if bootstrap:
            client = VPPApiClient(bootstrapapi=True, server_address=target.socket, read_timeout=read_timeout)
        else:
            client = VPPApiClient(apidir=str(API_DIR), server_address=target.socket, read_timeout=read_timeout)
        client.connect(name)
        clients.append(client)
        return client

    yield _connect
    for client in clients:
        try:
            client.disconnect()
        except Exception:  # the simulator may already have dropped it; nothing to clean
            pass


@pytest.fixture
def vpp(sim, connect):
    return connect(sim)
