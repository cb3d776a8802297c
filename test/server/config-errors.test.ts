/**
 * Bad configuration through the real command: each problem gives exit code 2 and one
 * line on stderr naming it, never a stack trace, and nothing on stdout.
 */

import { once } from 'node:events';
import net from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { runSluice, tempSite } from './helpers.js';

async function refused(t: ExecutionContext, args: string[], expected: RegExp, cwd?: string): Promise<void> {
  const { code, stdout, stderr } = await runSluice(t, args, { cwd });
  t.is(code, 2, stderr);
  t.is(stdout, '');
  const lines = stderr.trimEnd().split('\n');
  t.is(lines.length, 1, stderr);
  t.regex(lines[0], /^sluice: /);
  t.regex(lines[0], expected);
  t.notRegex(stderr, /\n\s+at /);
}

test.serial('an unknown flag is refused', (t) => refused(t, ['--prot', '80'], /unknown flag "--prot"/));
test.serial('a flag without its value is refused, saying what it takes', (t) => refused(t, ['--port'], /--port needs a value: --port takes a whole number from 0 to 65535/));
test.serial('a positional argument is refused', (t) => refused(t, ['site'], /unexpected argument 'site'/));
test.serial('a non-numeric port is refused', (t) => refused(t, ['--port', 'http'], /--port "http" is not a whole number: --port takes a whole number from 0 to 65535/));
test.serial('a negative port is refused as out of range', (t) => refused(t, ['--port', '-1'], /--port "-1" is out of range: --port takes a whole number from 0 to 65535/));
test.serial('a port above 65535 is refused', (t) => refused(t, ['--port', '70000'], /--port "70000" is out of range/));
test.serial('a port that is not a number in the file is refused', async (t) => {
  const dir = tempSite(t, { 'sluice.json': JSON.stringify({ port: '8080' }) });
  await refused(t, ['--config', `${dir}/sluice.json`], /config file ".*sluice\.json": port must be a whole number/);
});
test.serial('a bad --workers value is refused, naming auto', (t) => refused(t, ['--workers', 'many'], /--workers "many" is neither a whole number nor "auto": --workers takes a whole number from 1 to 256, or "auto"/));
test.serial('zero workers are refused', (t) => refused(t, ['--workers', '0'], /--workers "0" is out of range: --workers takes a whole number from 1 to 256, or "auto"/));
test.serial('KEY=VALUE flags without "=" are refused', (t) => refused(t, ['--cgi', '/cgi-bin'], /--cgi "\/cgi-bin" is not PREFIX=DIR: --cgi takes PREFIX=DIR/));
test.serial('a mount prefix without a leading slash is refused', (t) => refused(t, ['--cgi', 'cgi-bin=.'], /--cgi "cgi-bin=\." is not accepted: --cgi takes PREFIX=DIR, a URL path prefix starting with "\/"/));
test.serial('an error page for a non-error status is refused', (t) => refused(t, ['--error-page', '200=x.html'], /--error-page "200=x\.html" is not accepted: --error-page takes STATUS=FILE, an error status from 400 to 599/));
test.serial('a bad static-file flag is refused, naming what it takes', (t) => refused(t, ['--dotfiles', 'hide'], /--dotfiles "hide" is not accepted: --dotfiles takes "ignore" \(as if absent\), "allow" or "deny" \(403\)/));
test.serial('a bad access-log format is refused', (t) => refused(t, ['--access-log-format', 'xml'], /--access-log-format "xml" is not accepted: --access-log-format takes "combined", "common" or "json"/));
test.serial('a bad static-file key in a file is refused', async (t) => {
  const dir = tempSite(t, { 'sluice.json': JSON.stringify({ cacheControl: { '/a/': 'x\ny' } }) });
  await refused(t, ['--config', `${dir}/sluice.json`], /cacheControl\["\/a\/"\] must be a header value without control characters/);
});

test.serial('a missing root directory is refused', (t) => refused(t, ['--root', '/nonexistent/site'], /root directory "\/nonexistent\/site" does not exist/));
test.serial('a root that is a file is refused', async (t) => {
  const dir = tempSite(t, { 'file.txt': 'x' });
  await refused(t, ['--root', `${dir}/file.txt`], /root directory ".*file\.txt" is not a directory/);
});
test.serial('a missing CGI directory is refused', async (t) => {
  const dir = tempSite(t);
  await refused(t, ['--root', dir, '--cgi', '/cgi-bin=missing'], /cgi\["\/cgi-bin"\] directory ".*missing" does not exist/, dir);
});
test.serial('a missing WSGI path directory is refused', (t) => refused(t, ['--wsgi-path', '/nonexistent/py'], /wsgiPath directory "\/nonexistent\/py" does not exist/));
test.serial('a CGI handler program that does not exist is refused', (t) =>
  refused(t, ['--cgi-handler', '.xyz=no-such-interpreter'], /CGI handler for "\.xyz": program "no-such-interpreter" not found on PATH/));
test.serial('a missing Python for a WSGI mount is refused', (t) =>
  refused(t, ['--wsgi', '/app=app:application', '--python', 'no-such-python3'], /python: program "no-such-python3" not found on PATH/));
test.serial('a missing error page file is refused', (t) => refused(t, ['--error-page', '404=/nonexistent/404.html'], /error page for 404: cannot read "\/nonexistent\/404\.html" \(ENOENT\)/));

