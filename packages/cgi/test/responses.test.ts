import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { Middleware } from '@sluice/core';
import { raw, SPAWNERS, startCgi, tempDir, writeScript } from './helpers.js';

function bin(t: ExecutionContext, scripts: Record<string, string>): string {
  const tmp = tempDir();
  t.teardown(tmp.cleanup);
  for (const [name, source] of Object.entries(scripts)) writeScript(join(tmp.dir, name), source.startsWith('#!') ? source : `#!/bin/sh\n${source}`);
  return tmp.dir;
}

test('a document response keeps the program\'s status, type and headers (repeated ones too)', async (t) => {
  const dir = bin(t, { 'doc.cgi': `printf 'Status: 201 Made It\\r\\nContent-Type: application/json\\r\\nX-One: 1\\r\\nSet-Cookie: a=1\\r\\nSet-Cookie: b=2\\r\\n\\r\\n{"ok":true}'` });
  const s = await startCgi({ mounts: { '/cgi-bin': dir } });
  t.teardown(s.close);
  const res = await raw(s.port, 'GET /cgi-bin/doc.cgi HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.regex(res.text, /^HTTP\/1\.1 201 Made It\r\n/);
  t.regex(res.text, /\r\ncontent-type: application\/json\r\n/i);
  t.regex(res.text, /\r\nx-one: 1\r\n/i);
  t.regex(res.text, /\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n/i);
  // Whole output already there when the head was parsed: Content-Length; else streamed, chunked.
  t.regex(res.text, /\r\ncontent-length: 11\r\n(.*\r\n)*\r\n\{"ok":true\}$|\r\ntransfer-encoding: chunked\r\n(.*\r\n)*\r\nb\r\n\{"ok":true\}\r\n0\r\n\r\n$/i);
});

test('a quick program answered with a Content-Length gets exactly its body, a stream after it stays usable', async (t) => {
  const dir = bin(t, { 'quick.cgi': `printf 'Content-Type: text/plain\\n\\nquick'`, 'slow.cgi': `printf 'Content-Type: text/plain\\n\\nfirst,'; sleep 0.3; printf 'second'` });
  const s = await startCgi({ mounts: { '/cgi-bin': dir } });
  t.teardown(s.close);
  const res = await raw(s.port, 'GET /cgi-bin/quick.cgi HTTP/1.1\r\nHost: x\r\n\r\nHEAD /cgi-bin/quick.cgi HTTP/1.1\r\nHost: x\r\n\r\nGET /cgi-bin/slow.cgi HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const responses = res.text.split(/(?=HTTP\/1\.1 )/);
  t.is(responses.length, 3, res.text);
  t.regex(responses[0], /\r\n\r\n(5\r\n)?quick(\r\n0\r\n\r\n)?$/);
  t.notRegex(responses[1], /quick/, 'HEAD: no body');
  t.regex(responses[2], /\r\ntransfer-encoding: chunked\r\n/i);
  t.regex(responses[2], /first,.*second/s);
});

test('LF-only header blocks are accepted and a missing Content-Type stays missing', async (t) => {
  const dir = bin(t, { 'lf.cgi': `printf 'X-Kind: lf\\n\\nbody'` });
  const s = await startCgi({ mounts: { '/cgi-bin': dir } });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/cgi-bin/lf.cgi`);
  t.is(res.status, 200);
  t.is(res.headers.get('x-kind'), 'lf');
  t.is(res.headers.get('content-type'), null);
  t.is(await res.text(), 'body');
});

test('the program\'s Content-Length is used for the framing; hop-by-hop fields are dropped', async (t) => {
  const dir = bin(t, { 'cl.cgi': `printf 'Content-Type: text/plain\\nContent-Length: 5\\nConnection: X-Secret\\nX-Secret: 1\\nKeep-Alive: timeout=99\\nTransfer-Encoding: gzip\\nUpgrade: h2c\\n\\nhello'` });
  const s = await startCgi({ mounts: { '/cgi-bin': dir } });
  t.teardown(s.close);
  const request = 'GET /cgi-bin/cl.cgi HTTP/1.1\r\nHost: x\r\n\r\n';
  const res = await raw(s.port, request + request.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
  const responses = res.text.split(/(?=HTTP\/1\.1 )/);
  t.is(responses.length, 2, 'the connection stayed open for the next request');
  t.regex(responses[0], /\r\ncontent-length: 5\r\n/i);
  t.notRegex(responses[0], /transfer-encoding|keep-alive: timeout=99|x-secret|upgrade/i);
  t.true(responses[0].endsWith('\r\n\r\nhello'));
});

test('the program\'s Connection: close is honoured (the connection closes after its response) and other hop-by-hop fields are warned about once', async (t) => {
  const dir = bin(t, { 'close.cgi': `printf 'Content-Type: text/plain\\nConnection: close\\nUpgrade: h2c\\nProxy-Authenticate: Basic\\n\\nbye'` });
  const s = await startCgi({ mounts: { '/cgi-bin': dir } });
  t.teardown(s.close);
  const request = 'GET /cgi-bin/close.cgi HTTP/1.1\r\nHost: x\r\n\r\n';
  for (let i = 0; i < 2; i++) {
    const res = await raw(s.port, request + request);
    t.is(res.text.split('HTTP/1.1 200 OK').length - 1, 1, 'one response, then the close');
    t.regex(res.text, /\r\nConnection: close\r\n/);
    t.notRegex(res.text, /upgrade|proxy-authenticate/i);
    // Whole (Content-Length) or chunked, depending on whether the output had ended with the head.
    t.regex(res.text, /\r\n\r\n(?:bye|3\r\nbye\r\n0\r\n\r\n)$/);
    t.true(res.closed);
  }
  const warnings = s.logger.lines.filter((line) => line.level === 'warn' && /hop-by-hop/.test(line.message)).map((line) => /"([^"]+)"/.exec(line.message)![1]);
  t.deepEqual(warnings.sort(), ['proxy-authenticate', 'upgrade']);
});

test('a local redirect re-runs the chain as a GET for the new path, without the request body', async (t) => {
  const dir = bin(t, {
    'a.cgi': `cat >/dev/null; printf 'Location: /cgi-bin/b.cgi/more?x=1\\n\\nignored body'`,
    'b.cgi': `printf 'Content-Type: text/plain\\n\\n%s %s %s [%s] %s' "$REQUEST_METHOD" "$PATH_INFO" "$QUERY_STRING" "$CONTENT_LENGTH" "$(cat | wc -c)"`,
  });
  const s = await startCgi({ mounts: { '/cgi-bin': dir } });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/cgi-bin/a.cgi`, { method: 'POST', body: 'a=1&b=2' });
  t.is(res.status, 200);
  t.is(await res.text(), 'GET /more x=1 [] 0');
});

test('a local redirect may land on any middleware', async (t) => {
  const dir = bin(t, { 'a.cgi': `printf 'Location: /elsewhere\\n\\n'` });
  const s = await startCgi({ mounts: { '/cgi-bin': dir } }, { after: [(ctx) => { ctx.body = `elsewhere via ${ctx.method} ${ctx.url} (originally ${ctx.originalUrl})`; }] });
  t.teardown(s.close);
  t.is(await (await fetch(`${s.url}/cgi-bin/a.cgi`)).text(), 'elsewhere via GET /elsewhere (originally /cgi-bin/a.cgi)');
});

test('local redirect loops stop at maxRedirects with a 500', async (t) => {
  const dir = bin(t, { 'loop.cgi': `printf 'Location: /cgi-bin/loop.cgi\\n\\n'` });
  const s = await startCgi({ mounts: { '/cgi-bin': dir }, maxRedirects: 3 });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/cgi-bin/loop.cgi`);
  t.is(res.status, 500);
  t.true(s.logger.lines.some((l) => /SLUICE_ERR_CGI_REDIRECT_LOOP|Too many CGI local redirects/.test(l.message)));
});

test('an absolute Location is a client redirect: 302', async (t) => {
  const dir = bin(t, { 'r.cgi': `printf 'Location: https://example.com/next?a=b\\n\\n'` });
  const s = await startCgi({ mounts: { '/cgi-bin': dir } });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/cgi-bin/r.cgi`, { redirect: 'manual' });
  t.is(res.status, 302);
  t.is(res.headers.get('location'), 'https://example.com/next?a=b');
});

