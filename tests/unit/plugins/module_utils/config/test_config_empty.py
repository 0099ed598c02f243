"""An empty `maglev` (null: everything under it commented out, or {}) is an error, exit 2:
run as is, it would make maglevd drop every backend and vpp_lb_state overridden delete
every VIP."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.plugins.module_utils import config
from test_config_limits import check

COMMENTED_OUT = """\
maglev:
#  backends:
#    web1: {address: 10.0.0.1}
#  frontends:
#    web: {address: 192.0.2.1, port: 80, pools: [{name: main, backends: {web1: {}}}]}
"""


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (COMMENTED_OUT, "null: nothing under it, or all of it commented out"),
        ("maglev: null\n", "null: nothing under it, or all of it commented out"),
        ("maglev: {}\n", "{}"),
    ],
    ids=["commented-out", "null", "empty-mapping"],
)
def test_check_refuses_an_empty_maglev_with_exit_2(tmp_path, text, what):
    path = tmp_path / "maglev.yaml"
    path.write_text(text)
    result = check(path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "%s:1: maglev: is empty (%s); it needs at least one of healthchecker, vpp, healthchecks, backends, frontends"
        % (path, what)
    ]


def test_plain_data_with_an_empty_maglev_is_refused_too():
    for empty in (None, {}):
        with pytest.raises(config.ConfigError) as caught:
            config.parse({"maglev": empty})
        assert [issue.path for issue in caught.value.errors] == ["maglev"]
    # One section given, even with nothing in it, is a deliberate (empty) config.
    assert config.parse({"maglev": {"frontends": {}}}).frontends == {}
