/** serveStatic through a real app and real requests: methods, types, headers, mount prefix, index, redirects, extensions, dotfiles, fallthrough and 404 pages. */
import test from 'ava';
import { SluiceError } from '@sluice/core';
import { serveStatic } from '@sluice/static';
import { makeSite, rawRequest, start } from './helpers.js';

const FILES = {
  'hello.txt': 'hello world\n',
  'page.html': '<p>page</p>\n',
  'style.css': 'body{}\n',
  'app.js': 'console.log(1)\n',
  'data.json': '{"a":1}\n',
  'image.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]),
  'module.wasm': Buffer.from([0, 0x61, 0x73, 0x6d]),
  'noext': 'x',
  'index.html': '<h1>home</h1>\n',
  'docs/index.html': '<h1>docs</h1>\n',
  'docs/guide.html': '<h1>guide</h1>\n',
  'empty/': '',
  'about.html': '<h1>about</h1>\n',
  'a b/c d.txt': 'spaced\n',
  '.env': 'SECRET=1\n',
  '.well-known/security.txt': 'Contact: x\n',
  'zero.txt': '',
};

test('GET serves the file with type, length, ETag, Last-Modified, Cache-Control and Accept-Ranges', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root }));
  try {
    const res = await fetch(`${s.url}/hello.txt`);
    t.is(res.status, 200);
    t.is(await res.text(), 'hello world\n');
    t.is(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    t.is(res.headers.get('content-length'), '12');
    t.regex(res.headers.get('etag') ?? '', /^"c-[0-9a-f]+"$/);
    t.truthy(Date.parse(res.headers.get('last-modified') ?? ''));
    t.is(res.headers.get('cache-control'), 'public, max-age=0');
    t.is(res.headers.get('accept-ranges'), 'bytes');
    t.is(res.headers.get('x-content-type-options'), null);
  } finally {
    await s.close();
    site.remove();
  }
});

test('HEAD returns the GET headers without a body', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root }));
  try {
    const get = await rawRequest(s.port, '/hello.txt');
    const head = await rawRequest(s.port, '/hello.txt', { method: 'HEAD' });
    t.is(head.status, 200);
    t.is(head.headers['content-length'], '12');
    t.is(head.headers.etag, get.headers.etag);
    t.is(head.headers['content-type'], get.headers['content-type']);
    t.true(head.text.endsWith('\r\n\r\n'), 'nothing after the head');
  } finally {
    await s.close();
    site.remove();
  }
});

test('types come from mime-types with a charset for text, user types override, unknown is octet-stream', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root, mime: { '.wasm': 'application/wasm', noext: 'text/x-custom' } }));
  try {
    const types: Record<string, string> = {
      '/page.html': 'text/html; charset=utf-8',
      '/style.css': 'text/css; charset=utf-8',
      '/app.js': 'application/javascript; charset=utf-8',
      '/data.json': 'application/json; charset=utf-8',
      '/image.png': 'image/png',
      '/module.wasm': 'application/wasm',
      '/noext': 'application/octet-stream',
    };
    for (const [path, type] of Object.entries(types)) {
      const res = await fetch(s.url + path);
      await res.arrayBuffer();
      t.is(res.headers.get('content-type'), type, path);
    }
  } finally {
    await s.close();
    site.remove();
  }
});

test('nosniff option sends X-Content-Type-Options', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root, nosniff: true }));
  try {
    const res = await fetch(`${s.url}/hello.txt`);
    await res.text();
    t.is(res.headers.get('x-content-type-options'), 'nosniff');
  } finally {
    await s.close();
    site.remove();
  }
});

test('Cache-Control comes from maxAgeSeconds and immutable, or from the per-path function', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({
    root: site.root,
    maxAgeSeconds: 3600,
    immutable: true,
    cacheControl: (file) => (file.relativePath.endsWith('.html') ? 'no-cache' : undefined),
  }));
  try {
    const css = await fetch(`${s.url}/style.css`);
    await css.text();
    t.is(css.headers.get('cache-control'), 'public, max-age=3600, immutable');
    const html = await fetch(`${s.url}/docs/guide.html`);
    await html.text();
    t.is(html.headers.get('cache-control'), 'no-cache');
  } finally {
    await s.close();
    site.remove();
  }
});

test('weak ETags and no validators when disabled', async (t) => {
  const site = makeSite(FILES);
  const weak = await start(serveStatic({ root: site.root, etag: 'weak' }));
  const none = await start(serveStatic({ root: site.root, etag: false, lastModified: false }));
  try {
    const w = await fetch(`${weak.url}/hello.txt`);
    await w.text();
    t.regex(w.headers.get('etag') ?? '', /^W\/"c-[0-9a-f]+"$/);
    const n = await fetch(`${none.url}/hello.txt`);
    await n.text();
    t.is(n.headers.get('etag'), null);
    t.is(n.headers.get('last-modified'), null);
  } finally {
    await weak.close();
    await none.close();
    site.remove();
  }
});

