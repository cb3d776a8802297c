// What the client gets when the ASGI application or its worker fails, and that the server
// stays healthy after each: exceptions (500, or an aborted response once the head is out),
// an invalid response, a crashed worker (502, respawn), a stuck worker (504), lifespan
// startup failures (ready() rejects with the reason), and bad options.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { asgi, AsgiError } from '@sluice/asgi-bridge';
import { APPS_DIR, eventually, PYTHON, raw, startAsgi } from './helpers.js';

test('an exception before the response is a 500 with the traceback in the log; the next request is served', async (t) => {
  const running = await startAsgi({ app: 'conformance:app' });
  try {
    const response = await fetch(`${running.url}/raise`);
    t.is(response.status, 500);
    t.notRegex(await response.text(), /boom/);
    const logged = running.logs.find((entry) => entry.level === 'error' && /SLUICE_ERR_ASGI_APP_ERROR/.test(entry.message));
    t.regex(logged?.message ?? '', /ValueError: boom from the application/);
    t.is((await fetch(`${running.url}/stream?1`)).status, 200);
  } finally {
    await running.close();
  }
});

test('an exception after the head aborts the connection (no clean end of the chunked body)', async (t) => {
  const running = await startAsgi({ app: 'conformance:app' });
  try {
    const { text, closed } = await raw(running.port, 'GET /raise-late HTTP/1.1\r\nHost: x\r\n\r\n');
    t.true(closed);
    t.regex(text, /^HTTP\/1\.1 200 OK/);
    t.regex(text, /partial/);
    t.false(text.endsWith('0\r\n\r\n'));
  } finally {
    await running.close();
  }
});

test('an application that returns without a response, or with an invalid status, is a 500', async (t) => {
  const running = await startAsgi({ app: 'conformance:app' });
  try {
    t.is((await fetch(`${running.url}/no-response`)).status, 500);
    t.is((await fetch(`${running.url}/bad-status`)).status, 500);
    t.true(running.logs.some((entry) => /returned without starting a response/.test(entry.message)));
    t.true(running.logs.some((entry) => /invalid ASGI status "99"/.test(entry.message)));
  } finally {
    await running.close();
  }
});

test('a worker that dies mid-request is a 502; a new worker takes over after the backoff', async (t) => {
  const running = await startAsgi({ app: 'conformance:app' });
  try {
    const before = running.bridge.stats().workers;
    const response = await fetch(`${running.url}/crash`);
    t.is(response.status, 502);
    await eventually(() => (running.bridge.stats().workers.length === 1 && running.bridge.stats().workers[0] !== before[0] ? true : undefined));
    t.is(running.bridge.stats().respawns, 1);
    t.is((await fetch(`${running.url}/stream?1`)).status, 200);
  } finally {
    await running.close();
  }
});

test('a request silent for timeoutMs is a 504 and its stuck worker is replaced', async (t) => {
  const running = await startAsgi({ app: 'conformance:app', timeoutMs: 1000 });
  try {
    const response = await fetch(`${running.url}/block`);
    t.is(response.status, 504);
    await eventually(() => (running.bridge.stats().workers.length === 1 ? true : undefined));
    t.is((await fetch(`${running.url}/stream?1`)).status, 200);
  } finally {
    await running.close();
  }
});

test('lifespan.startup.failed: ready() rejects with the message, requests get 503', async (t) => {
  const bridge = asgi({ app: 'startup_fails:app', cwd: APPS_DIR, python: PYTHON, workers: 1, logger: { info() {}, warn() {}, error() {} } });
  const error = await t.throwsAsync(bridge.ready());
  t.true(error instanceof AsgiError);
  t.is((error as AsgiError).code, 'SLUICE_ERR_ASGI_STARTUP');
  t.regex(error!.message, /database unreachable at db:5432/);
  await bridge.close();
});

test('an import error: ready() rejects with the Python exception and its traceback as the stack', async (t) => {
  const bridge = asgi({ app: 'no_such_module:app', cwd: APPS_DIR, python: PYTHON, workers: 1, logger: { info() {}, warn() {}, error() {} } });
  const error = await t.throwsAsync(bridge.ready());
  t.regex(error!.message, /ModuleNotFoundError: No module named 'no_such_module'/);
  t.regex(error!.stack ?? '', /Traceback \(most recent call last\)/);
  await bridge.close();
});

test('lifespan "auto" serves an application that raises on the lifespan scope; "on" refuses to start it', async (t) => {
  const running = await startAsgi({ app: 'no_lifespan:app' });
  try {
    t.is(await (await fetch(running.url)).text(), 'no lifespan, still serving');
  } finally {
    await running.close();
  }
  const strict = asgi({ app: 'no_lifespan:app', cwd: APPS_DIR, python: PYTHON, workers: 1, lifespan: 'on', logger: { info() {}, warn() {}, error() {} } });
  const error = await t.throwsAsync(strict.ready());
  t.regex(error!.stack ?? '', /RuntimeError: only http here/);
  await strict.close();
});

test('close() runs the lifespan shutdown before the worker exits', async (t) => {
  const running = await startAsgi({ app: 'conformance:app' });
  t.is((await fetch(`${running.url}/stream?1`)).status, 200);
  await running.close();
  t.true(existsSync(path.join(running.markers, 'shutdown')));
  t.is(readFileSync(path.join(running.markers, 'shutdown'), 'utf8'), 'done');
});

test('bad options are refused with a message naming the key', (t) => {
  const error = t.throws(() => asgi({ app: 'x:app', lifespan: 'sometimes' as 'on' }));
  t.is((error as AsgiError).code, 'SLUICE_ERR_ASGI_BAD_OPTION');
  t.regex(error!.message, /"lifespan" must be one of "auto", "on", "off"/);
  t.throws(() => asgi({ app: 'not a spec' }), { message: /"app" must look like "module:attr"/ });
  t.throws(() => asgi({ app: 'x:app', concurrency: 0 }), { message: /"concurrency" must be an integer >= 1/ });
  t.throws(() => asgi({ app: 'x:app', threads: 2 } as never), { message: /"threads" is not a known option/ });
  t.throws(() => asgi({ app: 'x:app', maxMessageBytes: 0 }), { message: /"maxMessageBytes" must be an integer >= 1/ });
  t.throws(() => asgi({ app: 'x:app', maxMessageBytes: 64 * 1024 * 1024 }), { message: /"maxMessageBytes" must be at most 64 MiB/ });
});
