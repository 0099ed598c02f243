#!/usr/bin/env bash
# Set up a development environment from a plain checkout, idempotently:
#   .venv/                                  Python 3.12 virtualenv with requirements-dev.txt
#   .build/collections/ansible_collections/vpp/maglev -> the checkout (so Ansible and
#                                           `python -m ansible_collections.vpp.maglev...` find it)
#   ~/.ansible/test/cache/get_pip_*.py      the get-pip stand-in ansible-test needs here
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

find_python() {
    local candidate
    for candidate in python3.12 /root/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# System tools the checks use: systemd-analyze (the role's unit file is verified with it),
# the shellcheck tool (ansible-test sanity skips its shellcheck test without it), man and groff
# (the man pages are rendered with `man -l`), zsh (maglevc's zsh completion is tried in it),
# a Java 17 runtime (ansible-rulebook runs its rules engine in it; docs/eda.md) and chromium
# with its chromedriver (the web dashboard's browser tests; docs/dashboard.md).
missing=""
command -v systemd-analyze >/dev/null 2>&1 || missing="$missing systemd"
command -v shellcheck >/dev/null 2>&1 || missing="$missing shellcheck"
command -v man >/dev/null 2>&1 || missing="$missing man-db"
command -v groff >/dev/null 2>&1 || missing="$missing groff-base"
command -v zsh >/dev/null 2>&1 || missing="$missing zsh"
command -v java >/dev/null 2>&1 || missing="$missing openjdk-17-jre-headless"
# The web dashboard's tests drive a real headless browser (docs/dashboard.md).
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    # shellcheck disable=SC2086  # word splitting is wanted: one package per word
    # Not fatal: without them the checks that need them (the unit-file check, sanity's shellcheck
    # test, the rulebook tests without java) are skipped, with a warning.
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null; } ||
        echo "setup: could not install$missing with apt-get; the checks that need them will be skipped" >&2
fi

if [ ! -x .venv/bin/python ]; then
    python="$(find_python)" || { echo "setup: Python 3.12 or newer is needed (ansible-core 2.21)" >&2; exit 1; }
    "$python" -m venv .venv
fi
stamp=.venv/.requirements.sha
want="$(cat requirements*.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    .venv/bin/pip install --quiet --upgrade pip
    .venv/bin/pip install --quiet -r requirements-dev.txt
    echo "$want" > "$stamp"
fi

mkdir -p .build/collections/ansible_collections/vpp
ln -sfn "$root" .build/collections/ansible_collections/vpp/maglev

# ansible-test downloads get-pip.py from a host this network cannot reach; it first looks
# for a cached copy, so give it a stand-in that bootstraps pip from the standard library.
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
pip_version="$(.venv/bin/python - <<'PY'
import re, pathlib, ansible_test
text = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
match = re.search(r"pip=['\"]([\d.]+)['\"]", text)
print(match.group(1).replace(".", "_") if match else "")
PY
)"
for name in ${pip_version:+get_pip_${pip_version}.py}; do
    cat > "$cache/$name" <<'PY'
"""Stand-in for get-pip.py: bootstrap pip from ensurepip, then install what was asked."""
import ensurepip, subprocess, sys
ensurepip.bootstrap()
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--cert", "/etc/ssl/certs/ca-certificates.crt", *args])
PY
done
echo "setup: ready (.venv, .build/collections, get-pip stand-in ${pip_version:-unknown})"