test.serial('the same mount for CGI and WSGI is refused', async (t) => {
  const dir = tempSite(t, { 'cgi-bin/': '' });
  await refused(t, ['--root', dir, '--cgi', `/app=${dir}/cgi-bin`, '--wsgi', '/app/=app:application'], /duplicate mount "\/app": cgi\["\/app"\] and wsgi\["\/app\/"\]/);
});
test.serial('two CGI mounts that differ only by a trailing slash are refused', async (t) => {
  const dir = tempSite(t, { 'a/': '', 'b/': '', 'sluice.json': JSON.stringify({ cgi: { '/x': 'a', '/x/': 'b' } }) });
  await refused(t, ['--config', `${dir}/sluice.json`], /duplicate mount "\/x"/);
});
test.serial('a flag given twice for the same key is refused', (t) => refused(t, ['--mime', '.x=text/x', '--mime', '.x=text/y'], /--mime \.x is given twice/));

test.serial('a missing TLS key is refused', async (t) => {
  const dir = tempSite(t, { 'cert.pem': 'x' });
  await refused(t, ['--tls-cert', `${dir}/cert.pem`, '--tls-key', `${dir}/key.pem`], /cannot read TLS key ".*key\.pem" \(ENOENT\)/);
});
test.serial('an unreadable TLS key (garbage PEM) is refused', async (t) => {
  const dir = tempSite(t, { 'cert.pem': 'not a certificate', 'key.pem': 'not a key' });
  await refused(t, ['--tls-cert', `${dir}/cert.pem`, '--tls-key', `${dir}/key.pem`], /TLS key ".*key\.pem" and certificate ".*cert\.pem" are unusable/);
});
test.serial('a certificate without a key is refused', async (t) => {
  const dir = tempSite(t, { 'cert.pem': 'x' });
  await refused(t, ['--tls-cert', `${dir}/cert.pem`], /TLS needs both a certificate and a key/);
});

test.serial('a missing config file is refused', (t) => refused(t, ['--config', '/nonexistent/sluice.json'], /config file "\/nonexistent\/sluice\.json" cannot be read \(ENOENT\)/));
test.serial('a missing JavaScript config file is refused', (t) => refused(t, ['--config', '/nonexistent/sluice.config.js'], /config file "\/nonexistent\/sluice\.config\.js" not found/));
test.serial('a config file that is not JSON is refused', async (t) => {
  const dir = tempSite(t, { 'sluice.json': '{ port: 80 }' });
  await refused(t, ['--config', `${dir}/sluice.json`], /config file ".*": not valid JSON/);
});
test.serial('a config file of another kind is refused', async (t) => {
  const dir = tempSite(t, { 'sluice.yaml': 'port: 80' });
  await refused(t, ['--config', `${dir}/sluice.yaml`], /expected a \.json, \.js, \.mjs or \.cjs file/);
});
test.serial('an unknown key in a config file is refused', async (t) => {
  const dir = tempSite(t, { 'sluice.json': JSON.stringify({ port: 0, documentRoot: '.' }) });
  await refused(t, ['--config', `${dir}/sluice.json`], /config file ".*sluice\.json": unknown key "documentRoot"/);
});
test.serial('an unknown key inside a virtual host is refused', async (t) => {
  const dir = tempSite(t, { 'sluice.json': JSON.stringify({ hosts: { 'a.test': { root: '.', port: 81 } } }) });
  await refused(t, ['--config', `${dir}/sluice.json`], /unknown key "port" in hosts\["a\.test"\]/);
});
test.serial('a virtual host name that is not a host name is refused', async (t) => {
  const dir = tempSite(t, { 'sluice.json': JSON.stringify({ hosts: { 'a b': {} } }) });
  await refused(t, ['--config', `${dir}/sluice.json`], /"a b" in hosts is not a host name/);
});
test.serial('a missing root inside a virtual host is refused', async (t) => {
  const dir = tempSite(t, { 'sluice.json': JSON.stringify({ hosts: { 'a.test': { root: 'missing' } } }) });
  await refused(t, ['--config', `${dir}/sluice.json`], /hosts\["a\.test"\]\.root directory ".*missing" does not exist/);
});
test.serial('a bad trusted proxy address is refused', async (t) => {
  const dir = tempSite(t, { 'sluice.json': JSON.stringify({ proxy: true, trustedProxies: ['10.0.0.0/40'] }) });
  await refused(t, ['--config', `${dir}/sluice.json`], /trustedProxies: "10\.0\.0\.0\/40" is not an IP address or CIDR range/);
});
test.serial('a JavaScript config that throws while loading is refused', async (t) => {
  const dir = tempSite(t, { 'sluice.config.mjs': 'throw new Error("DATABASE_URL is not set");\n' });
  await refused(t, ['--config', `${dir}/sluice.config.mjs`], /config file ".*": failed to load: DATABASE_URL is not set/);
});
test.serial('a JavaScript config exporting neither an object nor a function is refused', async (t) => {
  const dir = tempSite(t, { 'sluice.config.mjs': 'export default 42;\n' });
  await refused(t, ['--config', `${dir}/sluice.config.mjs`], /the default export must be a config object or a function receiving the app/);
});
test.serial('a setup function that throws is refused', async (t) => {
  const dir = tempSite(t, { 'sluice.config.mjs': 'export default { port: 0, setup() { throw new Error("no cache dir"); } };\n' });
  await refused(t, ['--config', `${dir}/sluice.config.mjs`], /the config file's setup function failed: no cache dir/);
});
test.serial('a port already in use is refused', async (t) => {
  const blocker = net.createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.teardown(() => blocker.close());
  const { port } = blocker.address() as net.AddressInfo;
  await refused(t, ['--port', String(port)], new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`));
});
