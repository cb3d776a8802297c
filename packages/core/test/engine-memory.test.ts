/**
 * What a running server keeps after a connection is gone: nothing. Each test drives one kind of
 * connection of the memory benchmark's load (bench/suites/memory.mjs) over a real socket, waits
 * until the server has seen it close, forces full collections and checks through WeakRefs that
 * the server's socket and every request's context were collected while the server keeps running.
 * Must never assert timings or sizes that depend on the machine: only collected or not.
 */
import test from 'ava';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Application, type ApplicationOptions } from '@sluice/core';
import { Wire } from './helpers.js';

// A full collection on demand without starting the test process with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CHUNK = Buffer.alloc(16 * 1024, 0x61);

interface Tracked {
  port: number;
  server: net.Server;
  app: Application;
  /** Sockets the server accepted and contexts it created, by what they are. */
  refs: Array<[string, WeakRef<object>]>;
}

/** The memory benchmark's routes, with every accepted socket and every context tracked weakly. */
async function startTracked(options: ApplicationOptions = {}): Promise<Tracked> {
  const refs: Tracked['refs'] = [];
  const app = new Application(options);
  app.on('error', () => {});
  app.use(async (ctx) => {
    refs.push([`context of ${ctx.method} ${ctx.path}`, new WeakRef(ctx)]);
    if (ctx.path === '/echo') {
      ctx.body = await ctx.request.buffer();
    } else if (ctx.path === '/stream') {
      ctx.body = Readable.from((function* () {
        for (let i = 0; i < 64; i++) yield CHUNK;
      })());
    } else {
      ctx.body = 'Hello, World!';
    }
  });
  const server = app.listen(0, '127.0.0.1');
  server.on('connection', (socket: net.Socket) => refs.push(['accepted socket', new WeakRef(socket)]));
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, server, app, refs };
}

/** Resolves once the server has no open connection left. */
async function allClosed(server: net.Server): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const open = await new Promise<number>((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
    if (open === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the server kept a connection open');
}

/** What is still reachable after full collections (a WeakRef target lives until its job ends). */
async function survivors(refs: Tracked['refs']): Promise<string[]> {
  for (let i = 0; i < 10; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
    if (refs.every(([, ref]) => ref.deref() === undefined)) return [];
  }
  return refs.filter(([, ref]) => ref.deref() !== undefined).map(([what]) => what);
}

/** Runs `drive` against a fresh tracked server, then checks nothing of it survives the close. */
async function nothingRetained(
  t: import('ava').ExecutionContext,
  drive: (port: number) => Promise<void>,
  options: ApplicationOptions = {},
  expectContexts = true,
): Promise<void> {
  const s = await startTracked(options);
  try {
    await drive(s.port);
    await allClosed(s.server);
    t.true(s.refs.some(([what]) => what === 'accepted socket'), 'a connection was accepted');
    if (expectContexts) t.true(s.refs.some(([what]) => what.startsWith('context')), 'a request reached the app');
    t.deepEqual(await survivors(s.refs), [], 'the running server keeps nothing of a closed connection');
  } finally {
    await s.app.close(1000);
  }
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

test('keep-alive requests: nothing of the connection is kept once the client closes it', async (t) => {
  await nothingRetained(t, async (port) => {
    const wire = await Wire.open(port);
    for (let i = 1; i <= 3; i++) {
      wire.write(GET);
      await wire.responses(i);
    }
    wire.destroy();
  });
});

test('pipelined requests: nothing of the connection is kept once the client closes it', async (t) => {
  await nothingRetained(t, async (port) => {
    const wire = await Wire.open(port);
    wire.write(GET.repeat(10));
    await wire.responses(10);
    wire.destroy();
  });
});

test('a chunked body echoed: nothing of the connection is kept once the client closes it', async (t) => {
  await nothingRetained(t, async (port) => {
    const wire = await Wire.open(port);
    wire.write('POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n' + 'a'.repeat(1024) + '\r\n0\r\n\r\n');
    await wire.responses(1);
    wire.destroy();
  });
});

test('a client leaving in the middle of a streamed response leaves nothing behind', async (t) => {
  await nothingRetained(t, async (port) => {
    const wire = await Wire.open(port);
    wire.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
    await wire.until(() => wire.text.length > 0, 5000, 'the first bytes of the stream');
    wire.destroy();
  });
});

test('a client leaving in the middle of a request body leaves nothing behind', async (t) => {
  await nothingRetained(t, async (port) => {
    const wire = await Wire.open(port);
    wire.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000));
    // The app is reading the body when the client goes.
    await new Promise((r) => setTimeout(r, 50));
    wire.destroy();
  });
});

test('a client leaving in the middle of a request head leaves nothing behind', async (t) => {
  await nothingRetained(t, async (port) => {
    const wire = await Wire.open(port);
    wire.write('GET / HTTP/1.1\r\nHost: be');
    await new Promise((r) => setTimeout(r, 50));
    wire.destroy();
  }, {}, false);
});

test('a connection closed by the server after its keep-alive timeout leaves nothing behind', async (t) => {
  await nothingRetained(t, async (port) => {
    const wire = await Wire.open(port);
    wire.write(GET);
    await wire.responses(1);
    await wire.closedByServer(5000);
    wire.destroy();
  }, { limits: { keepAliveTimeoutMs: 100, lingerMs: 100 } });
});

test('a silent connection closed by the server after its header timeout leaves nothing behind', async (t) => {
  await nothingRetained(t, async (port) => {
    const wire = await Wire.open(port);
    await wire.closedByServer(5000);
    wire.destroy();
  }, { limits: { headersTimeoutMs: 100 } }, false);
});

test('a malformed request answered with 400 and closed leaves nothing behind', async (t) => {
  await nothingRetained(t, async (port) => {
    const wire = await Wire.open(port);
    wire.write('POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a="abc\r\n');
    await wire.closedByServer(5000);
    t.regex(wire.text, /^HTTP\/1\.1 400 /);
    wire.destroy();
  }, {}, false);
});
