/**
 * An application on 127.0.0.1 and an ephemeral port, fresh per test. Must never reuse an app
 * or a port between tests.
 */

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Application, type ApplicationOptions, type ListenOptions, type Middleware } from '@sluice/core';

/** Where a listening app can be reached. */
export interface Listening {
  port: number;
  /** `http://127.0.0.1:<port>` (`https` with TLS). */
  url: string;
}

/** An app started by {@link start}. */
export interface Running extends Listening {
  app: Application;
  /** Closes the app (1 s of grace for requests in flight). */
  close(): Promise<void>;
}

/** Listens with `app` on 127.0.0.1 and an ephemeral port (HTTPS with `tls`); resolves once it listens. */
export async function listen(app: Application<any, any>, tls?: ListenOptions['tls']): Promise<Listening> {
  const server = app.listen({ port: 0, host: '127.0.0.1', tls });
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return { port, url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}` };
}

/** Starts a fresh app with `middleware` (in order) on 127.0.0.1 and an ephemeral port. */
export async function start(middleware: Middleware | Middleware[], options: ApplicationOptions = {}): Promise<Running> {
  const app = new Application(options);
  for (const fn of Array.isArray(middleware) ? middleware : [middleware]) app.use(fn);
  return { app, ...(await listen(app)), close: () => app.close(1000) };
}
