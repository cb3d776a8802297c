// applyGatewayHead and the owned-header table at the wire: a gateway's head applied in a real
// request (exact bytes on a raw socket, connection state), the engine's Connection rule for
// apps, and a fetched Response forwarded without the fields of the connection it came over.
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import test from 'ava';
import { applyGatewayHead, forwardedFields, SluiceError, type Logger } from '@sluice/core';
import { raw, start } from './helpers.js';

const GET = 'GET / HTTP/1.1\r\nHost: h\r\n\r\n';
const refuse = (message: string, cause?: unknown): SluiceError => new SluiceError(502, 'TEST_BAD_HEAD', message, { expose: false, cause });

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info() {}, error() {}, warn: (message: string) => warnings.push(message) };
}

test('a gateway head: hop-by-hop fields and the names Connection lists never reach the wire, one warning per name', async (t) => {
  const logger = recordingLogger();
  const s = await start((ctx) => {
    const head = forwardedFields([['Content-Type', 'text/plain'], ['Connection', 'X-Private'], ['X-Private', '1'], ['Upgrade', 'h2c'], ['Proxy-Authenticate', 'Basic'], ['X-Kept', 'yes']]);
    const facts = applyGatewayHead(ctx, { status: 203, reason: 'From App', ...head }, { gateway: 'TEST', logger, refuse });
    t.deepEqual(facts, { declaredLength: -1, hasType: true });
    ctx.body = 'ok';
  });
  t.teardown(s.close);
  const { text, closed } = await raw(s.port, GET + GET.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
  const responses = text.split(/(?=HTTP\/1\.1 )/);
  t.is(responses.length, 2, 'the connection served the next request');
  t.true(closed);
  const lines = responses[0].split('\r\n').filter((line) => !line.startsWith('Date: '));
  t.deepEqual(lines, ['HTTP/1.1 203 From App', 'Content-Type: text/plain', 'X-Kept: yes', 'Content-Length: 2', '', 'ok']);
  t.deepEqual(logger.warnings.map((message) => /"([^"]+)"/.exec(message)![1]).sort(), ['connection', 'proxy-authenticate', 'upgrade', 'x-private']);
  t.true(logger.warnings.every((message) => message.startsWith('test: the application set the hop-by-hop header')));
});

test('a gateway head with Connection: close is honoured: the response says so and the connection closes after it', async (t) => {
  const s = await start((ctx) => {
    applyGatewayHead(ctx, { status: 200, ...forwardedFields([['Connection', 'close']]) }, { gateway: 'TEST', logger: recordingLogger(), refuse });
    ctx.body = 'ok';
  });
  t.teardown(s.close);
  const { text, closed } = await raw(s.port, GET + GET);
  t.is(text.split('HTTP/1.1 200 OK').length - 1, 1, 'one response, then the close');
  t.regex(text, /\r\nConnection: close\r\n/);
  t.true(closed);
});

test('a gateway head: its first field of a name replaces what earlier middleware set, repeats are added in order', async (t) => {
  const s = await start([
    async (ctx, next) => {
      ctx.set('X-Frame-Options', 'DENY');
      ctx.set('X-Outer', 'kept');
      await next();
    },
    (ctx) => {
      const head = forwardedFields([['X-Frame-Options', 'SAMEORIGIN'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]);
      applyGatewayHead(ctx, { status: 200, ...head }, { gateway: 'TEST', logger: recordingLogger(), refuse });
      ctx.body = 'ok';
    },
  ]);
  t.teardown(s.close);
  const { text } = await raw(s.port, GET.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
  t.regex(text, /\r\nX-Frame-Options: SAMEORIGIN\r\n/);
  t.notRegex(text, /DENY/);
  t.regex(text, /\r\nX-Outer: kept\r\n/);
  t.regex(text, /\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n/);
});

test('a gateway head that cannot be sent is the gateway\'s own error, with the cause; nothing is injected', async (t) => {
  const errors: unknown[] = [];
  const s = await start((ctx) => {
    for (const headers of [[['Content-Length', '1e3']], [['Content-Length', '99999999999999999999']], [['X-Evil', 'a\r\nInjected: 1']], [['Bad Name', 'v']]] as const) {
      try {
        applyGatewayHead(ctx, { status: 200, ...forwardedFields(headers) }, { gateway: 'TEST', logger: recordingLogger(), refuse });
      } catch (error) {
        errors.push(error);
      }
    }
    applyGatewayHead(ctx, { status: 200, ...forwardedFields([['X-Evil', 'a\r\nInjected: 1']]) }, { gateway: 'TEST', logger: recordingLogger(), refuse });
  }, { logger: recordingLogger() });
  t.teardown(s.close);
  const { text } = await raw(s.port, GET.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
  t.regex(text, /^HTTP\/1\.1 502 /);
  t.false(text.includes('Injected'));
  t.is(errors.length, 4);
  for (const error of errors) t.is((error as SluiceError).code, 'TEST_BAD_HEAD');
  t.regex((errors[0] as Error).message, /^invalid Content-Length "1e3"$/);
  t.regex((errors[1] as Error).message, /^invalid Content-Length "99999999999999999999"$/);
  t.regex((errors[2] as Error).message, /^invalid header from the TEST application: /);
  t.not((errors[2] as Error).cause, undefined);
  t.regex((errors[3] as Error).message, /^invalid header from the TEST application: /);
});

test('an app\'s Connection header closes the connection only for the close token', async (t) => {
  const s = await start((ctx) => {
    ctx.set('Connection', ctx.path === '/token' ? 'Upgrade, Close' : 'x-closed-captions');
    ctx.body = 'ok';
  });
  t.teardown(s.close);
  const kept = await raw(s.port, 'GET /other HTTP/1.1\r\nHost: h\r\n\r\n' + GET.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
  t.is(kept.text.split('HTTP/1.1 200 OK').length - 1, 2, 'kept alive: both requests answered');
  t.notRegex(kept.text.split('HTTP/1.1 200 OK')[1], /x-closed-captions|Connection:/i);
  const closing = await raw(s.port, 'GET /token HTTP/1.1\r\nHost: h\r\n\r\n' + GET);
  t.is(closing.text.split('HTTP/1.1 200 OK').length - 1, 1, 'closed after the first');
  t.regex(closing.text, /\r\nConnection: close\r\n/);
  t.true(closing.closed);
});

test('a fetched Response is forwarded without the hop-by-hop fields of its own connection', async (t) => {
  // The upstream is a raw socket, so it can send what an HTTP server library would not.
  const upstream = net.createServer((socket) => {
    socket.once('data', () => {
      socket.end('HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Private\r\nX-Private: 1\r\nKeep-Alive: timeout=9\r\nUpgrade: h2c\r\n' +
        'Trailer: X-Sum\r\nProxy-Authenticate: Basic\r\nX-Kept: yes\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\nupstream');
    });
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  t.teardown(() => upstream.close());
  const s = await start(async (ctx) => {
    ctx.body = await fetch(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`);
  });
  t.teardown(s.close);
  const { text } = await raw(s.port, GET.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
  t.regex(text, /^HTTP\/1\.1 200 OK\r\n/);
  t.regex(text, /\r\nX-Kept: yes\r\n/);
  t.regex(text, /\r\nContent-Type: text\/plain\r\n/);
  t.notRegex(text, /x-private|keep-alive|upgrade|trailer|proxy-authenticate/i);
  t.regex(text, /\r\n\r\n8\r\nupstream\r\n0\r\n\r\n$/, 'the body, framed by the engine');
});
