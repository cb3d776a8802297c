#!/usr/bin/env bash
# Proves packages are publishable on their own: `pack-check.sh core` builds @sluice/core, `pnpm pack`s it,
# checks the tarball ships dist/ (JS + .d.ts), src/ (what source maps and the `sluice-source` condition point
# at), package.json, README and LICENSE but no tests, installs
# it with npm into an empty folder (no workspace, no hoisting) and imports it there: an app answers a real
# HTTP request. `pack-check.sh cgi` does the same for @sluice/cgi (with core's tarball as its peer) twice:
# with a C compiler the install builds the native spawn helper and programs run through it; without one
# (CC names no program) the install says so in one line and the Python helper runs them.
# `pack-check.sh websocket` packs @sluice/websocket with core and echoes a message through it with the ws client.
# Prints "pack-check <package> ok" on success; any failure exits non-zero.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/sluice-pack-XXXXXX")"
trap 'rm -rf "$work"' EXIT

fail() { echo "pack-check: $*" >&2; exit 1; }

# pack <package dir>: builds and packs it into $work; prints the tarball's path.
pack() {
  (cd "$root/packages/$1" && pnpm run build >/dev/null 2>&1 && pnpm pack --pack-destination "$work/$1" >/dev/null 2>&1)
  local tarball
  tarball="$(ls "$work/$1"/*.tgz 2>/dev/null | head -n1)"
  [ -f "$tarball" ] || fail "no tarball produced for $1"
  echo "$tarball"
}

# expect_files <tarball> <path>...: each path is in the tarball.
expect_files() {
  local tarball=$1 listing
  shift
  listing="$(tar -tzf "$tarball")"
  for required in "$@"; do
    grep -qx "package/$required" <<<"$listing" || fail "$required missing from $(basename "$tarball")"
  done
}

# new_app <name>: an empty npm project folder; cds into it.
new_app() {
  mkdir "$work/$1"
  cd "$work/$1"
  printf '{ "name": "pack-check", "version": "1.0.0", "private": true, "type": "module" }\n' > package.json
}

check_core() {
  local tarball
  tarball="$(pack core)"
  expect_files "$tarball" package.json README.md LICENSE dist/index.js dist/index.d.ts dist/engine/parser.js src/index.ts
  if tar -tzf "$tarball" | grep -qE '^package/test/'; then
    fail "tests leaked into the tarball"
  fi

  new_app core-app
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
JS
  node check.mjs
  echo "pack-check core ok"
}

# install_cgi <name> <core tarball> <cgi tarball> [CC]: installs both in a new app and stays in it (so not in a
# subshell); CC is set when given. Prints the install's output (scripts in the foreground: build-helper's line).
install_cgi() {
  new_app "$1" >/dev/null
  if [ -n "${4:-}" ]; then
    CC="$4" npm install --no-audit --no-fund --prefer-offline --foreground-scripts --loglevel=error "$2" "$3" 2>&1
  else
    npm install --no-audit --no-fund --prefer-offline --foreground-scripts --loglevel=error "$2" "$3" 2>&1
  fi
}

# run_cgi: serves a shell CGI program through the installed package; prints the helper kind and the app's log.
run_cgi() {
  mkdir -p cgi-bin
  printf '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\npacked cgi ok"\n' > cgi-bin/hello.sh
  chmod +x cgi-bin/hello.sh
  cat > check.mjs <<'JS'
import { once } from 'node:events';
import { Application } from '@sluice/core';
import { cgi } from '@sluice/cgi';
const lines = [];
const logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
const app = new Application({ logger });
const programs = cgi({ mounts: { '/cgi-bin': './cgi-bin' } });
app.use(programs);
const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const res = await fetch(`http://127.0.0.1:${server.address().port}/cgi-bin/hello.sh`);
const text = await res.text();
await app.close(1000);
await programs.close();
if (res.status !== 200 || text !== 'packed cgi ok') throw new Error(`unexpected answer ${res.status} ${text}`);
console.log(`helper: ${programs.helperKind}`);
for (const line of lines) console.log(`log: ${line}`);
JS
  node check.mjs
}

check_cgi() {
  local core cgi out
  core="$(pack core)"
  cgi="$(pack cgi)"
  expect_files "$cgi" package.json README.md dist/index.js dist/index.d.ts dist/spawn-helper/spawn-helper.py src/spawn-helper/spawn-helper.c scripts/build-helper.mjs
  if tar -tzf "$cgi" | grep -qE '^package/(test/|dist/spawn-helper/spawn-helper$)'; then
    fail "tests or a prebuilt helper binary leaked into the @sluice/cgi tarball"
  fi

  # With a C compiler: the install builds the native helper and programs run through it.
  install_cgi cgi-with-cc "$core" "$cgi" >/dev/null
  [ -x node_modules/@sluice/cgi/dist/spawn-helper/spawn-helper ] || fail "npm install with a C compiler did not build dist/spawn-helper/spawn-helper"
  out="$(run_cgi)"
  grep -qx 'helper: native' <<<"$out" || fail "with a C compiler the native helper is not used: $out"

  # Without one: no binary, one line at install saying so, the Python helper runs programs and says why once.
  install_cgi cgi-without-cc "$core" "$cgi" /nonexistent/cc > "$work/install.log"
  out="$(cat "$work/install.log")"
  [ ! -e node_modules/@sluice/cgi/dist/spawn-helper/spawn-helper ] || fail "a helper binary appeared without a C compiler"
  [ "$(grep -c 'native spawn helper not built' <<<"$out")" -eq 1 ] || fail "the install without a C compiler did not say so in one line: $out"
  out="$(run_cgi)"
  grep -qx 'helper: python' <<<"$out" || fail "without a C compiler the Python helper is not used: $out"
  [ "$(grep -c '^log: .*native spawn helper was not built.*Python helper' <<<"$out")" -eq 1 ] || fail "no one-line notice of the Python helper at run time: $out"
  echo "pack-check cgi ok"
}

# @sluice/websocket with core's tarball as its peer: its ws and @types/ws come from the registry; a packed
# app answers a WebSocket echo to the ws client the install brought.
check_websocket() {
  local core websocket
  core="$(pack core)"
  websocket="$(pack websocket)"
  expect_files "$websocket" package.json README.md LICENSE dist/index.js dist/index.d.ts src/index.ts
  if tar -tzf "$websocket" | grep -qE '^package/test/'; then
    fail "tests leaked into the @sluice/websocket tarball"
  fi
  new_app websocket-app
  npm install --no-audit --no-fund --prefer-offline --loglevel=error "$core" "$websocket" >/dev/null
  cat > check.mjs <<'JS'
import { once } from 'node:events';
import { Application } from '@sluice/core';
import { websocket } from '@sluice/websocket';
import WebSocket from 'ws';
const app = new Application();
app.use(websocket('/echo', (socket) => socket.on('message', (data) => socket.send(`echo ${data}`))));
const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const ws = new WebSocket(`ws://127.0.0.1:${server.address().port}/echo`);
await once(ws, 'open');
ws.send('packed');
const [data] = await once(ws, 'message');
const closed = once(ws, 'close');
await app.close(1000);
const [code] = await closed;
if (String(data) !== 'echo packed' || code !== 1001) throw new Error(`unexpected answer ${data} ${code}`);
JS
  node check.mjs
  echo "pack-check websocket ok"
}

case "${1:-core}" in
  core) check_core ;;
  cgi) check_cgi ;;
  websocket) check_websocket ;;
  *) fail "usage: pack-check.sh core|cgi|websocket" ;;
esac
