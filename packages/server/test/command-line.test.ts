/**
 * Pure units of the command: flag parsing and the schema's messages (the command's
 * behaviour end to end is tested in test/server/ through the spawned command).
 */

import test from 'ava';
import { assertValidConfig, ConfigError, parseCommandLine, usage } from '@sluice/server';

test('flags become config keys; repeatable KEY=VALUE flags become maps', (t) => {
  const { flags, configFile, help, version } = parseCommandLine([
    '--config', 'x.json', '--host', '::1', '--port', '0', '--root', 'www', '--index', 'a.html', '--index', 'b.html',
    '--cgi', '/cgi-bin=cgi', '--cgi-handler', '.php=php-cgi', '--wsgi', '/app=site.wsgi:application', '--wsgi-path', 'py',
    '--wsgi-workers', '3', '--python', 'python3.11', '--mime', '.wasm=application/wasm', '--workers', 'auto',
    '--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--access-log', '-', '--error-page', '404=404.html', '--quiet',
  ]);
  t.is(configFile, 'x.json');
  t.false(help);
  t.false(version);
  t.deepEqual(flags, {
    host: '::1', port: 0, root: 'www', index: ['a.html', 'b.html'], cgi: { '/cgi-bin': 'cgi' }, cgiHandlers: { '.php': 'php-cgi' },
    wsgi: { '/app': 'site.wsgi:application' }, wsgiPath: ['py'], wsgiWorkers: 3, python: 'python3.11', mime: { '.wasm': 'application/wasm' },
    workers: 'auto', tlsCert: 'c.pem', tlsKey: 'k.pem', accessLog: '-', errorPages: { '404': '404.html' }, quiet: true,
  });
});

test('a value may contain "=" after the first one', (t) => {
  t.deepEqual(parseCommandLine(['--mime', '.x=text/plain;a=b']).flags.mime, { '.x': 'text/plain;a=b' });
});

test('short flags -h, -v and -q', (t) => {
  t.true(parseCommandLine(['-h']).help);
  t.true(parseCommandLine(['-v']).version);
  t.true(parseCommandLine(['-q']).flags.quiet);
});

const refusals: Array<[string[], string]> = [
  [['--nope'], 'unknown flag "--nope" (see sluice --help)'],
  [['--port'], '--port needs a value: --port takes a whole number from 0 to 65535 (0: any free port)'],
  [['--quiet=yes'], '--quiet takes no value (it is a switch: given means on)'],
  [['extra'], "unexpected argument 'extra' (flags only; see sluice --help)"],
  [['--cgi', '/a=x', '--cgi', '/a=y'], '--cgi /a is given twice'],
];
for (const [argv, message] of refusals) {
  test(`refuses ${argv.join(' ')}`, (t) => {
    const error = t.throws(() => parseCommandLine(argv), { instanceOf: ConfigError });
    t.is(error?.message, message);
    t.is(error?.code, 'SLUICE_ERR_CONFIG');
  });
}

