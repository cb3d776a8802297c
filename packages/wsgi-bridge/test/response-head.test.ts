/**
 * applyHead: a WSGI response head (`status\0name\0value...`) applied to a real ctx, and
 * the exact response bytes the engine then sends to a raw socket.
 */
import test, { type ExecutionContext } from 'ava';
import type { Logger } from '@sluice/core';
import { WsgiError } from '../src/errors.js';
import { applyHead, type HeadFacts } from '../src/response-head.js';
import { rawExchange, recordingLogger, serve } from './helpers.js';

const GET = 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n';

interface Outcome {
  /** The response bytes (latin-1). */
  reply: string;
  /** The header block, without the status line and the Date header (it changes by the second). */
  headers: string[];
  facts?: HeadFacts;
  error?: unknown;
}

/** Serves one response whose head is `head` (body "body" when it applies) and returns what a raw socket received. */
async function respond(t: ExecutionContext, head: string, { logger = recordingLogger() as Logger, request = GET, requests = 1 } = {}): Promise<Outcome[]> {
  const outcomes: Array<Pick<Outcome, 'facts' | 'error'>> = [];
  const port = await serve(t, async (ctx) => {
    const outcome: Pick<Outcome, 'facts' | 'error'> = {};
    outcomes.push(outcome);
    try {
      outcome.facts = applyHead(ctx, head, logger);
    } catch (error) {
      outcome.error = error;
      throw error;
    }
    ctx.body = 'body';
  });
  const replies: Outcome[] = [];
  for (let i = 0; i < requests; i++) {
    const reply = await rawExchange(port, request);
    const block = reply.slice(0, reply.indexOf('\r\n\r\n')).split('\r\n').slice(1).filter((line) => !line.startsWith('Date: '));
    replies.push({ reply, headers: block, ...outcomes[i] });
  }
  return replies;
}

function isBadResponse(t: ExecutionContext, outcome: Outcome, message: RegExp): void {
  t.true(outcome.error instanceof WsgiError);
  const error = outcome.error as WsgiError;
  t.is(error.code, 'SLUICE_ERR_WSGI_BAD_RESPONSE');
  t.is(error.status, 500);
  t.false(error.expose);
  t.regex(error.message, message);
  t.true(outcome.reply.startsWith('HTTP/1.1 500 '), outcome.reply);
}

test('the status line carries the application\'s code and reason phrase as given', async (t) => {
  const [outcome] = await respond(t, '404 Not Here\0Content-Type\0text/html');
  t.true(outcome.reply.startsWith('HTTP/1.1 404 Not Here\r\n'), outcome.reply);
  t.true(outcome.headers.includes('Content-Type: text/html'));
  t.deepEqual(outcome.facts, { declaredLength: -1, hasType: true });
});

test('a status without a reason phrase gets the standard one', async (t) => {
  const [outcome] = await respond(t, '201');
  t.true(outcome.reply.startsWith('HTTP/1.1 201 Created\r\n'), outcome.reply);
  t.false(outcome.facts!.hasType);
});

test('repeated headers are all sent, in the application\'s order', async (t) => {
  const [outcome] = await respond(t, '200 OK\0Set-Cookie\0a=1\0X-Other\0x\0Set-Cookie\0b=2');
  t.deepEqual(outcome.headers.filter((line) => line.startsWith('Set-Cookie')), ['Set-Cookie: a=1', 'Set-Cookie: b=2']);
  t.true(outcome.headers.includes('X-Other: x'));
});

test('Content-Length is recorded for the body forwarding, not copied: the engine frames the body', async (t) => {
  const [outcome] = await respond(t, '200 OK\0Content-Length\0 4 ');
  t.is(outcome.facts!.declaredLength, 4);
  t.deepEqual(outcome.headers.filter((line) => /^content-length:/i.test(line)), ['Content-Length: 4']);
});

