// HTTP/2 suite: sluice (h2 by ALPN over TLS, and h2c) against node:http2's core API (a bare
// stream handler: the baseline), Fastify 5 with `http2: true`, and nginx (1 worker, `http2`,
// access_log off) when installed, on hello and a static 1 KiB file, with h2load: 10 connections ×
// 10 concurrent streams, server pinned to CPU 0, h2load to CPU 1. Targets (issue 18): hello ≥ 1.2×
// Fastify; static 1 KiB ≥ 0.8× nginx.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const servers = new URL('../servers/', import.meta.url);
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const KEY = fileURLToPath(new URL('../../test/server/fixtures/tls/key.pem', import.meta.url));
const CERT = fileURLToPath(new URL('../../test/server/fixtures/tls/cert.pem', import.meta.url));

function nodeServer(lib, name, file, scenario, tls, root) {
  return {
    name,
    async start() {
      const port = await lib.freePort();
      const server = await lib.startServer({
        cmd: process.execPath,
        args: [new URL(file, servers).pathname],
        env: { PORT: String(port), SCENARIO: scenario, TLS: tls ? '1' : '0', KEY, CERT, ROOT: root, NODE_ENV: 'production' },
        cwd: new URL('..', import.meta.url).pathname,
        port,
      });
      return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`, stop: server.stop, pid: server.pid };
    },
  };
}

function nginxServer(lib, dir, tls, root) {
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
  keepalive_requests 1000000;
  http2_max_requests 1000000;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  server {
    listen 127.0.0.1:${port}${tls ? ' ssl' : ''} http2;
    ${tls ? `ssl_certificate ${CERT};\n    ssl_certificate_key ${KEY};` : ''}
    root ${root};
    location = / { default_type text/plain; return 200 "Hello, World!"; }
  }
}
`);
      const server = await lib.startServer({ cmd: NGINX, args: ['-c', conf, '-p', dir], port });
      return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`, pid: server.pid, stop: () => server.stop() };
    },
  };
}

export async function run(lib) {
  if (!lib.have('h2load')) {
    console.log('  h2load not installed (apt-get install nghttp2-client): suite skipped');
    return;
  }
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-http2-'));
  const root = join(dir, 'site');
  mkdirSync(root);
  writeFileSync(join(root, '1k.txt'), 'x'.repeat(1024));
  chmodSync(dir, 0o755); // nginx's worker runs as an unprivileged user
  if (!NGINX) console.log('  nginx not installed: its rows are skipped');
  for (const tls of [true, false]) {
    const transport = tls ? 'h2 over TLS' : 'h2c';
    for (const [scenario, path, title] of [['hello', '/', 'hello'], ['static', '/1k.txt', 'static 1 KiB']]) {
      const contenders = [
        nodeServer(lib, 'sluice', 'http2-sluice.mjs', scenario, tls, root),
        nodeServer(lib, 'node:http2', 'http2-node.mjs', scenario, tls, root),
        nodeServer(lib, 'fastify', 'http2-fastify.mjs', scenario, tls, root),
        ...(NGINX ? [nginxServer(lib, dir, tls, root)] : []),
      ];
      const load = (url, _name, { warmup = false } = {}) => lib.h2load({ url: url + path, clients: 10, streams: 10, seconds: warmup ? 1 : seconds });
      lib.report(`${title}, ${transport} (h2load -c10 -m10)`, await lib.compare(contenders, load, { rounds, warmup: true }), ['node:http2', 'fastify', ...(NGINX ? ['nginx'] : [])]);
    }
  }
}
