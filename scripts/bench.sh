#!/usr/bin/env bash
# Run every benchmark (after scripts/setup.sh). Each prints its figures, the baseline it
# measured in the same run, and the issue's target. Not part of the test command: speed is
# measured here, never asserted in tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh >/dev/null
export PYTHONPATH="$root/.build/collections"
export ANSIBLE_COLLECTIONS_PATH="$root/.build/collections"
export PATH="$root/.venv/bin:$PATH"
missed=""
for bench in bench_planner bench_vppsim bench_probes bench_failover bench_restore bench_state bench_vppclient bench_config_load bench_fleet_filter bench_fleet bench_dashboard bench_metrics; do
    echo "===== bench/$bench.py"
    # A benchmark that misses its target exits non-zero; run the rest and report it at the end.
    python "bench/$bench.py" || missed="$missed $bench"
done
if [ -n "$missed" ]; then
    echo "bench: missed a target or failed:$missed" >&2
    exit 1
fi
