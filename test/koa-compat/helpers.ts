/** Starts a fresh sluice app with Koa middleware on 127.0.0.1 and an ephemeral port; raw socket exchanges. */
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { Application, type ApplicationOptions, type Middleware } from '@sluice/core';

export interface Running {
  app: Application;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** A fresh app with `middleware` in order (Koa middleware are passed as is, unmodified). */
export async function start(middleware: Middleware[], options: ApplicationOptions = {}): Promise<Running> {
  const app = new Application(options);
  for (const fn of middleware) app.use(fn);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return { app, port, url: `http://127.0.0.1:${port}`, close: () => app.close(1000) };
}

/** Writes one request and reads until the server closes (send `Connection: close`). */
export async function raw(port: number, input: string | Buffer): Promise<Buffer> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.write(input);
  await Promise.race([once(socket, 'close'), new Promise((r) => setTimeout(r, 2000))]);
  socket.destroy();
  return Buffer.concat(chunks);
}
