/** Test helpers: start an app on an ephemeral port, talk raw bytes to it. */
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { Application, type ApplicationOptions, type Middleware } from '@sluice/core';

export interface Running {
  app: Application;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Starts a fresh app with `middleware` on 127.0.0.1 and an ephemeral port. */
export async function start(middleware: Middleware | Middleware[], options: ApplicationOptions = {}): Promise<Running> {
  const app = new Application(options);
  for (const fn of Array.isArray(middleware) ? middleware : [middleware]) app.use(fn);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return { app, port, url: `http://127.0.0.1:${port}`, close: () => app.close(1000) };
}

/**
 * Writes `input` (string or chunks, written with a pause between them) on a raw socket and
 * collects everything the server sends until it closes the connection or `timeoutMs` passes.
 */
export async function raw(
  port: number,
  input: string | Buffer | Array<string | Buffer>,
  { timeoutMs = 2000, gapMs = 5, end = false }: { timeoutMs?: number; gapMs?: number; end?: boolean } = {},
): Promise<{ text: string; closed: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve();
    });
    socket.on('error', () => {});
  });
  const parts = Array.isArray(input) ? input : [input];
  for (const part of parts) {
    if (socket.destroyed) break;
    socket.write(part);
    if (parts.length > 1) await new Promise((r) => setTimeout(r, gapMs));
  }
  if (end) socket.end();
  await done;
  socket.destroy();
  return { text: Buffer.concat(chunks).toString('latin1'), closed };
}
