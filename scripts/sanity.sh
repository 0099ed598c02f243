#!/usr/bin/env bash
# ansible-test sanity on a copy of the tree: ansible-test needs the collection at a real
# path ending in ansible_collections/vpp/maglev (a symlink is resolved away), and it only
# sees files git knows, so copy exactly the tracked and untracked-but-not-ignored files.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dest=.build/sanity/ansible_collections/vpp/maglev
rm -rf .build/sanity
mkdir -p "$dest"
git ls-files -co --exclude-standard -z | while IFS= read -r -d '' file; do
    [ -e "$file" ] && printf '%s\0' "$file"
done | xargs -0 cp --parents -t "$dest"
cd "$dest"
# ansible-test lists the files to test through git.
git init -q . && git add -A && git -c user.name=sanity -c user.email=sanity@localhost commit -qm sanity
"$root/.venv/bin/ansible-test" sanity --local --python 3.12 --color no "$@"
