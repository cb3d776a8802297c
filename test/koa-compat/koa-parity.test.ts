// Differential test: the same middleware runs on Koa 3 (over node:http) and on sluice, and
// the answers must match in status, the headers that carry meaning, and body.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import Koa from 'koa';
import { raw, start } from './helpers.js';

// Headers that legitimately differ (engine-owned framing and the clock) are not compared.
const COMPARED = ['content-type', 'content-length', 'location', 'content-disposition', 'vary', 'etag', 'last-modified', 'set-cookie', 'x-out', 'allow'];

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parse(response: Buffer): Answer {
  const text = response.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (COMPARED.includes(name)) headers[name] = headers[name] ? `${headers[name]} | ${line.slice(colon + 1).trim()}` : line.slice(colon + 1).trim();
  }
  return { status: Number(lines[0].split(' ')[1]), headers, body: text.slice(split + 4) };
}

async function onKoa(middleware: (ctx: any) => unknown, request: string): Promise<Answer> {
  const koa = new Koa();
  koa.silent = true;
  koa.use(middleware);
  const server = koa.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    return parse(await raw((server.address() as AddressInfo).port, request));
  } finally {
    server.close();
    server.closeAllConnections();
  }
}

async function onSluice(middleware: (ctx: any) => unknown, request: string): Promise<Answer> {
  const s = await start([middleware]);
  try {
    return parse(await raw(s.port, request));
  } finally {
    await s.close();
  }
}

const GET = (target = '/', extra = '') => `GET ${target} HTTP/1.1\r\nHost: h\r\n${extra}Connection: close\r\n\r\n`;

const cases: Array<[string, (ctx: any) => unknown, string]> = [
  ['text body', (ctx) => { ctx.body = 'hello'; }, GET()],
  ['html body', (ctx) => { ctx.body = '\n <p>x</p>'; }, GET()],
  ['JSON body', (ctx) => { ctx.body = { a: [1, 'two'], b: null }; }, GET()],
  ['Buffer body', (ctx) => { ctx.body = Buffer.from('bytes'); }, GET()],
  ['null body', (ctx) => { ctx.body = null; }, GET()],
  ['null body then status 200', (ctx) => { ctx.body = null; ctx.status = 200; }, GET()],
  ['status without body', (ctx) => { ctx.status = 202; }, GET()],
  ['custom message', (ctx) => { ctx.status = 400; ctx.message = 'Nope'; }, GET()],
  ['body then 304', (ctx) => { ctx.body = 'x'; ctx.status = 304; }, GET()],
  ['type shorthand', (ctx) => { ctx.type = 'xml'; ctx.body = '<a/>'; }, GET()],
  ['redirect, HTML client', (ctx) => { ctx.redirect('/to?a=b c'); }, GET('/', 'Accept: text/html\r\n')],
  ['redirect, text client', (ctx) => { ctx.redirect('http://example.com/a b'); }, GET('/', 'Accept: text/plain\r\n')],
  ['back to same-host Referer', (ctx) => { ctx.back('/alt'); }, GET('/', 'Referer: http://h/prev\r\n')],
  ['back from another site', (ctx) => { ctx.back('/alt'); }, GET('/', 'Referer: http://evil/x\r\n')],
  ['attachment', (ctx) => { ctx.attachment('report 2024.pdf'); ctx.body = 'pdf'; }, GET()],
  ['vary twice', (ctx) => { ctx.vary('Accept'); ctx.vary('Origin'); ctx.vary('accept'); ctx.body = 'v'; }, GET()],
  ['set, append, remove', (ctx) => { ctx.set('X-Out', '1'); ctx.append('X-Out', ['2', '3']); ctx.set('X-Gone', 'g'); ctx.remove('X-Gone'); ctx.body = 's'; }, GET()],
  ['etag and lastModified', (ctx) => { ctx.etag = 'abc'; ctx.lastModified = new Date(0); ctx.body = 'e'; }, GET()],
  ['fresh gives 304', (ctx) => { ctx.etag = 'abc'; ctx.status = 200; if (ctx.fresh) ctx.status = 304; else ctx.body = 'stale'; }, GET('/', 'If-None-Match: "abc"\r\n')],
  ['query parsing', (ctx) => { ctx.body = { q: ctx.query, qs: ctx.querystring, path: ctx.path, search: ctx.search }; }, GET('/p%20q/?a=1&a=2&b=%20')],
  ['host and hostname', (ctx) => { ctx.body = [ctx.host, ctx.hostname, ctx.origin, ctx.URL.href, ctx.href, ctx.protocol, ctx.subdomains]; }, 'GET /x HTTP/1.1\r\nHost: a.b.example.org:8080\r\nConnection: close\r\n\r\n'],
  ['accepts', (ctx) => { ctx.body = [ctx.accepts('json', 'html'), ctx.acceptsEncodings('gzip', 'br'), ctx.acceptsLanguages('en', 'fr')]; }, GET('/', 'Accept: text/html;q=0.9, application/json\r\nAccept-Encoding: br;q=0.5, gzip\r\nAccept-Language: fr\r\n')],
  ['is() without a body', (ctx) => { ctx.body = String(ctx.is('json')); }, GET()],
  ['origin is the Origin header', (ctx) => { ctx.body = [ctx.origin, ctx.request.origin]; }, GET('/', 'Origin: https://app.example\r\n')],
  ['cookies', (ctx) => { ctx.cookies.set('a', ctx.cookies.get('in') ?? 'none', { path: '/x', sameSite: 'strict' }); ctx.body = 'c'; }, GET('/', 'Cookie: in=val\r\n')],
  ['HEAD of a text body', (ctx) => { ctx.body = 'headless'; }, 'HEAD / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'],
  ['length of a multibyte string', (ctx) => { ctx.body = 'é€'; ctx.set('X-Out', String(ctx.length)); }, GET()],
];

for (const [name, middleware, request] of cases) {
  test(`same answer as Koa: ${name}`, async (t) => {
    const koa = await onKoa(middleware, request);
    const sluice = await onSluice(middleware, request);
    t.deepEqual(sluice, koa);
  });
}