test('a client redirect with a document keeps its 3xx status and body', async (t) => {
  const dir = bin(t, { 'r.cgi': `printf 'Status: 301 Moved\\nLocation: https://example.com/\\nContent-Type: text/html\\n\\n<a href="https://example.com/">moved</a>'` });
  const s = await startCgi({ mounts: { '/cgi-bin': dir } });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/cgi-bin/r.cgi`, { redirect: 'manual' });
  t.is(res.status, 301);
  t.is(res.headers.get('location'), 'https://example.com/');
  t.is(await res.text(), '<a href="https://example.com/">moved</a>');
});

test('output without a valid header block is a 502 with the reason logged', async (t) => {
  const dir = bin(t, {
    'silent.cgi': 'exit 3',
    'garbage.cgi': `printf 'this is not a header\\n\\nbody'`,
    'unfinished.cgi': `printf 'Content-Type: text/plain\\n'`,
    'huge.cgi': `i=0; while [ $i -lt 200 ]; do printf 'X-Filler-%d: %s\\n' $i aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; i=$((i+1)); done; printf '\\nbody'`,
  });
  const s = await startCgi({ mounts: { '/cgi-bin': dir }, maxHeaderBytes: 4096 });
  t.teardown(s.close);
  const expectations: Array<[string, RegExp]> = [
    ['silent.cgi', /no output \(exit code 3\)/],
    ['garbage.cgi', /not a header line/],
    ['unfinished.cgi', /output without a complete header block \(exit code 0\)/],
    ['huge.cgi', /header block larger than 4096 bytes/],
  ];
  for (const [script, reason] of expectations) {
    const res = await fetch(`${s.url}/cgi-bin/${script}`);
    t.is(res.status, 502, script);
    t.notRegex(await res.text(), reason, 'the reason stays out of the response');
    t.true(s.logger.lines.some((l) => l.level === 'error' && reason.test(l.message)), `${script} logged ${reason}`);
  }
});

test('HEAD gets the headers and no body; the program still runs to its end', async (t) => {
  const dir = bin(t, { 'h.cgi': `printf 'Content-Type: text/plain\\n\\n'; head -c 300000 /dev/zero; touch "$0.done"` });
  const s = await startCgi({ mounts: { '/cgi-bin': dir } });
  t.teardown(s.close);
  const res = await raw(s.port, 'HEAD /cgi-bin/h.cgi HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.regex(res.text, /^HTTP\/1\.1 200 OK\r\n/);
  t.true(res.text.endsWith('\r\n\r\n'));
  const deadline = Date.now() + 5000;
  while (!existsSync(join(dir, 'h.cgi.done')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.true(existsSync(join(dir, 'h.cgi.done')));
});

test('the body streams: the first bytes arrive before the program ends', async (t) => {
  const dir = bin(t, { 'stream.cgi': `printf 'Content-Type: text/plain\\n\\nfirst\\n'; while [ ! -f "$0.go" ]; do sleep 0.02; done; printf 'second\\n'` });
  const s = await startCgi({ mounts: { '/cgi-bin': dir } });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/cgi-bin/stream.cgi`);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const first = await reader.read();
  t.is(Buffer.from(first.value as Uint8Array).toString(), 'first\n');
  writeFileSync(join(dir, 'stream.cgi.go'), '');
  let rest = '';
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += Buffer.from(chunk.value).toString();
  t.is(rest, 'second\n');
});

