/**
 * Pure units of the command: flag parsing and the schema's messages (the command's
 * behaviour end to end is tested in test/server/ through the spawned command).
 */

import test from 'ava';
import { assertValidConfig, ConfigError, parseCommandLine } from '@sluice/server';

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
  [['--port'], 'flag --port needs a value'],
  [['--quiet=yes'], 'flag --quiet takes no value'],
  [['extra'], "unexpected argument 'extra' (flags only; see sluice --help)"],
  [['--port', '-1'], 'flag --port needs a value'],
  [['--port', '8o'], '--port expects a whole number, got "8o"'],
  [['--wsgi-workers', '1.5'], '--wsgi-workers expects a whole number, got "1.5"'],
  [['--cgi', '=dir'], '--cgi expects PREFIX=DIR, got "=dir"'],
  [['--error-page', '404='], '--error-page expects STATUS=FILE, got "404="'],
  [['--cgi', '/a=x', '--cgi', '/a=y'], '--cgi /a is given twice'],
];
for (const [argv, message] of refusals) {
  test(`refuses ${argv.join(' ')}`, (t) => {
    const error = t.throws(() => parseCommandLine(argv), { instanceOf: ConfigError });
    t.is(error?.message, message);
    t.is(error?.code, 'SLUICE_ERR_CONFIG');
  });
}

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
      hosts: { 'a.test': { root: 'a' }, '*.b.test': {}, '*': {} },
    }, ''),
  );
});
