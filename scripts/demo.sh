#!/usr/bin/env bash
# The README's demo command: set everything up, then converge a sample config against the
# simulator with maglevd probing three local backends, show a failover, and run a drift check.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections"
exec ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$root/.venv/bin/python" playbooks/demo.yml "$@"
