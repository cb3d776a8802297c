/**
 * Test helpers for @sluice/wsgi-bridge's unit tests: an app on an ephemeral port whose only
 * middleware is the one under test, and the shared raw socket and recording logger
 * (@sluice/test-support). Must never start Python: the units run without it.
 */
import type { ExecutionContext } from 'ava';
import { Application, type Middleware } from '@sluice/core';
import { listen, raw, recordingLogger } from '@sluice/test-support';

export { recordingLogger };

/** Starts a fresh app running `middleware` on 127.0.0.1:0, closed at teardown; resolves with its port. */
export async function serve(t: ExecutionContext, middleware: Middleware): Promise<number> {
  const app = new Application({ logger: recordingLogger() });
  app.use(middleware);
  t.teardown(() => app.close(500));
  return (await listen(app)).port;
}

/** Writes `input` on a new connection; resolves with every byte received (latin-1) once the server closes it. */
export async function rawExchange(port: number, input: string | Buffer): Promise<string> {
  return (await raw(port, input)).text;
}
