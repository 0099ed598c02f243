"""ansible-builder turns the collection's Decision Environment definition and the execution
environment docs/awx.md tells users to write into build contexts (docs/eda.md, "Under AWX /
EDA controller"; docs/awx.md). ``ansible-builder create`` needs no container engine: each
test checks what the image would be built from, and that the collection brings what the
images need (its ``meta/execution-environment.yml``, as ``ansible-builder introspect`` reads it)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
import yaml
from ansible_collections.vpp.maglev.tests.helpers.paths import COLLECTIONS, ROOT
from packaging.version import Version

pytestmark = pytest.mark.integration

BUILDER = ROOT / ".venv" / "bin" / "ansible-builder"
DECISION_ENVIRONMENT = ROOT / "extensions" / "eda" / "decision-environment.yml"
EVENT_SOURCES = ROOT / "extensions" / "eda" / "plugins" / "event_source"


def builder(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BUILDER), *args], cwd=str(cwd), capture_output=True, text=True, timeout=120, check=False)


def create(definition: Path, context: Path) -> Dict[str, str]:
    """``ansible-builder create`` into ``context``: {relative path: text} of what it wrote."""
    done = builder(
        "create", "-f", str(definition), "-c", str(context), "--output-filename", "Containerfile", cwd=context.parent
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Complete! The build context can be found at: %s" % context in done.stdout
    return {
        str(path.relative_to(context)): path.read_text()
        for path in context.rglob("*")
        if path.is_file() and "scripts" not in path.parts
    }


def dev_pins() -> Dict[str, str]:
    """{name: "name==version"} of requirements-dev.txt, where the tests take their tools."""
    lines = (ROOT / "requirements-dev.txt").read_text().splitlines()
    return {line.split("==")[0]: line.strip() for line in lines if "==" in line and not line.startswith("#")}


def ee_from_awx_docs() -> str:
    """The execution-environment.yml docs/awx.md shows: what users copy, so it must build."""
    text = (ROOT / "docs" / "awx.md").read_text()
    blocks = re.findall(r"```yaml\n(# execution-environment\.yml.*?)```", text, re.S)
    assert len(blocks) == 1, "docs/awx.md must show one execution-environment.yml"
    return blocks[0]


def test_the_decision_environment_builds_a_context_with_the_collection_rulebook_and_java(tmp_path):
    files = create(DECISION_ENVIRONMENT, tmp_path / "de")
    assert sorted(files) == [
        "Containerfile",
        "_build/bindep.txt",
        "_build/requirements.txt",
        "_build/requirements.yml",
    ]
    assert yaml.safe_load(files["_build/requirements.yml"]) == {
        "collections": [{"name": "vpp.maglev", "version": ">=1.0.0"}]
    }
    # The rule engine and the Java 17 runtime it runs on, at the versions the tests run
    # (requirements-dev.txt); the event source itself needs nothing more (below).
    pins = dev_pins()
    assert files["_build/requirements.txt"].split() == [pins["ansible-rulebook"]]
    assert files["_build/bindep.txt"].strip() == "java-17-openjdk-headless [platform:rpm]"
    containerfile = files["Containerfile"]
    assert 'ARG EE_BASE_IMAGE="registry.access.redhat.com/ubi9/python-311:latest"' in containerfile
    assert 'ARG ANSIBLE_INSTALL_REFS="ansible-core>=2.17 %s"' % pins["ansible-runner"] in containerfile
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    # The collection's own dependencies are added at build time, from its meta/execution-environment.yml.
    assert "introspect.py introspect --user-pip=requirements.txt --user-bindep=bindep.txt" in containerfile
    assert "USER 1000" in containerfile


def test_the_execution_environment_of_the_awx_docs_installs_the_collection_the_decision_environment_does(tmp_path):
    definition = tmp_path / "execution-environment.yml"
    definition.write_text(ee_from_awx_docs())
    files = create(definition, tmp_path / "ee")
    assert sorted(files) == ["Containerfile", "_build/requirements.yml"]  # no pip or bindep list of its own
    containerfile = files["Containerfile"]
    assert 'ARG EE_BASE_IMAGE="quay.io/ansible/awx-ee:latest"' in containerfile
    assert "ansible-galaxy collection install" in containerfile and "introspect.py introspect" in containerfile
    # One collection release in both images: the rulebook's event source and the job
    # templates' playbooks come from the same vpp.maglev, which this checkout satisfies.
    wanted = yaml.safe_load(files["_build/requirements.yml"])["collections"]
    decision = yaml.safe_load(DECISION_ENVIRONMENT.read_text())["dependencies"]["galaxy"]["collections"]
    assert wanted == decision == [{"name": "vpp.maglev", "version": ">=1.0.0"}]
    assert Version(yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]) >= Version("1.0.0")

    # What the build's introspect step adds from the installed collection: tar and gzip (the
    # maglevd role packs the daemon's code); PyYAML comes with ansible-core, so it is not added.
    done = builder("introspect", "--sanitize", str(COLLECTIONS), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert yaml.safe_load(done.stdout) == {
        "python": [],
        "system": [
            "tar [platform:rpm platform:dpkg]  # from collection vpp.maglev",
            "gzip [platform:rpm platform:dpkg]  # from collection vpp.maglev",
        ],
    }


def test_the_event_source_needs_nothing_the_decision_environment_lacks():
    # The DE adds no Python package for the event source: it may import only the standard
    # library and the collection itself (docs/eda.md).
    sources = sorted(path for path in EVENT_SOURCES.glob("*.py") if path.name != "__init__.py")
    assert sources, "no event source plugin in %s" % EVENT_SOURCES
    for source in sources:
        for module in imported_modules(source):
            top = module.split(".")[0]
            assert top in sys.stdlib_module_names or module.startswith("ansible_collections.vpp.maglev"), (
                source.name,
                module,
            )


def imported_modules(source: Path) -> list:
    """Absolute module names ``source`` imports (relative imports stay inside the collection)."""
    names = []
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names
