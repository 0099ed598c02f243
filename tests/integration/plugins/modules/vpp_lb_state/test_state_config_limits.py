"""vpp_lb_state with a hostile or emptied maglev.yaml (ansible-playbook -> action plugin ->
module -> vpp_papi -> vppsim): a bomb in `src:` fails the task in one line naming the file
and the line (the worker used to die), and a plan that would empty the load balancer is
refused unless allow_empty."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.tests.helpers.playbook import run_playbook
from ansible_collections.vpp.maglev.tests.helpers.sample_config import state_config as config
from ansible_collections.vpp.maglev.tests.helpers.vppsim_view import sim_state, writes

pytestmark = pytest.mark.integration

BOMBS = {
    "deep.yaml": ("maglev: " + "[" * 40000 + "]" * 40000 + "\n", "deep.yaml:1:72: nesting deeper than 64 levels"),
    "merge.yaml": (
        "m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}\n"
        + "".join("m%d: &m%d {<<: [%s]}\n" % (i, i, ", ".join(["*m%d" % (i - 1)] * 8)) for i in range(1, 9))
        + "maglev: *m8\n",
        "merge.yaml:7:50: more than 5,000,000 values",
    ),
    "empty.yaml": ("maglev:\n#  frontends: {}\n", "maglev: is empty (null"),
}


def lb_state(state, **args):
    return {"vpp.maglev.vpp_lb_state": {"state": state, **args}, "ignore_errors": True}


def test_bombs_in_src_fail_the_task_in_one_line_and_touch_nothing(tmp_path, vppsim):
    tasks = []
    for name, (text, _expected) in BOMBS.items():
        (tmp_path / name).write_text(text)
        tasks.append(lb_state("overridden", src=str(tmp_path / name)))
    run = run_playbook(tmp_path, tasks, vpp=vppsim, timeout=60)
    assert "dead state" not in run.text() and "Traceback" not in run.text()
    failures = run.failed()
    assert len(failures) == len(BOMBS), run.text()[-2000:]
    for failure, (_text, expected) in zip(failures, BOMBS.values()):
        assert expected in failure["msg"], failure["msg"]
        assert len(failure["msg"]) < 400 and "\n" not in failure["msg"]
    assert writes(vppsim) == 0


def test_overridden_or_deleted_that_would_empty_the_lb_is_refused_unless_allow_empty(tmp_path, vppsim):
    assert run_playbook(tmp_path, [{"vpp.maglev.vpp_lb_state": {"state": "merged", "config": config()}}], vpp=vppsim).ok
    vips = len(sim_state(vppsim)["vips"])
    vppsim.reset_stats()
    no_frontends = config(frontends={})
    run = run_playbook(
        tmp_path,
        [
            lb_state("overridden", config=no_frontends),
            lb_state("deleted"),
            lb_state("rendered", config=no_frontends, running_state=config(), render_state="overridden"),
        ],
        vpp=vppsim,
    )
    failures = run.failed()
    assert len(failures) == 3, run.text()[-2000:]
    for failure, state in zip(failures, ("overridden", "deleted", "overridden")):
        assert failure["msg"].startswith("state %s would delete every VIP (%d: 192.0.2.10/32 tcp:80, " % (state, vips))
        assert "set allow_empty: true if that is intended" in failure["msg"]
    assert writes(vppsim) == 0 and len(sim_state(vppsim)["vips"]) == vips

    allowed = run_playbook(tmp_path, [lb_state("overridden", config=no_frontends, allow_empty=True)], vpp=vppsim)
    assert allowed.ok and allowed.last["summary"]["vips_removed"] == vips
    assert sim_state(vppsim)["vips"] == []
