/**
 * The access log of the real `sluice` command: what each line says about the client, for
 * requests the middleware answers and for those core answers before it (TRACE, OPTIONS *),
 * and that nothing a client sends can start, split or forge a line.
 */

import { once } from 'node:events';
import net from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { startSluice, tempSite, until, type Running } from './helpers.js';

/** Sends `request` on a raw socket from `localAddress` and waits for the server to close. */
async function send(port: number, request: string, localAddress = '127.0.0.1'): Promise<string> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.end(request);
  await once(socket, 'close');
  return Buffer.concat(chunks).toString('latin1');
}

/** The access-log line for `requestLine` once it has been written. */
async function logLine(sluice: Running, requestLine: string): Promise<string> {
  await until(() => sluice.stdout().includes(`"${requestLine} HTTP/1.1"`));
  return sluice.stdout().split('\n').find((line) => line.includes(`"${requestLine} HTTP/1.1"`)) as string;
}

async function proxied(t: ExecutionContext, trustedProxies: string[]): Promise<Running> {
  const dir = tempSite(t, { 'sluice.json': JSON.stringify({ port: 0, root: '.', proxy: true, trustedProxies }), 'index.html': 'x' });
  return startSluice(t, ['--config', `${dir}/sluice.json`]);
}

const forgedRequests = [
  ['TRACE', 'TRACE / HTTP/1.1'],
  ['OPTIONS *', 'OPTIONS * HTTP/1.1'],
  ['GET', 'GET / HTTP/1.1'],
] as const;

for (const [name, requestLine] of forgedRequests) {
  test.serial(`${name} from an untrusted peer is logged with the peer's address, not its X-Forwarded-For`, async (t) => {
    const sluice = await proxied(t, ['10.0.0.0/8']);
    await send(sluice.port, `${requestLine}\r\nHost: a\r\nX-Forwarded-For: 6.6.6.6 "forged\r\nConnection: close\r\n\r\n`);
    const line = await logLine(sluice, requestLine.slice(0, -9));
    t.regex(line, /^127\.0\.0\.1 - - \[/);
    t.false(line.includes('6.6.6.6'));
  });

  test.serial(`${name} from a trusted proxy is logged with the forwarded client, and a forwarded entry that is not an IP is never believed`, async (t) => {
    const sluice = await proxied(t, ['127.0.0.1']);
    await send(sluice.port, `${requestLine}\r\nHost: a\r\nX-Forwarded-For: 203.0.113.9\r\nConnection: close\r\n\r\n`);
    t.regex(await logLine(sluice, requestLine.slice(0, -9)), /^203\.0\.113\.9 - - \[/);
    await send(sluice.port, `${requestLine}\r\nHost: a\r\nX-Forwarded-For: 6.6.6.6 "forged\r\nConnection: close\r\n\r\n`);
    await until(() => sluice.stdout().trimEnd().split('\n').length >= 3);
    const last = sluice.stdout().trimEnd().split('\n').at(-1) as string;
    t.regex(last, /^127\.0\.0\.1 - - \[/);
    t.false(last.includes('6.6.6.6'));
  });
}
