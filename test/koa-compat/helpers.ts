/** Starts a fresh sluice app with Koa middleware (passed as is, unmodified) on an ephemeral port; raw socket exchanges. */
import { raw as rawExchange } from '@sluice/test-support';

export { start, type Running } from '@sluice/test-support';

/** Writes one request and reads until the server closes (send `Connection: close`) or 2 s pass. */
export async function raw(port: number, input: string | Buffer): Promise<Buffer> {
  return Buffer.from((await rawExchange(port, input, { timeoutMs: 2000 })).text, 'latin1');
}
