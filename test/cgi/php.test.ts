import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { startCgi } from './helpers.js';

const PHP_ROOT = fileURLToPath(new URL('./fixtures/php', import.meta.url));
const php = () => startCgi({ root: PHP_ROOT, interpreters: { '.php': '/usr/bin/php-cgi' } });

test('php-cgi: GET with a query and PATH_INFO', async (t) => {
  const s = await php();
  t.teardown(s.close);
  const res = await fetch(`${s.url}/get.php/some/info?name=sluice%20user`);
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'text/plain;charset=UTF-8');
  t.is(await res.text(), 'method=GET\nname=sluice user\npath_info=/some/info\nscript=/get.php\n');
});

test('php-cgi: urlencoded POST', async (t) => {
  const s = await php();
  t.teardown(s.close);
  const res = await fetch(`${s.url}/post.php`, { method: 'POST', body: new URLSearchParams({ b: 'two words', a: 'ü&=', 'list[]': 'x' }) });
  t.is(await res.text(), 'a=ü&=\nb=two words\nlist=x\n');
});

test('php-cgi: a 1 MiB multipart upload arrives intact (checksum)', async (t) => {
  const s = await php();
  t.teardown(s.close);
  const bytes = randomBytes(1024 * 1024);
  const form = new FormData();
  form.set('note', 'big file');
  form.set('file', new Blob([bytes]), 'random.bin');
  const res = await fetch(`${s.url}/upload.php`, { method: 'POST', body: form });
  t.is(res.status, 200);
  t.is(await res.text(), `name=random.bin\nsize=${bytes.length}\nsha256=${createHash('sha256').update(bytes).digest('hex')}\nnote=big file\n`);
});

test("php-cgi: header('Location: ...') is a redirect the client sees (PHP adds Status: 302)", async (t) => {
  const s = await php();
  t.teardown(s.close);
  const res = await fetch(`${s.url}/redirect.php`, { redirect: 'manual' });
  t.is(res.status, 302);
  t.is(res.headers.get('location'), '/get.php?name=redirected');
  const followed = await fetch(`${s.url}/redirect.php`);
  t.regex(await followed.text(), /^name=redirected$/m);
  const absolute = await fetch(`${s.url}/redirect.php?to=${encodeURIComponent('https://example.com/x')}`, { redirect: 'manual' });
  t.is(absolute.status, 302);
  t.is(absolute.headers.get('location'), 'https://example.com/x');
});

test('php-cgi: a Status header sets the response status', async (t) => {
  const s = await php();
  t.teardown(s.close);
  const res = await fetch(`${s.url}/status.php`);
  t.is(res.status, 404);
  t.is(res.headers.get('x-php'), 'yes');
  t.is(await res.text(), 'custom not found\n');
});

test('php-cgi: Authorization reaches PHP only with passAuthorization', async (t) => {
  const hidden = await php();
  t.teardown(hidden.close);
  t.is(await (await fetch(`${hidden.url}/auth.php`, { headers: { Authorization: 'Basic YTpi' } })).text(), 'authorization=(hidden)\n');
  const passed = await startCgi({ root: PHP_ROOT, interpreters: { '.php': '/usr/bin/php-cgi' }, passAuthorization: true });
  t.teardown(passed.close);
  t.is(await (await fetch(`${passed.url}/auth.php`, { headers: { Authorization: 'Basic YTpi' } })).text(), 'authorization=Basic YTpi\n');
});

test('php-cgi: a missing .php file is left to the next middleware (404 here), PHP source is never served', async (t) => {
  const s = await php();
  t.teardown(s.close);
  const res = await fetch(`${s.url}/nope.php`);
  t.is(res.status, 404);
  t.notRegex(await res.text(), /<\?php/);
});