test('an invalid Content-Length is a 500 naming the value', async (t) => {
  for (const value of ['-1', '1e3', 'abc', '', '99999999999999999999']) {
    const [outcome] = await respond(t, `200 OK\0Content-Length\0${value}`);
    isBadResponse(t, outcome, new RegExp(`invalid Content-Length ${JSON.stringify(JSON.stringify(value)).slice(1, -1)}`));
  }
});

test('an invalid status is a 500 naming it', async (t) => {
  for (const status of ['abc', '99 Low', '600 High', '200OK', '', '2000 OK']) {
    const [outcome] = await respond(t, `${status}\0X-A\0b`);
    isBadResponse(t, outcome, /invalid WSGI status/);
    t.false(outcome.headers.includes('X-A: b'));
  }
});

test('hop-by-hop headers are dropped, with one warning per name and logger however many responses', async (t) => {
  const logger = recordingLogger();
  const hopByHop = ['Keep-Alive', 'Proxy-Connection', 'Proxy-Authenticate', 'Proxy-Authorization', 'TE', 'Trailer', 'Transfer-Encoding', 'Upgrade'];
  const head = ['200 OK', ...hopByHop.flatMap((name) => [name, name === 'Transfer-Encoding' ? 'chunked' : 'x']), 'X-Kept', '1'].join('\0');
  const outcomes = await respond(t, head, { logger, requests: 2 });
  for (const outcome of outcomes) {
    t.true(outcome.reply.startsWith('HTTP/1.1 200 OK\r\n'));
    t.true(outcome.headers.includes('X-Kept: 1'));
    for (const name of hopByHop.filter((n) => n !== 'Transfer-Encoding')) t.false(outcome.headers.some((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`)), name);
    t.false(outcome.headers.includes('Transfer-Encoding: chunked'));
    t.true(outcome.reply.endsWith('\r\n\r\nbody'));
  }
  const warnings = logger.lines.filter((line) => line.level === 'warn').map((line) => /"([^"]+)"/.exec(line.message)![1]);
  t.deepEqual(warnings.sort(), hopByHop.map((name) => name.toLowerCase()).sort());
});

test('Connection: close from the application is honoured: the server closes after the response', async (t) => {
  const keepAlive = 'GET / HTTP/1.1\r\nHost: h\r\n\r\n';
  const logger = recordingLogger();
  const [outcome] = await respond(t, '200 OK\0Connection\0close', { logger, request: keepAlive + keepAlive });
  t.is(outcome.reply.split('HTTP/1.1 200 OK').length - 1, 1, 'one response, then the connection closed');
  t.true(outcome.headers.includes('Connection: close'));
  t.deepEqual(logger.lines, []);
});

test('Connection other than close is dropped with a warning; the connection stays open for the next request', async (t) => {
  const logger = recordingLogger();
  const keepAlive = 'GET / HTTP/1.1\r\nHost: h\r\n\r\n';
  const [outcome] = await respond(t, '200 OK\0Connection\0keep-alive', { logger, request: keepAlive + GET });
  t.is(outcome.reply.split('HTTP/1.1 200 OK').length - 1, 2);
  t.regex(logger.lines[0].message, /hop-by-hop header "connection"/);
});

test('CR or LF in a header value is refused with a 500; nothing is injected', async (t) => {
  for (const value of ['a\r\nInjected: 1', 'a\nInjected: 1', 'a\rb']) {
    const [outcome] = await respond(t, `200 OK\0X-Evil\0${value}`);
    isBadResponse(t, outcome, /invalid header from the WSGI application/);
    t.not((outcome.error as WsgiError).cause, undefined);
    t.false(outcome.reply.includes('Injected'));
  }
});

test('a malformed header name is refused with a 500', async (t) => {
  for (const name of ['Bad Name', 'Bad:Name', '']) {
    const [outcome] = await respond(t, `200 OK\0${name}\0v`);
    isBadResponse(t, outcome, /invalid header from the WSGI application/);
  }
});
