import test from 'ava';
import { Readable } from 'node:stream';
import { raw, start } from './helpers.js';

test('a response the server abandons after its head tells ctx.onAbort listeners', async (t) => {
  let told = false;
  let resolveTold: () => void = () => {};
  const toldPromise = new Promise<void>((resolve) => (resolveTold = resolve));
  const s = await start((ctx) => {
    ctx.onAbort(() => {
      told = true;
      resolveTold();
    });
    ctx.app.on('error', () => {});
    ctx.body = new Readable({
      read() {
        this.push('first part');
        setImmediate(() => this.destroy(new Error('source failed mid-body')));
      },
    });
  });
  const { text, closed } = await raw(s.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', { timeoutMs: 5000 });
  await Promise.race([toldPromise, new Promise((r) => setTimeout(r, 3000))]);
  t.regex(text, /^HTTP\/1\.1 200 /);
  t.true(closed, 'the connection is dropped: the chunked body never ends');
  t.notRegex(text, /0\r\n\r\n$/, 'no terminating chunk was sent');
  t.true(told, 'onAbort ran although the client never left');
  await s.close();
});
