"""The guards of the writing modules against a real maglevd and another writer:

- a maglevd that exists but does not answer (SIGSTOP) fails the guard; it is not "no maglevd";
- vpp_lb_state health assume_up is refused where maglevd manages the VIPs it would change;
- a writer waits for the writer lock held by another, then fails naming the holder's pid;
  readers (check mode, vpp_lb_info, gathered) never wait for it;
- two vpp_lb_state runs at once leave one state or the other, never a mix.
"""

from __future__ import annotations

import os
import signal
import threading

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import writer_lock
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import sim_vips

pytestmark = pytest.mark.integration


def backend(**args):
    return {"vpp.maglev.vpp_lb_backend": dict({"vip": "192.0.2.1/32", "protocol": "tcp", "port": 80}, **args)}


def setup(socket):
    backends = [{"address": "10.0.0.1"}, {"address": "10.0.0.2"}]
    args = {"vip": "192.0.2.1/32", "protocol": "tcp", "port": 80, "backends": backends, "maglevd_socket": socket}
    return {"vpp.maglev.vpp_lb_frontend": dict(args, force=True)}


def test_a_stopped_maglevd_fails_the_guard_instead_of_counting_as_absent(tmp_path, vppsim, maglevd):
    socket, proc = maglevd.socket, maglevd.proc
    first = run_playbook(tmp_path, [setup(socket)], vpp=vppsim)
    assert first.ok, first.stdout
    writes = vppsim.stats()["writes"]
    proc.send_signal(signal.SIGSTOP)  # the socket exists, the kernel accepts, nobody answers
    try:
        drain = dict(address="10.0.0.2", state="drained", maglevd_socket=socket, timeout=1)
        tasks = [dict(backend(**drain), ignore_errors=True), backend(force=True, **drain)]
        run = run_playbook(tmp_path, tasks, vpp=vppsim)
    finally:
        proc.send_signal(signal.SIGCONT)
    assert len(run.entries) == 2, run.text()
    refused, forced = run.entries
    assert refused["status"] == "failed"
    message = refused["result"]["msg"]
    assert message.startswith("maglevd at %s is not answering: no reply within 1.0s" % socket), message
    assert "pass force: true to write anyway" in message and "nothing was changed" in message
    assert forced["status"] == "ok" and forced["result"]["changed"]
    assert vppsim.stats()["writes"] == writes + 1  # only the forced drain wrote


def state_config(weight):
    return {
        "maglev": {
            "vpp": {"lb": {"ipv4-src-address": "192.0.2.254"}},
            "backends": {"b1": {"address": "10.0.0.1"}},
            "frontends": {
                "web": {
                    "address": "192.0.2.1",
                    "protocol": "tcp",
                    "port": 80,
                    "pools": [{"name": "main", "backends": {"b1": {"weight": weight}}}],
                }
            },
        }
    }


def test_assume_up_is_refused_where_maglevd_manages_the_vips_unless_forced(tmp_path, vppsim, maglevd):
    socket = maglevd.socket
    task = {"vpp.maglev.vpp_lb_state": {"config": state_config(50), "state": "replaced", "maglevd_socket": socket}}
    forced = {"vpp.maglev.vpp_lb_state": dict(task["vpp.maglev.vpp_lb_state"], force=True)}
    tasks = [dict(task, ignore_errors=True), dict(task, check_mode=True, ignore_errors=True), forced]
    run = run_playbook(tmp_path, tasks, vpp=vppsim)
    refused, refused_check, applied = run.entries
    for entry in (refused, refused_check):
        assert entry["status"] == "failed"
        message = entry["result"]["msg"]
        assert message.startswith(
            "health: assume_up would overwrite the weights that the maglevd running on %s" % socket
        )
        assert "for vip 192.0.2.1/32 tcp:80; use health: maglevd" in message and "force: true" in message
    assert applied["status"] == "ok" and applied["result"]["changed"]
    assert [b["weight"] for b in sim_vips(vppsim)[0]["backends"]] == [50]


def lb_state(weight, **extra):
    args = {"config": state_config(weight), "state": "replaced", "maglevd_socket": NO_MAGLEVD}
    return {"vpp.maglev.vpp_lb_state": dict(args, **extra)}


# No maglevd on this host, whatever may listen on the default socket while the tests run.
NO_MAGLEVD = "/nonexistent/maglevd.sock"


def test_a_writer_waits_for_the_lock_then_fails_naming_the_holder_and_readers_do_not_wait(tmp_path, vppsim):
    with writer_lock.hold(vppsim.socket, 0, owner="test-holder"):
        tasks = [
            dict(lb_state(50, lock_timeout=0.5), ignore_errors=True),
            dict(lb_state(50), check_mode=True),  # default lock_timeout 60: a reader must not wait
            {"vpp.maglev.vpp_lb_info": {}},
            {"vpp.maglev.vpp_lb_state": {"state": "gathered", "maglevd_socket": NO_MAGLEVD}},
        ]
        run = run_playbook(tmp_path, tasks, vpp=vppsim)
        writes = vppsim.stats()["writes"]
    blocked, check, info, gathered = run.entries
    assert blocked["status"] == "failed"
    message = blocked["result"]["msg"]
    assert "the VPP writer lock %s.lock is held by pid %d (owner=test-holder" % (vppsim.socket, os.getpid()) in message
    assert "lock_timeout" in message
    assert writes == 0
    assert check["status"] == info["status"] == gathered["status"] == "ok"
    assert check["result"]["changed"]
    after = run_playbook(tmp_path, [lb_state(50)], vpp=vppsim)  # released: the write goes through
    assert after.ok and after.last["changed"], after.stdout


def many_vips(weight, count):
    backends = {"b1": {"address": "10.0.0.1"}, "b2": {"address": "10.0.0.2"}}
    frontends = {
        "vip%d" % index: {
            "address": "192.0.%d.%d" % (2 + index // 250, 1 + index % 250),
            "protocol": "tcp",
            "port": 80,
            "pools": [{"name": "main", "backends": {"b1": {"weight": weight}, "b2": {}}}],
        }
        for index in range(count)
    }
    lb = {"ipv4-src-address": "192.0.2.254"}
    return {"maglev": {"vpp": {"lb": lb}, "backends": backends, "frontends": frontends}}


def test_two_state_runs_at_once_leave_one_state_or_the_other_never_a_mix(tmp_path, vppsim):
    runs = {}

    def converge(name, weight):
        args = {"config": many_vips(weight, 200), "state": "merged", "maglevd_socket": NO_MAGLEVD}
        task = {"vpp.maglev.vpp_lb_state": args}
        runs[name] = run_playbook(tmp_path / name, [task], vpp=vppsim)

    # Slow VPP down so that the two applies would overlap by seconds without the lock.
    vppsim.set_fault(delay_ms=3)
    threads = [threading.Thread(target=converge, args=args) for args in (("a", 10), ("b", 90))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert runs["a"].ok and runs["b"].ok, runs["a"].stdout + runs["b"].stdout
    vips = sim_vips(vppsim)
    assert len(vips) == 200
    weights = {backend["weight"] for vip in vips for backend in vip["backends"] if backend["address"] == "10.0.0.1"}
    assert weights in ({10}, {90}), weights  # the later writer planned from the earlier one's result
    # ... and so the later run changed only weights: it saw the VIPs the earlier one created.
    later = runs["a"] if weights == {10} else runs["b"]
    assert later.last["summary"]["vips_added"] == 0
