import test from 'ava';
import { raw, start } from './helpers.js';

test('ctx.message is sent as the reason phrase of the status line', async (t) => {
  const s = await start((ctx) => {
    ctx.status = 201;
    ctx.message = 'Made It';
    ctx.body = 'ok';
  });
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 201 Made It\r\n/);
  await s.close();
});

test('setting the status again restores the standard reason phrase', async (t) => {
  const s = await start((ctx) => {
    ctx.message = 'Custom';
    ctx.status = 202;
    ctx.body = 'ok';
  });
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 202 Accepted\r\n/);
  await s.close();
});

test('ctx.res.writeHead(status, reason) sends the reason phrase', async (t) => {
  const s = await start((ctx) => {
    ctx.res.writeHead(200, 'Fine Thanks', { 'Content-Length': '2' });
    ctx.res.end('ok');
  });
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 200 Fine Thanks\r\n/);
  await s.close();
});

test('a reason phrase with CR/LF is refused with 500 and nothing is injected', async (t) => {
  const s = await start(
    (ctx) => {
      ctx.message = 'OK\r\nSet-Cookie: evil=1';
      ctx.body = 'ok';
    },
    { env: 'production' },
  );
  s.app.on('error', () => {});
  const { text } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.regex(text, /^HTTP\/1\.1 500 Internal Server Error\r\n/);
  t.notRegex(text, /evil/);
  await s.close();
});
