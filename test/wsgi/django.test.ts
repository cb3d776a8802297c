/** The Django example project (examples/wsgi/django) with Debian's python3-django: admin login and CSRF-protected POSTs. */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXAMPLES_DIR, PYTHON, startWsgi } from './helpers.js';

const projectDir = path.join(EXAMPLES_DIR, 'django');
const dbDir = mkdtempSync(path.join(tmpdir(), 'sluice-django-'));
const env = { SLUICE_DJANGO_DB: path.join(dbDir, 'db.sqlite3'), PYTHONWARNINGS: 'default', PYTHONDONTWRITEBYTECODE: '1' };

test.before(() => {
  const run = (args: string[], extra: Record<string, string> = {}) =>
    execFileSync(PYTHON, ['manage.py', ...args], { cwd: projectDir, env: { ...process.env, ...env, ...extra }, stdio: 'pipe' });
  run(['migrate', '--noinput']);
  run(['createsuperuser', '--noinput', '--username', 'admin', '--email', 'admin@example.com'], { DJANGO_SUPERUSER_PASSWORD: 'sluice-pass' });
});

test.after.always(() => rmSync(dbDir, { recursive: true, force: true }));

const djangoApp = { app: 'mysite.wsgi:application', cwd: projectDir, env };

/** Cookies from a response as one `Cookie` header value. */
function cookies(res: Response, previous = ''): string {
  const jar = new Map(previous ? previous.split('; ').map((c) => c.split('=', 2) as [string, string]) : []);
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const at = pair.indexOf('=');
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

function csrfToken(html: string): string {
  const m = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token in the page');
  return m[1];
}

test('the Django admin login page renders with a CSRF token and cookie', async (t) => {
  const s = await startWsgi(djangoApp);
  t.teardown(s.close);
  const res = await fetch(`${s.url}/admin/login/?next=/admin/`);
  t.is(res.status, 200);
  const html = await res.text();
  t.regex(html, /<title>Log in \| Django site admin<\/title>/);
  t.truthy(csrfToken(html));
  t.regex(cookies(res), /csrftoken=/);
  const admin = await fetch(`${s.url}/admin/`, { redirect: 'manual' });
  t.is(admin.status, 302);
  t.is(admin.headers.get('location'), '/admin/login/?next=/admin/');
});

test('admin login: a POST with the CSRF token logs in, one without is refused with 403', async (t) => {
  const s = await startWsgi(djangoApp);
  t.teardown(s.close);
  const page = await fetch(`${s.url}/admin/login/`);
  const jar = cookies(page);
  const token = csrfToken(await page.text());
  const form = (extra: Record<string, string>) => new URLSearchParams({ username: 'admin', password: 'sluice-pass', next: '/admin/', ...extra });

  const forged = await fetch(`${s.url}/admin/login/`, { method: 'POST', body: form({}), headers: { Cookie: jar }, redirect: 'manual' });
  t.is(forged.status, 403);
  t.regex(await forged.text(), /CSRF verification failed/);

  const login = await fetch(`${s.url}/admin/login/`, {
    method: 'POST', body: form({ csrfmiddlewaretoken: token }), headers: { Cookie: jar, Referer: `${s.url}/admin/login/` }, redirect: 'manual',
  });
  t.is(login.status, 302);
  t.is(login.headers.get('location'), '/admin/');
  const session = cookies(login, jar);
  t.regex(session, /sessionid=/);
  const dashboard = await fetch(`${s.url}/admin/`, { headers: { Cookie: session } });
  t.is(dashboard.status, 200);
  t.regex(await dashboard.text(), /Site administration/);
});

test('a CSRF-protected form POST writes to the database and redirects', async (t) => {
  const s = await startWsgi(djangoApp);
  t.teardown(s.close);
  const page = await fetch(`${s.url}/`);
  const jar = cookies(page);
  const token = csrfToken(await page.text());
  const text = `note ${Date.now()} ünïcode`;
  const post = await fetch(`${s.url}/`, {
    method: 'POST', body: new URLSearchParams({ csrfmiddlewaretoken: token, text }), headers: { Cookie: jar }, redirect: 'manual',
  });
  t.is(post.status, 302);
  t.is(post.headers.get('location'), '/');
  const list = await (await fetch(`${s.url}/`)).text();
  t.true(list.includes(`<li>${text}</li>`));
});
