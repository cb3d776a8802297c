/**
 * The proxy-trust middleware and the virtual-host chooser on a real app over a real
 * socket (the command-level behaviour is tested in test/server/).
 */

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { Application, type Context } from '@sluice/core';
import { addressMatcher, hostChooser, trustProxies } from '@sluice/server';

test('addressMatcher: addresses, IPv4 and IPv6 ranges, IPv4-mapped IPv6', (t) => {
  const trusted = addressMatcher(['127.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1']);
  t.true(trusted('127.0.0.1'));
  t.true(trusted('::ffff:127.0.0.1'));
  t.true(trusted('10.200.3.4'));
  t.true(trusted('fd12::1'));
  t.true(trusted('::1'));
  t.false(trusted('127.0.0.2'));
  t.false(trusted('11.0.0.1'));
  t.false(trusted('fe80::1'));
  t.false(trusted('not an address'));
  t.false(trusted(''));
});

async function clientView(trusted: string[], headers: Record<string, string>): Promise<Record<string, unknown>> {
  const app = new Application({ proxy: true, trustedProxies: trusted });
  app.use(trustProxies());
  app.use((ctx) => {
    ctx.body = { ip: ctx.ip, ips: ctx.ips, protocol: ctx.protocol, host: ctx.host, forwarded: ctx.get('Forwarded'), forwardedFor: ctx.get('X-Forwarded-For') };
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const reply = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { headers });
    return (await reply.json()) as Record<string, unknown>;
  } finally {
    await app.close(100);
  }
}

const forged = { 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example', Forwarded: 'for=203.0.113.9' };

test('an untrusted peer loses every forwarding header', async (t) => {
  const view = await clientView(['10.0.0.0/8'], forged);
  t.is(view.ip, '127.0.0.1');
  t.deepEqual(view.ips, []);
  t.is(view.forwardedFor, '');
  t.is(view.protocol, 'http');
  t.regex(view.host as string, /^127\.0\.0\.1:\d+$/);
  t.is(view.forwarded, '');
});

test('a trusted peer keeps them', async (t) => {
  const view = await clientView(['127.0.0.1'], forged);
  t.is(view.ip, '203.0.113.9');
  t.is(view.protocol, 'https');
  t.is(view.host, 'evil.example');
});

test('a chain is cut at the right-most untrusted address', async (t) => {
  const view = await clientView(['127.0.0.1', '10.0.0.0/8'], { 'X-Forwarded-For': '6.6.6.6, 198.51.100.1, 10.0.0.2, 10.0.0.3' });
  t.is(view.ip, '198.51.100.1');
  t.deepEqual(view.ips, ['198.51.100.1', '10.0.0.2', '10.0.0.3']);
  t.is(view.forwardedFor, '198.51.100.1, 10.0.0.2, 10.0.0.3');
});

test('handlers never see a forwarded entry that is not an IP address, nor anything left of it', async (t) => {
  const view = await clientView(['127.0.0.1'], { 'X-Forwarded-For': '1.1.1.1, 6.6.6.6 "forged, 203.0.113.9' });
  t.is(view.ip, '203.0.113.9');
  t.is(view.forwardedFor, '203.0.113.9');
  const none = await clientView(['127.0.0.1'], { 'X-Forwarded-For': '6.6.6.6 "forged' });
  t.is(none.ip, '127.0.0.1');
  t.is(none.forwardedFor, '');
});

test('a chain of trusted addresses only yields its left-most one', async (t) => {
  const view = await clientView(['127.0.0.1', '10.0.0.0/8'], { 'X-Forwarded-For': '10.0.0.1, 10.0.0.2' });
  t.is(view.ip, '10.0.0.1');
});

test('hostChooser: exact, longest *.domain, *, then the fallback; case, port and trailing dot ignored', (t) => {
  const pick = hostChooser([['a.test', 'a'], ['*.b.test', 'b'], ['*.x.b.test', 'xb']], 'fallback');
  const ctx = (hostname: string) => ({ hostname }) as Context;
  t.is(pick(ctx('a.test')), 'a');
  t.is(pick(ctx('A.Test.')), 'a');
  t.is(pick(ctx('w.b.test')), 'b');
  t.is(pick(ctx('w.x.b.test')), 'xb');
  t.is(pick(ctx('b.test')), 'fallback');
  t.is(pick(ctx('')), 'fallback');
  t.is(hostChooser([['*', 'any']], 'fallback')(ctx('z.test')), 'any');
});
