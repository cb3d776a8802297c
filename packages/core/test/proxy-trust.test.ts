// Proxy trust as pure functions (addresses, ranges, forwarded chains) and through the API:
// which X-Forwarded-* headers ctx believes with `proxy` and `trustedProxies`.
import test from 'ava';
import { addressMatcher, Application, forwardedAddresses, isAddressOrRange } from '@sluice/core';
import { start } from './helpers.js';

test('isAddressOrRange accepts IPv4/IPv6 addresses and CIDR ranges only', (t) => {
  for (const good of ['127.0.0.1', '::1', '10.0.0.0/8', 'fd00::/8', '0.0.0.0/0']) t.true(isAddressOrRange(good), good);
  for (const bad of ['', 'localhost', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', '10.0.0.0/x', '6.6.6.6 "x']) t.false(isAddressOrRange(bad), bad);
});

test('forwardedAddresses keeps only entries that parse as IP addresses, read from the right', (t) => {
  t.deepEqual(forwardedAddresses('198.51.100.1, 203.0.113.9 ,10.0.0.2'), ['198.51.100.1', '203.0.113.9', '10.0.0.2']);
  t.deepEqual(forwardedAddresses('6.6.6.6 "forged'), []);
  t.deepEqual(forwardedAddresses('1.1.1.1, 6.6.6.6 "forged, 203.0.113.9'), ['203.0.113.9']);
  t.deepEqual(forwardedAddresses('1.1.1.1, , 203.0.113.9'), ['203.0.113.9']);
  t.deepEqual(forwardedAddresses('203.0.113.9:4711'), []);
});

test('forwardedAddresses with trusted proxies stops at the right-most untrusted address', (t) => {
  const trusted = addressMatcher(['10.0.0.0/8']);
  t.deepEqual(forwardedAddresses('6.6.6.6, 198.51.100.1, 10.0.0.2, 10.0.0.3', trusted), ['198.51.100.1', '10.0.0.2', '10.0.0.3']);
  t.deepEqual(forwardedAddresses('10.0.0.1, 10.0.0.2', trusted), ['10.0.0.1', '10.0.0.2']);
});

test('trustedProxies: a bad entry is refused at construction, naming the key', (t) => {
  t.throws(() => new Application({ trustedProxies: ['10.0.0.0/33'] }), { message: /trustedProxies/ });
});

async function view(options: ConstructorParameters<typeof Application>[0], headers: Record<string, string>): Promise<unknown> {
  const s = await start([(ctx) => {
    ctx.body = { ip: ctx.ip, ips: ctx.ips, protocol: ctx.protocol, host: ctx.host };
  }], options);
  try {
    return await (await fetch(s.url, { headers })).json();
  } finally {
    await s.close();
  }
}

const forged = { 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example' };

test('with proxy and trustedProxies, a peer outside the list has every X-Forwarded-* header ignored', async (t) => {
  const seen = (await view({ proxy: true, trustedProxies: ['10.0.0.0/8'] }, forged)) as Record<string, unknown>;
  t.like(seen, { ip: '127.0.0.1', ips: [], protocol: 'http' });
  t.regex(seen.host as string, /^127\.0\.0\.1:\d+$/);
});

test('with proxy and trustedProxies, a listed peer is believed, up to the right-most untrusted address', async (t) => {
  t.like(await view({ proxy: true, trustedProxies: ['127.0.0.1'] }, forged), { ip: '203.0.113.9', protocol: 'https', host: 'evil.example' });
  t.like(await view({ proxy: true, trustedProxies: ['127.0.0.1'] }, { 'X-Forwarded-For': '6.6.6.6, 203.0.113.9' }), { ip: '203.0.113.9', ips: ['203.0.113.9'] });
});

test('with proxy, a forwarded entry that is not an IP address is never the client', async (t) => {
  t.like(await view({ proxy: true }, { 'X-Forwarded-For': '6.6.6.6 "forged' }), { ip: '127.0.0.1', ips: [] });
});
