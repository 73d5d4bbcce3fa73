#!/usr/bin/env bash
# Regenerate the dashboard's typed API client from the backend (`make api-client`), or with
# --check verify that the committed files match the backend (`make test` runs this).
# Generated: src/api/openapi.json and src/api/schema.ts (the REST API), src/api/events.json and
# src/api/events.ts (the real-time events, surgiai.web.events), src/api/roles.json
# (surgiai.auth.roles).
set -euo pipefail
frontend="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(dirname "$frontend")"
python="${PYTHON:-$repo/.venv/bin/python}"
target="$frontend/src/api"
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT

(cd "$repo" && "$python" -m surgiai.web.contract "$fresh")
# Fields with a default are optional in what the dashboard sends. Both documents are read the
# same way, so that a schema they share (MessageRead) has the same type in both.
generate() {
  "$frontend/node_modules/.bin/openapi-typescript" "$fresh/$1" \
    --default-non-nullable=false --output "$fresh/$2" --silent
}
generate openapi.json schema.ts
generate events.json events.ts

files=(openapi.json roles.json schema.ts events.json events.ts)
if [ "${1:-}" = "--check" ]; then
  stale=0
  for file in "${files[@]}"; do
    if ! diff -u --label "committed src/api/$file" --label "from the backend now" \
        "$target/$file" "$fresh/$file" >"$fresh/$file.diff" 2>&1; then
      stale=1
      echo "frontend/src/api/$file is stale:" >&2
      head -n 40 "$fresh/$file.diff" >&2
    fi
  done
  if [ "$stale" = 1 ]; then
    echo "The backend's API changed: run 'make api-client' and commit frontend/src/api/." >&2
    exit 1
  fi
  echo "API client is up to date with the backend."
else
  for file in "${files[@]}"; do cp "$fresh/$file" "$target/$file"; done
  echo "Wrote frontend/src/api/{openapi.json,roles.json,schema.ts,events.json,events.ts}."
fi