test('an empty file is served with Content-Length 0', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root }));
  try {
    const res = await rawRequest(s.port, '/zero.txt');
    t.is(res.status, 200);
    t.is(res.headers['content-length'], '0');
  } finally {
    await s.close();
    site.remove();
  }
});

test('percent-encoded names are decoded', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root }));
  try {
    const res = await fetch(`${s.url}/a%20b/c%20d.txt`);
    t.is(res.status, 200);
    t.is(await res.text(), 'spaced\n');
  } finally {
    await s.close();
    site.remove();
  }
});

test('the index file answers for a directory URL ending in /', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root }));
  try {
    const root = await fetch(`${s.url}/`);
    t.is(await root.text(), '<h1>home</h1>\n');
    t.is(root.headers.get('content-type'), 'text/html; charset=utf-8');
    const docs = await fetch(`${s.url}/docs/`);
    t.is(await docs.text(), '<h1>docs</h1>\n');
  } finally {
    await s.close();
    site.remove();
  }
});

test('custom index names are tried in order; index: false disables them', async (t) => {
  const site = makeSite({ ...FILES, 'docs/default.htm': 'default' });
  const custom = await start(serveStatic({ root: site.root, index: ['default.htm', 'index.html'] }));
  const off = await start(serveStatic({ root: site.root, index: false }));
  try {
    t.is(await (await fetch(`${custom.url}/docs/`)).text(), 'default');
    t.is((await rawRequest(off.port, '/docs/')).status, 404);
  } finally {
    await custom.close();
    await off.close();
    site.remove();
  }
});

test('a directory without its trailing slash is redirected with 301, keeping the query', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root }));
  try {
    const res = await rawRequest(s.port, '/docs?x=1&y=%20');
    t.is(res.status, 301);
    t.is(res.headers.location, '/docs/?x=1&y=%20');
    const spaced = await rawRequest(s.port, '/a%20b');
    t.is(spaced.headers.location, '/a%20b/');
  } finally {
    await s.close();
    site.remove();
  }
});

test('a doubled leading slash cannot turn the redirect into a protocol-relative URL', async (t) => {
  const site = makeSite({ ...FILES, 'evil.com/': '' });
  const s = await start(serveStatic({ root: site.root }));
  try {
    const res = await rawRequest(s.port, '//evil.com');
    t.is(res.status, 301);
    t.is(res.headers.location, '/evil.com/');
  } finally {
    await s.close();
    site.remove();
  }
});

test('redirect: false lets a directory without slash fall through to 404', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root, redirect: false }));
  try {
    t.is((await rawRequest(s.port, '/docs')).status, 404);
  } finally {
    await s.close();
    site.remove();
  }
});

test('a file asked for with a trailing slash is not found', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root }));
  try {
    t.is((await rawRequest(s.port, '/hello.txt/')).status, 404);
  } finally {
    await s.close();
    site.remove();
  }
});

test('the mount prefix serves only beneath it, with the prefix removed', async (t) => {
  const site = makeSite(FILES);
  const s = await start([
    serveStatic({ root: site.root, prefix: '/assets/' }),
    (ctx) => {
      ctx.body = `app:${ctx.path}`;
    },
  ]);
  try {
    t.is(await (await fetch(`${s.url}/assets/hello.txt`)).text(), 'hello world\n');
    t.is(await (await fetch(`${s.url}/hello.txt`)).text(), 'app:/hello.txt');
    t.is(await (await fetch(`${s.url}/assetsx/hello.txt`)).text(), 'app:/assetsx/hello.txt');
    const bare = await rawRequest(s.port, '/assets?v=2');
    t.is(bare.status, 301);
    t.is(bare.headers.location, '/assets/?v=2');
    const dir = await rawRequest(s.port, '/assets/docs');
    t.is(dir.headers.location, '/assets/docs/');
  } finally {
    await s.close();
    site.remove();
  }
});

test('extensions fallback: /about serves about.html', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root, extensions: ['htm', 'html'] }));
  try {
    const res = await fetch(`${s.url}/about`);
    t.is(res.status, 200);
    t.is(await res.text(), '<h1>about</h1>\n');
    t.is(res.headers.get('content-type'), 'text/html; charset=utf-8');
    t.is((await rawRequest(s.port, '/missing')).status, 404);
  } finally {
    await s.close();
    site.remove();
  }
});

