// Static files: a 1 KiB file, a 1 MiB file, a 304 revalidation and a 1000-byte range,
// @sluice/static against koa-static (Koa 3), serve-static (node:http) and nginx (1 worker,
// sendfile on, access_log off) when installed. Files and nginx's config live in a temp dir;
// every server listens on a free 127.0.0.1 port. koa-static has no conditional GET and no
// ranges, so it sits out those two rows (as in shared/PERFORMANCE.md).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVERS = fileURLToPath(new URL('../servers/', import.meta.url));
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function nodeServer(lib, dir, name, file, env = {}) {
  return {
    name,
    async start() {
      const port = await lib.freePort();
      const server = await lib.startServer({ cmd: process.execPath, args: [join(SERVERS, file)], port, env: { PORT: String(port), STATIC_ROOT: join(dir, 'site'), ...env } });
      return { url: `http://127.0.0.1:${port}`, stop: () => server.stop() };
    },
  };
}

function nginxServer(lib, dir) {
  return {
    name: 'nginx',
    async start() {
      const port = await lib.freePort();
      const prefix = join(dir, `nginx-${port}`);
      const conf = join(dir, `nginx-${port}.conf`);
      mkdirSync(prefix);
      const temp = (what) => `${what}_temp_path ${join(prefix, what)};`;
      writeFileSync(conf, `worker_processes 1;
daemon off;
pid ${join(dir, `nginx-${port}.pid`)};
error_log ${join(dir, `nginx-${port}.log`)} error;
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
      return { url: `http://127.0.0.1:${port}`, stop: () => server.stop() };
    },
  };
}

/** A wrk Lua script adding request headers. */
function headerScript(dir, name, headers) {
  const path = join(dir, `${name}.lua`);
  writeFileSync(path, Object.entries(headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`).join('\n') + '\n');
  return path;
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
    const koa = nodeServer(lib, dir, 'koa-static', 'static-koa.mjs');
    const send = nodeServer(lib, dir, 'serve-static', 'static-serve-static.mjs');
    const nginx = NGINX ? [nginxServer(lib, dir)] : [];
    if (!NGINX) console.log('  nginx not installed: its rows are skipped');
    const baselines = [...(NGINX ? ['nginx'] : []), 'koa-static', 'serve-static'];
    const load = (path, scripts = {}) => (url, name) => lib.wrk({ url: url + path, seconds: SECONDS, script: scripts[name] });

    lib.report('static: GET 1 KiB file', await lib.compare([sluice, koa, send, ...nginx], load('/1k.txt'), { rounds: ROUNDS }), baselines);

    const streamed = nodeServer(lib, dir, 'sluice (streamed from disk)', 'static-sluice.mjs', { STATIC_MEMORY_MAX_BYTES: '0' });
    lib.report('static: GET 1 MiB file', await lib.compare([sluice, streamed, koa, send, ...nginx], load('/1m.bin'), { rounds: ROUNDS }), baselines);

    // Revalidation as browsers send it: the server's own ETag and Last-Modified.
    const revalidating = [sluice, send, ...nginx].map((contender) => ({
      name: contender.name,
      async start() {
        const started = await contender.start();
        const res = await fetch(`${started.url}/1k.txt`);
        await res.arrayBuffer();
        const headers = { 'If-None-Match': res.headers.get('etag') ?? '', 'If-Modified-Since': res.headers.get('last-modified') ?? '' };
        // node:http, not fetch: fetch adds Cache-Control: no-cache to conditional requests.
        const status = await new Promise((resolve, reject) => {
          request(`${started.url}/1k.txt`, { headers }, (r) => r.resume().on('end', () => resolve(r.statusCode))).on('error', reject).end();
        });
        if (status !== 304) console.log(`  ${contender.name}: revalidation answered ${status}, not 304`);
        return { ...started, script: headerScript(dir, `304-${contender.name}`, headers) };
      },
    }));
    const scripts = {};
    const rows304 = await lib.compare(
      revalidating.map((c) => ({ name: c.name, start: async () => { const s = await c.start(); scripts[c.name] = s.script; return s; } })),
      (url, name) => lib.wrk({ url: url + '/1k.txt', seconds: SECONDS, script: scripts[name] }),
      { rounds: ROUNDS },
    );
    lib.report('static: 304 revalidation (If-None-Match + If-Modified-Since)', rows304, baselines.filter((b) => b !== 'koa-static'));

    const range = headerScript(dir, 'range', { Range: 'bytes=1000-1999' });
    const rangeRows = await lib.compare([sluice, send, ...nginx], (url) => lib.wrk({ url: url + '/1m.bin', seconds: SECONDS, script: range }), { rounds: ROUNDS });
    lib.report('static: single range (1000 bytes of the 1 MiB file)', rangeRows, baselines.filter((b) => b !== 'koa-static'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
