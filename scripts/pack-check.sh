#!/usr/bin/env bash
# Proves @sluice/core is publishable on its own: builds it, `pnpm pack`s it, checks the
# tarball ships dist/ (JS + .d.ts), src/ (what source maps and the `sluice-source` condition
# point at), package.json, README and LICENSE but no tests, installs
# it with npm into an empty folder (no workspace, no hoisting) and imports it there: an app
# answers a real HTTP request. Prints "pack-check ok" on success; any failure exits non-zero.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/sluice-pack-XXXXXX")"
trap 'rm -rf "$work"' EXIT

cd "$root/packages/core"
pnpm run build >/dev/null
tarball="$(pnpm pack --pack-destination "$work" 2>/dev/null | grep -E '\.tgz$' | tail -n1)"
[ -f "$tarball" ] || tarball="$work/$(ls "$work" | grep -E '\.tgz$' | head -n1)"
[ -f "$tarball" ] || { echo "pack-check: no tarball produced" >&2; exit 1; }

listing="$(tar -tzf "$tarball")"
for required in package/package.json package/README.md package/LICENSE package/dist/index.js package/dist/index.d.ts package/dist/engine/parser.js package/src/index.ts; do
  grep -qx "$required" <<<"$listing" || { echo "pack-check: $required missing from the tarball" >&2; exit 1; }
done
if grep -qE '^package/test/' <<<"$listing"; then
  echo "pack-check: tests leaked into the tarball" >&2
  exit 1
fi

mkdir "$work/app"
cd "$work/app"
printf '{ "name": "pack-check", "version": "1.0.0", "private": true, "type": "module" }\n' > package.json
npm install --no-audit --no-fund --prefer-offline --loglevel=error "$tarball" >/dev/null
cat > check.mjs <<'JS'
import { once } from 'node:events';
import { Application, SluiceError } from '@sluice/core';
const app = new Application();
app.use((ctx) => { ctx.body = 'packed ok'; });
const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const res = await fetch(`http://127.0.0.1:${server.address().port}/`);
const text = await res.text();
await app.close(1000);
if (res.status !== 200 || text !== 'packed ok') throw new Error(`unexpected answer ${res.status} ${text}`);
if (!(new SluiceError(400, 'X', 'y') instanceof Error)) throw new Error('SluiceError is not an Error');
console.log('pack-check ok');
JS
node check.mjs
