#!/usr/bin/env bash
# Build the collection tarball and run galaxy-importer on it, as Galaxy / Automation Hub
# certification does (with the required-tags check on).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out=.build/dist
rm -rf "$out"
mkdir -p "$out"
"$root/.venv/bin/ansible-galaxy" collection build --output-path "$out" . >/dev/null
tarball="$(ls "$out"/vpp-maglev-*.tar.gz)"
log="$out/import.log"
if ! (cd "$out" && CHECK_REQUIRED_TAGS=True "$root/.venv/bin/python" -m galaxy_importer.main "$(basename "$tarball")") >"$log" 2>&1; then
    cat "$log"
    exit 1
fi
if grep -E "WARNING|ERROR" "$log"; then
    echo "galaxy-importer: warnings or errors on $tarball (full log: $log)" >&2
    exit 1
fi
echo "galaxy-importer: $(tail -n 1 "$log") ($tarball)"
