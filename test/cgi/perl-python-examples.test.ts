import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { EXAMPLE_BIN, startCgi } from './helpers.js';

test('Perl CGI.pm form: GET shows the form, POST reads the fields (repeated ones too)', async (t) => {
  const s = await startCgi({ mounts: { '/cgi-bin': EXAMPLE_BIN } });
  t.teardown(s.close);
  const page = await fetch(`${s.url}/cgi-bin/form.pl`);
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type') ?? '', /^text\/html; charset=utf-8$/i);
  t.regex(await page.text(), /<form[^>]+method="post"/i);
  const body = new URLSearchParams([['name', 'Ada <Lovelace>'], ['topping', 'cheese'], ['topping', 'basil']]);
  const res = await fetch(`${s.url}/cgi-bin/form.pl`, { method: 'POST', body });
  t.is(await res.text(), '<!doctype html><title>perl form</title>\n<p>Hello, Ada &lt;Lovelace&gt;!</p>\n<p>toppings: cheese, basil</p>\n');
});

test('Perl CGI.pm upload: a 1 MiB multipart file arrives intact', async (t) => {
  const s = await startCgi({ mounts: { '/cgi-bin': EXAMPLE_BIN } });
  t.teardown(s.close);
  const bytes = randomBytes(1024 * 1024 + 3);
  const form = new FormData();
  form.set('file', new Blob([bytes]), 'data.bin');
  const res = await fetch(`${s.url}/cgi-bin/upload.pl`, { method: 'POST', body: form });
  t.is(await res.text(), `name=data.bin\nsize=${bytes.length}\nsha256=${createHash('sha256').update(bytes).digest('hex')}\n`);
});

test('Python form: POST fields are echoed, HTML-escaped', async (t) => {
  const s = await startCgi({ mounts: { '/cgi-bin': EXAMPLE_BIN } });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/cgi-bin/form.py`, { method: 'POST', body: new URLSearchParams({ name: 'Guido', color: '<blue>' }) });
  t.is(res.headers.get('content-type'), 'text/html; charset=utf-8');
  const text = await res.text();
  t.regex(text, /<p>color = &lt;blue&gt;<\/p>\n<p>name = Guido<\/p>/);
  t.regex(text, /action="\/cgi-bin\/form\.py"/);
});

test('the streaming example delivers its first line long before its last', async (t) => {
  const s = await startCgi({ mounts: { '/cgi-bin': EXAMPLE_BIN }, env: { COUNT: '4' } });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/cgi-bin/stream.sh`);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const first = Buffer.from((await reader.read()).value as Uint8Array).toString();
  t.regex(first, /^line 1 at /);
  let rest = '';
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += Buffer.from(chunk.value).toString();
  t.notRegex(rest, /line 1 /, 'line 1 came alone, before the program went on');
  t.regex(rest, /line 4 at /);
});

test('the NPH example writes its own status line', async (t) => {
  const s = await startCgi({ mounts: { '/cgi-bin': EXAMPLE_BIN } });
  t.teardown(s.close);
  const res = await fetch(`${s.url}/cgi-bin/nph-hello.sh`);
  t.is(res.status, 200);
  t.is(await res.text(), 'hello from an NPH script\n');
});

test('the example server runs: env dump, PHP page, NPH', async (t) => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const child = spawn(process.execPath, ['--loader=ts-node/esm', '--no-warnings', '--conditions=sluice-source', 'examples/cgi/server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', TS_NODE_TRANSPILE_ONLY: 'true', TS_NODE_PROJECT: 'tsconfig.test.json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    child.kill('SIGTERM');
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  while (!/listening on (\S+)/.test(output)) {
    const [chunk] = (await Promise.race([once(child.stdout, 'data'), once(child, 'exit').then(() => { throw new Error('example exited'); })])) as [Buffer];
    void chunk;
  }
  const url = (/listening on (\S+)/.exec(output) as RegExpExecArray)[1];
  t.regex(await (await fetch(`${url}/cgi-bin/env.sh`)).text(), /^GATEWAY_INTERFACE=CGI\/1\.1$/m);
  t.regex(await (await fetch(`${url}/hello.php?name=you`)).text(), /^name=you$/m);
  t.is(await (await fetch(`${url}/cgi-bin/nph-hello.sh`)).text(), 'hello from an NPH script\n');
  const [code] = await Promise.all([once(child, 'exit'), child.kill('SIGTERM')]);
  t.deepEqual(code, [0, null], 'SIGTERM closes it cleanly');
});

test('curl upload (Expect: 100-continue) to the Perl upload example', async (t) => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { run } = await import('./helpers.js');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cgi-curl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bytes = randomBytes(300_000);
  writeFileSync(join(dir, 'payload.bin'), bytes);
  const s = await startCgi({ mounts: { '/cgi-bin': EXAMPLE_BIN } });
  t.teardown(s.close);
  const result = await run('curl', ['-sS', '-v', '-H', 'Expect: 100-continue', '-F', `file=@${join(dir, 'payload.bin')}`, `${s.url}/cgi-bin/upload.pl`]);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, /Expect: 100-continue/);
  t.regex(result.stderr, /HTTP\/1\.1 100 Continue/);
  t.is(result.stdout, `name=payload.bin\nsize=${bytes.length}\nsha256=${createHash('sha256').update(bytes).digest('hex')}\n`);
});
