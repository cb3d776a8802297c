/** Test helpers: a fresh app on an ephemeral port, and a ws client that collects what it receives. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Application, type ApplicationOptions, type Middleware } from '@sluice/core';
import WebSocket, { type ClientOptions } from 'ws';

export interface Running {
  app: Application;
  port: number;
  url: string;
  close(graceMs?: number): Promise<void>;
}

/** Starts a fresh app with `middleware` on 127.0.0.1 and an ephemeral port. */
export async function start(middleware: Middleware<any, any> | Array<Middleware<any, any>>, options: ApplicationOptions = {}): Promise<Running> {
  const app = new Application(options);
  for (const fn of Array.isArray(middleware) ? middleware : [middleware]) app.use(fn);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return { app, port, url: `ws://127.0.0.1:${port}`, close: (graceMs = 1000) => app.close(graceMs) };
}

/** Opens a ws client to `url`; resolves once open (rejects on a refused handshake). */
export async function open(url: string, protocols?: string | string[], options?: ClientOptions): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, options);
  await once(ws, 'open');
  return ws;
}

/** The next message `ws` receives, with its binary flag. */
export async function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  const [data, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
  return { data, isBinary };
}

/** Resolves with the close code and reason `ws` receives. */
export async function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
  return { code, reason: reason.toString() };
}