test('dotfiles are ignored by default (404), denied with 403, or served with allow', async (t) => {
  const site = makeSite(FILES);
  const ignore = await start(serveStatic({ root: site.root }));
  const deny = await start(serveStatic({ root: site.root, dotfiles: 'deny', fallthrough: false }));
  const allow = await start(serveStatic({ root: site.root, dotfiles: 'allow' }));
  try {
    for (const path of ['/.env', '/.well-known/security.txt', '/%2eenv']) {
      const ignored = await rawRequest(ignore.port, path);
      t.is(ignored.status, 404, path);
      t.false(ignored.text.includes('SECRET'));
      const denied = await rawRequest(deny.port, path);
      t.is(denied.status, 403, path);
      t.false(denied.text.includes('SECRET'));
    }
    t.is(await (await fetch(`${allow.url}/.env`)).text(), 'SECRET=1\n');
    t.is(await (await fetch(`${allow.url}/.well-known/security.txt`)).text(), 'Contact: x\n');
  } finally {
    await ignore.close();
    await deny.close();
    await allow.close();
    site.remove();
  }
});

test('other methods fall through by default', async (t) => {
  const site = makeSite(FILES);
  const s = await start([
    serveStatic({ root: site.root }),
    (ctx) => {
      ctx.body = `handled ${ctx.method}`;
    },
  ]);
  try {
    const res = await fetch(`${s.url}/hello.txt`, { method: 'POST', body: 'x' });
    t.is(await res.text(), 'handled POST');
  } finally {
    await s.close();
    site.remove();
  }
});

test('with fallthrough: false other methods get 405 with Allow', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root, fallthrough: false }));
  try {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const res = await rawRequest(s.port, '/hello.txt', { method, headers: { 'Content-Length': '0' } });
      t.is(res.status, 405, method);
      t.is(res.headers.allow, 'GET, HEAD');
    }
  } finally {
    await s.close();
    site.remove();
  }
});

test('a missing file falls through to the next middleware', async (t) => {
  const site = makeSite(FILES);
  const s = await start([
    serveStatic({ root: site.root }),
    (ctx) => {
      ctx.body = 'dynamic';
    },
  ]);
  try {
    t.is(await (await fetch(`${s.url}/nothing-here`)).text(), 'dynamic');
  } finally {
    await s.close();
    site.remove();
  }
});

test("a 404 goes through the application's error handler (custom 404 page), with and without fallthrough", async (t) => {
  const site = makeSite(FILES);
  const errorHandler = (error: { status?: number }, ctx: { status: number; type: string; body: unknown }) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = `<h1>custom ${ctx.status}</h1>`;
  };
  const through = await start(serveStatic({ root: site.root }), { errorHandler: errorHandler as never });
  const strict = await start(serveStatic({ root: site.root, fallthrough: false }), { errorHandler: errorHandler as never });
  try {
    for (const s of [through, strict]) {
      const res = await fetch(`${s.url}/nope.html`);
      t.is(res.status, 404);
      t.is(await res.text(), '<h1>custom 404</h1>');
    }
  } finally {
    await through.close();
    await strict.close();
    site.remove();
  }
});

test('errors raised by serveStatic are SluiceErrors with stable codes, seen by error middleware', async (t) => {
  const site = makeSite(FILES);
  const seen: string[] = [];
  const s = await start([
    async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        t.true(error instanceof SluiceError);
        seen.push((error as SluiceError).code);
        throw error;
      }
    },
    serveStatic({ root: site.root, fallthrough: false, dotfiles: 'deny' }),
  ]);
  try {
    await rawRequest(s.port, '/nope');
    await rawRequest(s.port, '/.env');
    await rawRequest(s.port, '/%zz');
    await rawRequest(s.port, '/hello.txt', { method: 'DELETE' });
    t.deepEqual(seen, ['SLUICE_ERR_STATIC_NOT_FOUND', 'SLUICE_ERR_STATIC_DOTFILE', 'SLUICE_ERR_STATIC_BAD_PATH', 'SLUICE_ERR_STATIC_METHOD']);
  } finally {
    await s.close();
    site.remove();
  }
});

test('a directory without index is 404 unless listing is on', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root }));
  try {
    t.is((await rawRequest(s.port, '/empty/')).status, 404);
  } finally {
    await s.close();
    site.remove();
  }
});

test('keep-alive: many requests on one connection, file bodies framed exactly', async (t) => {
  const site = makeSite(FILES);
  const s = await start(serveStatic({ root: site.root }));
  try {
    const one = 'GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n';
    const res = await (await import('./helpers.js')).raw(s.port, one.repeat(5) + 'GET /page.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    t.is(res.text.split('HTTP/1.1 200 OK').length - 1, 6);
    t.is(res.text.split('hello world\n').length - 1, 5);
    t.true(res.text.endsWith('<p>page</p>\n'));
  } finally {
    await s.close();
    site.remove();
  }
});