// Every flag that takes a value, once with a bad one: the message names the flag, the value and what it takes.
const badValues: Array<[flag: string, value: string, problem: string, accepts: string]> = [
  ['--host', 'a b', 'is not accepted', 'an IP address or host name to listen on, such as 127.0.0.1, ::1 or 0.0.0.0'],
  ['--port', '-1', 'is out of range', 'a whole number from 0 to 65535 (0: any free port)'],
  ['--port', '65536', 'is out of range', 'a whole number from 0 to 65535 (0: any free port)'],
  ['--port', '8o', 'is not a whole number', 'a whole number from 0 to 65535 (0: any free port)'],
  ['--root', '', 'is not accepted', 'an existing directory'],
  ['--index', 'a/b.html', 'is not accepted', 'a file name without "/", such as index.html'],
  ['--extension', 'ht ml', 'is not accepted', 'a file extension such as html'],
  ['--dotfiles', 'hide', 'is not accepted', '"ignore" (as if absent), "allow" or "deny" (403)'],
  ['--max-age', '-5', 'is out of range', 'a whole number of seconds, 0 or more'],
  ['--max-age', '1h', 'is not a whole number', 'a whole number of seconds, 0 or more'],
  ['--cache-control', 'assets/=public', 'is not accepted', 'PREFIX=VALUE, a URL path prefix starting with "/" and a header value without control characters'],
  ['--cache-control', '/assets/', 'is not PREFIX=VALUE', 'PREFIX=VALUE, a URL path prefix starting with "/" and a header value without control characters'],
  ['--cgi', '=dir', 'is not PREFIX=DIR', 'PREFIX=DIR, a URL path prefix starting with "/" and a directory'],
  ['--cgi', 'cgi-bin=.', 'is not accepted', 'PREFIX=DIR, a URL path prefix starting with "/" and a directory'],
  ['--cgi-handler', 'php', 'is not EXT=PROGRAM', 'EXT=PROGRAM, a file extension such as .php and a program such as php-cgi'],
  ['--cgi-handler', '.p/hp=php-cgi', 'is not accepted', 'EXT=PROGRAM, a file extension such as .php and a program such as php-cgi'],
  ['--wsgi', '/app=no-colon', 'is not accepted', 'PREFIX=MODULE:CALLABLE, a URL path prefix starting with "/" and a Python name such as app:application'],
  ['--wsgi-path', '', 'is not accepted', 'an existing directory'],
  ['--wsgi-workers', '1.5', 'is not a whole number', 'a whole number from 1 to 256'],
  ['--wsgi-workers', '0', 'is out of range', 'a whole number from 1 to 256'],
  ['--asgi', '/api=main', 'is not accepted', 'PREFIX=MODULE:ATTR, a URL path prefix starting with "/" and a Python name such as main:app'],
  ['--asgi', 'main:app', 'is not PREFIX=MODULE:ATTR', 'PREFIX=MODULE:ATTR, a URL path prefix starting with "/" and a Python name such as main:app'],
  ['--asgi-workers', '0', 'is out of range', 'a whole number from 1 to 256'],
  ['--python', '', 'is not accepted', 'a Python 3 program on PATH or a path to one'],
  ['--mime', '.x=nonsense', 'is not accepted', 'EXT=TYPE, a file extension such as .wasm and a media type such as application/wasm'],
  ['--workers', 'many', 'is neither a whole number nor "auto"', 'a whole number from 1 to 256, or "auto" (one per core)'],
  ['--workers', '257', 'is out of range', 'a whole number from 1 to 256, or "auto" (one per core)'],
  ['--tls-cert', '', 'is not accepted', 'a readable PEM certificate file'],
  ['--tls-key', '', 'is not accepted', 'a readable PEM private key file'],
  ['--access-log', '', 'is not accepted', 'a file to append to, or - for stdout'],
  ['--access-log-format', 'xml', 'is not accepted', '"combined", "common" or "json"'],
  ['--error-page', '200=x.html', 'is not accepted', 'STATUS=FILE, an error status from 400 to 599 (or 4xx, 5xx) and an HTML file'],
  ['--error-page', '404=', 'is not STATUS=FILE', 'STATUS=FILE, an error status from 400 to 599 (or 4xx, 5xx) and an HTML file'],
];
for (const [flag, value, problem, accepts] of badValues) {
  test(`${flag} ${JSON.stringify(value)} is refused, naming the flag, the value and what it takes`, (t) => {
    const error = t.throws(() => parseCommandLine([flag, value]), { instanceOf: ConfigError });
    t.is(error?.message, `${flag} ${JSON.stringify(value)} ${problem}: ${flag} takes ${accepts}`);
  });
}

test('every switch refuses a value, naming itself', (t) => {
  for (const flag of ['--listing', '--precompressed', '--immutable', '--follow-symlinks', '--quiet']) {
    const error = t.throws(() => parseCommandLine([`${flag}=yes`]), { instanceOf: ConfigError });
    t.is(error?.message, `${flag} takes no value (it is a switch: given means on)`);
  }
});

test('every flag of --help is tested above with a bad value, or is a switch', (t) => {
  const tested = new Set([...badValues.map(([flag]) => flag), '--listing', '--precompressed', '--immutable', '--follow-symlinks', '--quiet', '--no-http2', '--h2c', '--config', '--help', '--version']);
  const listed = [...usage.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]);
  t.true(listed.length > 25);
  t.deepEqual(listed.filter((flag) => !tested.has(flag)), []);
});