test('any method reaches the program, custom ones included', async (t) => {
  const dir = bin(t, { 'm.cgi': `printf 'Content-Type: text/plain\\n\\n%s' "$REQUEST_METHOD"` });
  const s = await startCgi({ mounts: { '/cgi-bin': dir } });
  t.teardown(s.close);
  for (const method of ['GET', 'DELETE', 'PURGE', 'PROPFIND']) t.is(await (await fetch(`${s.url}/cgi-bin/m.cgi`, { method })).text(), method);
});

for (const spawner of SPAWNERS) {
  test(`[${spawner}] an nph- script's output is the whole HTTP response, passed through raw`, async (t) => {
    const dir = bin(t, { 'nph-raw.cgi': `printf 'HTTP/1.1 299 Custom\\r\\nX-Raw: yes\\r\\n\\r\\nraw body %s' "$SERVER_PROTOCOL"` });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner });
    t.teardown(s.close);
    const res = await raw(s.port, 'GET /cgi-bin/nph-raw.cgi HTTP/1.1\r\nHost: x\r\n\r\n');
    t.is(res.text, 'HTTP/1.1 299 Custom\r\nX-Raw: yes\r\n\r\nraw body HTTP/1.1');
    t.true(res.closed);
  });

  test(`[${spawner}] a program that cannot be started is a 500 (never run through a shell)`, async (t) => {
    const dir = bin(t, {});
    writeScript(join(dir, 'noshebang.cgi'), 'echo "Content-Type: text/plain"; echo; echo ran by a shell\n');
    writeScript(join(dir, 'badinterp.cgi'), '#!/nonexistent/interpreter\n');
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner });
    t.teardown(s.close);
    for (const script of ['noshebang.cgi', 'badinterp.cgi']) {
      const res = await fetch(`${s.url}/cgi-bin/${script}`);
      t.is(res.status, 500, script);
      t.notRegex(await res.text(), /ran by a shell/);
    }
    t.true(s.logger.lines.some((l) => /SLUICE_ERR_CGI_SPAWN|could not be started/.test(l.message)));
    t.is((await fetch(`${s.url}/cgi-bin/noshebang.cgi`)).status, 500, 'and the server stays healthy');
  });

  test(`[${spawner}] an environment value with a NUL byte (set by the app) is a 500; nothing runs`, async (t) => {
    const dir = bin(t, { 'ran.cgi': `touch "$0.ran"; printf 'Content-Type: text/plain\\n\\n%s' "$REMOTE_USER"` });
    const user: Middleware = async (ctx, next) => {
      ctx.state.remoteUser = ctx.query.user;
      await next();
    };
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner }, { before: [user] });
    t.teardown(s.close);
    t.is((await fetch(`${s.url}/cgi-bin/ran.cgi?user=a%00b`)).status, 500);
    t.false(existsSync(join(dir, 'ran.cgi.ran')), 'the program never ran');
    const ok = await fetch(`${s.url}/cgi-bin/ran.cgi?user=alice`);
    t.is(await ok.text(), 'alice', 'the server stays healthy');
  });
}

test('backpressure: a program writing more than the client reads waits for it (not an idle timeout)', async (t) => {
  const dir = bin(t, { 'big.cgi': `printf 'Content-Type: application/octet-stream\\n\\n'; head -c 60000000 /dev/zero; touch "$0.done"` });
  // The client stalls longer than timeoutMs: waiting on the client is not the program's idleness.
  const s = await startCgi({ mounts: { '/cgi-bin': dir }, timeoutMs: 1000 });
  t.teardown(s.close);
  const { connect } = await import('node:net');
  const socket = connect(s.port, '127.0.0.1');
  socket.write('GET /cgi-bin/big.cgi HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  socket.pause();
  await new Promise((r) => setTimeout(r, 2000));
  t.false(existsSync(join(dir, 'big.cgi.done')), 'the program is held back while the client reads nothing');
  let received = 0;
  socket.on('data', (chunk: Buffer) => (received += chunk.length));
  socket.resume();
  await new Promise((r) => socket.once('close', r));
  t.true(received > 60_000_000, `${received} bytes received`);
  t.true(existsSync(join(dir, 'big.cgi.done')));
});
