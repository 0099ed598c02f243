#!/usr/bin/env bash
# The README's test command: set everything up, then run every check CI runs.
#   lint (ruff, ansible-lint production, changelog), ansible-test sanity, galaxy-importer on
#   the built tarball, then pytest
#   (unit + integration: Ansible -> modules -> vpp_papi -> vppsim, maglevd -> probes -> servers).
#   --quick: daily work - ruff and pytest only (the packaging checks, ansible-lint, sanity and
#   galaxy-importer, take most of the time and rarely change with the code). Any other
#   arguments go to pytest, e.g. `bash scripts/test.sh --quick tests/unit`.
set -euo pipefail
quick=0
if [ "${1:-}" = "--quick" ]; then
    quick=1
    shift
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections"

step() { echo "== $1 ($(date +%T), ${SECONDS}s)"; }
step ruff
ruff check .
ruff format --check .
step "code shape (function, class and file sizes)"
python scripts/check_shape.py
if [ "$quick" = 0 ]; then
    step "antsibull-changelog lint"
    antsibull-changelog lint
    step "ansible-lint (production profile)"
    ansible-lint --profile production --offline
    step "ansible-test sanity"
    bash scripts/sanity.sh
    step "galaxy-importer (built tarball)"
    bash scripts/galaxy-import.sh
fi
step "pytest"
exec python -m pytest -p no:cacheprovider -n 2 "$@"
