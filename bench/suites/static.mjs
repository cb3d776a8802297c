// Static files: a 1 KiB file, a 1 MiB file, a 304 revalidation and a 1000-byte range,
// @sluice/static against koa-static (Koa 3), serve-static (node:http) and nginx (1 worker,
// sendfile on, access_log off) when installed. Files and nginx's config live in a temp dir;
// every server listens on a free 127.0.0.1 port. koa-static has no conditional GET and no
// ranges, so it sits out those two rows (as in shared/PERFORMANCE.md). Besides req/s, each
// row has the CPU time per request of the server's process tree (read from /proc around each
// run): on a shared machine that is the steadier figure.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVERS = fileURLToPath(new URL('../servers/', import.meta.url));
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** `pid` and all its descendants. */
function processTree(pid) {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      const children = readFileSync(`/proc/${pids[i]}/task/${pids[i]}/children`, 'utf8').trim();
      if (children) pids.push(...children.split(' ').map(Number));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** CPU clock ticks (user + system) used so far by a process tree. */
function cpuTicks(pid) {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks;
}

function nodeServer(lib, dir, name, file, env = {}) {
  return {
    name,
    async start() {
      const port = await lib.freePort();
      const server = await lib.startServer({ cmd: process.execPath, args: [join(SERVERS, file)], port, env: { PORT: String(port), STATIC_ROOT: join(dir, 'site'), ...env } });
      return { url: `http://127.0.0.1:${port}`, pid: server.pid, stop: () => server.stop() };
    },
  };
}

function nginxServer(lib, dir) {
  return {
    name: 'nginx',
    async start() {
      const port = await lib.freePort();
      const prefix = join(dir, `nginx-${port}`);
      mkdirSync(prefix);
      const temp = (what) => `${what}_temp_path ${join(prefix, what)};`;
      const conf = join(dir, `nginx-${port}.conf`);
      writeFileSync(conf, `worker_processes 1;
daemon off;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} error;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  server { listen 127.0.0.1:${port}; root ${join(dir, 'site')}; }
}
`);
      const server = await lib.startServer({ cmd: NGINX, args: ['-c', conf, '-p', dir], port });
      return { url: `http://127.0.0.1:${port}`, pid: server.pid, stop: () => server.stop() };
    },
  };
}

/** A wrk Lua script adding request headers. */
function headerScript(dir, name, headers) {
  const path = join(dir, `${name.replace(/\W/g, '_')}.lua`);
  writeFileSync(path, Object.entries(headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`).join('\n') + '\n');
  return path;
}

/** GET with node:http (fetch would add Cache-Control: no-cache to a conditional request). */
function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      res.resume().on('end', () => resolve(res));
    }).on('error', reject).end();
  });
}

/**
 * Runs one scenario: req/s rows (with ratios) and CPU µs per request. `prepare(started)` may
 * return a wrk script for that contender (request headers).
 */
async function scenario(lib, title, contenders, path, baselines, prepare = async () => undefined) {
  const pids = new Map();
  const scripts = new Map();
  const cpu = new Map();
  const wrapped = contenders.map((c) => ({
    name: c.name,
    async start() {
      const started = await c.start();
      pids.set(c.name, started.pid);
      scripts.set(c.name, await prepare(started, c.name));
      return started;
    },
  }));
  const rows = await lib.compare(wrapped, async (url, name) => {
    const before = cpuTicks(pids.get(name));
    const result = lib.wrk({ url: url + path, seconds: SECONDS, script: scripts.get(name) });
    const ticks = cpuTicks(pids.get(name)) - before;
    const requests = Number(/(\d+) requests in/.exec(result.raw)?.[1] ?? 0);
    if (requests > 0) (cpu.get(name) ?? cpu.set(name, []).get(name)).push((ticks / TICKS_PER_SECOND) * 1e6 / requests);
    return result;
  }, { rounds: ROUNDS });
  lib.report(title, rows, baselines);
  const cpuOf = (name) => lib.median(cpu.get(name) ?? []);
  console.log(`\n| server | CPU µs per request |${baselines.map((b) => ` CPU ÷ ${b}'s |`).join('')}\n|---|---|${baselines.map(() => '---|').join('')}`);
  for (const row of rows) {
    const mine = cpuOf(row.name);
    console.log(`| ${row.name} | ${Number.isNaN(mine) ? '-' : mine.toFixed(1)} |${baselines.map((b) => ` ${(mine / cpuOf(b)).toFixed(2)} |`).join('')}`);
  }
  return rows;
}

export async function run(lib) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-static-'));
  chmodSync(dir, 0o755); // nginx's worker runs as an unprivileged user
  try {
    const site = join(dir, 'site');
    mkdirSync(site);
    writeFileSync(join(site, '1k.txt'), 'x'.repeat(1023) + '\n');
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 13) & 0xff;
    writeFileSync(join(site, '1m.bin'), big);

    const sluice = nodeServer(lib, dir, 'sluice', 'static-sluice.mjs');
    const streamed = nodeServer(lib, dir, 'sluice (streamed from disk)', 'static-sluice.mjs', { STATIC_MEMORY_MAX_BYTES: '0' });
    const koa = nodeServer(lib, dir, 'koa-static', 'static-koa.mjs');
    const send = nodeServer(lib, dir, 'serve-static', 'static-serve-static.mjs');
    const nginx = NGINX ? [nginxServer(lib, dir)] : [];
    if (!NGINX) console.log('  nginx not installed: its rows are skipped');
    const withNginx = (names) => [...(NGINX ? ['nginx'] : []), ...names];

    await scenario(lib, 'static: GET 1 KiB file', [sluice, koa, send, ...nginx], '/1k.txt', withNginx(['koa-static', 'serve-static']));
    await scenario(lib, 'static: GET 1 MiB file', [sluice, streamed, koa, send, ...nginx], '/1m.bin', withNginx(['koa-static', 'serve-static']));

    // Revalidation as browsers send it: each server's own ETag and Last-Modified.
    await scenario(lib, 'static: 304 revalidation (If-None-Match + If-Modified-Since)', [sluice, send, ...nginx], '/1k.txt', withNginx(['serve-static']), async (started, name) => {
      const first = await get(`${started.url}/1k.txt`);
      const headers = { 'If-None-Match': first.headers.etag ?? '', 'If-Modified-Since': first.headers['last-modified'] ?? '' };
      const check = await get(`${started.url}/1k.txt`, headers);
      if (check.statusCode !== 304) console.log(`  ${name}: revalidation answered ${check.statusCode}, not 304`);
      return headerScript(dir, `304-${name}`, headers);
    });

    const range = headerScript(dir, 'range', { Range: 'bytes=1000-1999' });
    await scenario(lib, 'static: single range (1000 bytes of the 1 MiB file)', [sluice, send, ...nginx], '/1m.bin', withNginx(['serve-static']), async () => range);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
