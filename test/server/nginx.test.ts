/**
 * The deployment the README documents, for real: two sluice instances behind nginx
 * as a reverse proxy (plain and TLS-terminating), `proxy: true` trusting nginx's
 * address only. Checks the client address and scheme the app (a JS endpoint and a
 * WSGI app) sees, and that a client connecting directly cannot forge them.
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { freePort, repoRoot, startSluice, tempSite, until, type Reply } from './helpers.js';

const nginxBin = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
const fixtures = path.join(repoRoot, 'test/server/fixtures');
const endpoints = path.join(fixtures, 'endpoints.config.mjs');
/** The test client connects from this loopback address, so it differs from nginx's (127.0.0.1). */
const clientAddress = '127.0.0.5';

/** A request from `clientAddress` on a fresh connection, accepting the test's self-signed certificate. */
function requestFrom(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(target, { headers, agent: false, localAddress: clientAddress, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => (body += s));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Starts nginx from a generated config (pid, logs and temp paths in a temp dir, `daemon off`); stopped at teardown. */
async function startNginx(t: ExecutionContext, upstreams: number[]): Promise<{ http: string; https: string }> {
  const dir = tempSite(t, { 'logs/': '', 'tmp/': '' });
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const proxied = `
      proxy_pass http://sluice;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;`;
  writeFileSync(`${dir}/nginx.conf`, `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 128; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  upstream sluice {
    ${upstreams.map((port) => `server 127.0.0.1:${port};`).join('\n    ')}
    keepalive 8;
  }
  server {
    listen 127.0.0.1:${httpPort};
    location / {${proxied}
    }
  }
  server {
    listen 127.0.0.1:${httpsPort} ssl;
    ssl_certificate ${fixtures}/tls/cert.pem;
    ssl_certificate_key ${fixtures}/tls/key.pem;
    location / {${proxied}
    }
  }
}
`);
  const nginx = spawn(nginxBin, ['-p', dir, '-c', `${dir}/nginx.conf`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  nginx.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  t.teardown(async () => {
    if (nginx.exitCode === null) {
      nginx.kill('SIGTERM');
      await once(nginx, 'exit');
    }
  });
  const urls = { http: `http://127.0.0.1:${httpPort}`, https: `https://127.0.0.1:${httpsPort}` };
  await until(() => nginx.exitCode !== null || existsSync(`${dir}/nginx.pid`), 10_000);
  if (nginx.exitCode !== null) throw new Error(`nginx did not start: ${stderr}`);
  let proxying = false;
  await until(() => proxying, 10_000, async () => {
    proxying = await requestFrom(`${urls.http}/pid`).then((r) => r.status === 200, () => false);
  });
  return urls;
}

async function proxiedSluice(t: ExecutionContext): Promise<{ direct: string; nginx: { http: string; https: string } }> {
  const dir = tempSite(t);
  const config = path.join(dir, 'sluice.config.mjs');
  writeFileSync(config, `import base from ${JSON.stringify(endpoints)};\nexport default { ...base, proxy: true, trustedProxies: ['127.0.0.1'] };\n`);
  const args = ['--config', config, '--root', dir, '--port', '0', '--wsgi', '/py=pid_app:application', '--wsgi-path', fixtures, '--wsgi-workers', '1'];
  const first = await startSluice(t, args);
  const second = await startSluice(t, args);
  const nginx = await startNginx(t, [first.port, second.port]);
  return { direct: first.url, nginx };
}

test.serial('behind nginx, the app sees the real client address and scheme', async (t) => {
  const { direct, nginx } = await proxiedSluice(t);

  const viaHttp = JSON.parse((await requestFrom(`${nginx.http}/client`)).body) as Record<string, unknown>;
  t.is(viaHttp.ip, clientAddress);
  t.is(viaHttp.protocol, 'http');
  t.is(viaHttp.peer, '127.0.0.1');
  t.is(viaHttp.host, new URL(nginx.http).host);

  const viaHttps = JSON.parse((await requestFrom(`${nginx.https}/client`)).body) as Record<string, unknown>;
  t.is(viaHttps.ip, clientAddress);
  t.is(viaHttps.protocol, 'https');

  const wsgiHttps = (await requestFrom(`${nginx.https}/py/`)).body;
  t.regex(wsgiHttps, new RegExp(`remote=${clientAddress.replace(/\./g, '\\.')} scheme=https\\n$`));

  // A client that forges X-Forwarded-For through nginx only prepends to the chain nginx extends.
  const forgedViaNginx = JSON.parse((await requestFrom(`${nginx.http}/client`, { 'X-Forwarded-For': '6.6.6.6' })).body) as Record<string, unknown>;
  t.is(forgedViaNginx.ip, clientAddress);

  // A client that connects to sluice directly is not a trusted proxy: its headers are ignored.
  const forgedDirect = JSON.parse((await requestFrom(`${direct}/client`, { 'X-Forwarded-For': '6.6.6.6', 'X-Forwarded-Proto': 'https' })).body) as Record<string, unknown>;
  t.is(forgedDirect.ip, clientAddress);
  t.is(forgedDirect.protocol, 'http');
});

test.serial('nginx spreads requests over two sluice instances', async (t) => {
  const { nginx } = await proxiedSluice(t);
  const pids = new Set<string>();
  for (let i = 0; i < 20; i++) pids.add((await requestFrom(`${nginx.http}/pid`)).body);
  t.is(pids.size, 2);
});
