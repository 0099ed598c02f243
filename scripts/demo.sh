#!/usr/bin/env bash
# The README's demo command: set everything up, then run playbooks/demo.yml against the
# simulator: plan (check mode + diff), apply, no-op, maglevd takes over, the whole primary pool
# fails and the backup pool serves (timed), fail-back, drift check. docs/first-hour.md walks it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections"
exec ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$root/.venv/bin/python" playbooks/demo.yml "$@"
