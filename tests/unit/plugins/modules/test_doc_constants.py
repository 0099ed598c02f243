"""Constants the modules' docs repeat because DOCUMENTATION cannot import them: maglevd's
default control socket (maglevd_client.DEFAULT_SOCKET) and the weight range (MAX_WEIGHT).
These tests keep every mention equal to the one definition."""

from __future__ import annotations

import importlib
import pathlib
import re

import pytest
import yaml
from ansible_collections.vpp.maglev.plugins.doc_fragments.vpp import ModuleDocFragment
from ansible_collections.vpp.maglev.plugins.module_utils import common, maglevd_client, vpp_lb_state_runner
from ansible_collections.vpp.maglev.plugins.module_utils.operator_actions import BY_MODULE_STATE
from ansible_collections.vpp.maglev.plugins.module_utils.rules.pool import DEFAULT_WEIGHT
from ansible_collections.vpp.maglev.plugins.module_utils.weights import MAX_WEIGHT

MODULES_DIR = pathlib.Path(common.__file__).resolve().parents[1] / "modules"
MODULES = sorted(path.stem for path in MODULES_DIR.glob("*.py") if not path.name.startswith("_"))
SOCKET_PATH = re.compile(r"/[^\s`'\")]*maglevd\.sock")


def documentation(name):
    return importlib.import_module("ansible_collections.vpp.maglev.plugins.modules.%s" % name).DOCUMENTATION


DOCS = {name: documentation(name) for name in MODULES}
DOCS.update(
    {"doc_fragments.vpp": ModuleDocFragment.DOCUMENTATION, "doc_fragments.vpp.maglevd": ModuleDocFragment.MAGLEVD}
)


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_socket_path_in_the_docs_is_the_default(name):
    assert set(SOCKET_PATH.findall(DOCS[name])) <= {maglevd_client.DEFAULT_SOCKET}


@pytest.mark.parametrize("name", sorted(DOCS))
def test_every_documented_maglevd_socket_default_is_the_default(name):
    options = (yaml.safe_load(DOCS[name]) or {}).get("options") or {}
    if "maglevd_socket" in options and "default" in options["maglevd_socket"]:
        assert options["maglevd_socket"]["default"] == maglevd_client.DEFAULT_SOCKET


def test_the_socket_is_documented_where_the_modules_take_it():
    documented = [name for name in DOCS if maglevd_client.DEFAULT_SOCKET in DOCS[name]]
    assert {"maglev_backend", "vpp_lb_state", "doc_fragments.vpp.maglevd"} <= set(documented)


def test_every_argument_spec_defaults_to_the_one_constant(monkeypatch):
    specs = [common.MAGLEVD_SPEC, vpp_lb_state_runner.argument_spec()]
    backend = importlib.import_module("ansible_collections.vpp.maglev.plugins.modules.maglev_backend")
    recorded = {}
    monkeypatch.setattr(backend, "run_module", lambda rules, task, **kwargs: recorded.update(kwargs))
    backend.main()
    specs.append(recorded["argument_spec"])
    assert [spec["maglevd_socket"]["default"] for spec in specs] == [maglevd_client.DEFAULT_SOCKET] * 3


def test_maglev_backend_documents_the_weight_range_and_the_tables_states():
    options = yaml.safe_load(DOCS["maglev_backend"])["options"]
    assert "0-%d" % MAX_WEIGHT in options["weight"]["description"]
    assert sorted(options["state"]["choices"]) == sorted(BY_MODULE_STATE)


def test_vpp_lb_frontend_documents_the_default_weight():
    weight = yaml.safe_load(DOCS["vpp_lb_frontend"])["options"]["backends"]["suboptions"]["weight"]
    assert weight["default"] == DEFAULT_WEIGHT and "0-%d" % MAX_WEIGHT in weight["description"][0]
