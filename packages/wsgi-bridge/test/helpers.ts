/**
 * Test helpers for @sluice/wsgi-bridge's unit tests: an app on an ephemeral port whose only
 * middleware is the one under test, a raw socket that writes exact bytes and returns what
 * came back, and a logger that records. Must never start Python: the units run without it.
 */
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import type { ExecutionContext } from 'ava';
import { Application, type Logger, type Middleware } from '@sluice/core';

/** Starts a fresh app running `middleware` on 127.0.0.1:0, closed at teardown; resolves with its port. */
export async function serve(t: ExecutionContext, middleware: Middleware): Promise<number> {
  const app = new Application({ logger: recordingLogger() });
  app.use(middleware);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => app.close(500));
  return (server.address() as AddressInfo).port;
}

/** Writes `input` on a new connection; resolves with every byte received (latin-1) once the server closes it. */
export async function rawExchange(port: number, input: string | Buffer): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.write(input);
  await once(socket, 'close');
  return Buffer.concat(chunks).toString('latin1');
}

/** A logger that records what it is told. */
export function recordingLogger(): Logger & { lines: Array<{ level: string; message: string }> } {
  const lines: Array<{ level: string; message: string }> = [];
  return {
    lines,
    info: (message) => lines.push({ level: 'info', message }),
    warn: (message) => lines.push({ level: 'warn', message }),
    error: (message) => lines.push({ level: 'error', message }),
  };
}