test('the static-file flags set their keys', (t) => {
  t.deepEqual(
    parseCommandLine(['--listing', '--extension', 'html', '--extension', 'htm', '--dotfiles', 'deny', '--precompressed', '--max-age', '60', '--immutable',
      '--cache-control', '/assets/=public, max-age=31536000, immutable', '--follow-symlinks', '--access-log-format', 'json']).flags,
    {
      listing: true, extensions: ['html', 'htm'], dotfiles: 'deny', precompressed: true, maxAgeSeconds: 60, immutable: true,
      cacheControl: { '/assets/': 'public, max-age=31536000, immutable' }, followSymlinks: true, accessLogFormat: 'json',
    },
  );
});

const schemaMessages: Array<[unknown, string]> = [
  [{ prot: 1 }, 'unknown key "prot"'],
  [{ port: 65536 }, 'port must be <= 65535'],
  [{ port: 'x' }, 'port must be a whole number'],
  [{ workers: 'lots' }, 'workers must be a whole number from 1 to 256, or "auto"'],
  [{ accessLog: true }, 'accessLog must be a file name, "-" (stdout) or false'],
  [{ index: ['a/b.html'] }, 'index[0] must be a file name without "/"'],
  [{ cgi: { x: 'd' } }, '"x" in cgi is not a URL prefix starting with "/"'],
  [{ wsgi: { '/a': 'no-colon' } }, 'wsgi["/a"] must be "module:callable", e.g. "app:application"'],
  [{ mime: { wasm: 'nonsense' } }, 'mime.wasm must be a media type such as "application/wasm"'],
  [{ errorPages: { '302': 'x' } }, '"302" in errorPages is not an HTTP error status from 400 to 599, "4xx" or "5xx"'],
  [{ hosts: { 'a.test': { listing: 'yes' } } }, 'hosts["a.test"].listing must be a boolean'],
  [{ hosts: { '-bad-': {} } }, '"-bad-" in hosts is not a host name, "*.domain" or "*"'],
  [{ trustedProxies: '127.0.0.1' }, 'trustedProxies must be an array'],
  [{ dotfiles: 'hide' }, 'dotfiles must be "ignore", "allow" or "deny"'],
  [{ precompressed: ['zstd'] }, 'precompressed must be true, false or a list of "br" and "gzip"'],
  [{ accessLogFormat: 'xml' }, 'accessLogFormat must be "combined", "common" or "json"'],
  [{ extensions: ['a/b'] }, 'extensions[0] must be a file extension such as "html"'],
  [{ cacheControl: { assets: 'x' } }, '"assets" in cacheControl is not a URL path prefix starting with "/"'],
  [{ cacheControl: { '/a/': 'x\r\nSet-Cookie: a=b' } }, 'cacheControl["/a/"] must be a header value without control characters'],
  [{ maxAgeSeconds: -1 }, 'maxAgeSeconds must be >= 0'],
  [{ hosts: { 'a.test': { immutable: 'yes' } } }, 'hosts["a.test"].immutable must be a boolean'],
];
for (const [config, message] of schemaMessages) {
  test(`schema: ${JSON.stringify(config)} → ${message}`, (t) => {
    const error = t.throws(() => assertValidConfig(config, 'file: '), { instanceOf: ConfigError });
    t.is(error?.message, `file: ${message}`);
  });
}

test('schema: a complete config with $schema is valid', (t) => {
  t.notThrows(() =>
    assertValidConfig({
      $schema: './sluice.schema.json', host: '0.0.0.0', port: 8080, workers: 'auto', tlsCert: 'c', tlsKey: 'k', accessLog: false,
      quiet: true, proxy: true, trustedProxies: ['10.0.0.0/8'], shutdownGraceMs: 0, root: '.', index: ['index.html'], listing: true,
      mime: { '.wasm': 'application/wasm' }, cgi: { '/cgi-bin': 'cgi' }, cgiHandlers: { php: 'php-cgi' }, wsgi: { '/': 'a.b:c' },
      wsgiPath: ['.'], wsgiWorkers: 1, python: 'python3', errorPages: { '404': 'x', '5xx': 'y' },
      accessLogFormat: 'json', extensions: ['html'], dotfiles: 'allow', precompressed: ['gzip'], maxAgeSeconds: 60, immutable: true,
      cacheControl: { '/assets/': 'public, max-age=31536000, immutable' }, followSymlinks: false,
      hosts: { 'a.test': { root: 'a', precompressed: true, cacheControl: { '/': 'no-store' } }, '*.b.test': {}, '*': {} },
    }, ''),
  );
});
