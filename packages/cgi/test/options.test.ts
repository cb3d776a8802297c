import { join } from 'node:path';
import test from 'ava';
import { cgi, cgiDefaults, CgiError } from '@sluice/cgi';
import { tempDir, writeScript } from './helpers.js';

test('bad options are refused at construction with a message naming the key', (t) => {
  const tmp = tempDir();
  t.teardown(tmp.cleanup);
  writeScript(join(tmp.dir, 'prog'), '#!/bin/sh\n');
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{}, /"mounts" or "programs" or "root" must be given/],
    [{ mounts: { '/x': tmp.dir }, colour: 'red' }, /"colour" is not a cgi\(\) option/],
    [{ mounts: { 'cgi-bin': tmp.dir } }, /"mounts\["cgi-bin"\]" must be a URL path/],
    [{ mounts: { '/x': join(tmp.dir, 'missing') } }, /"mounts\["\/x"\]" is not a directory/],
    [{ programs: { '/git': 'relative/prog' } }, /"programs\["\/git"\]" must be an absolute path/],
    [{ programs: { '/git': join(tmp.dir, 'missing') } }, /"programs\["\/git"\]" is not an executable file/],
    [{ root: tmp.dir }, /"interpreters" must map at least one extension/],
    [{ root: tmp.dir, interpreters: { php: '/bin/sh' } }, /"interpreters\["php"\]" must be an extension/],
    [{ root: tmp.dir, interpreters: { '.php': 'no-such-interpreter-xyz' } }, /names no executable program/],
    [{ mounts: { '/x': tmp.dir }, timeoutMs: 0 }, /"timeoutMs" must be a positive number/],
    [{ mounts: { '/x': tmp.dir }, maxQueue: -1 }, /"maxQueue" must be a non-negative number/],
    [{ mounts: { '/x': tmp.dir }, maxProcesses: '4' }, /"maxProcesses" must be a positive number/],
    [{ mounts: { '/x': tmp.dir }, env: { 'BAD-NAME': 'x' } }, /"env\["BAD-NAME"\]" is not a valid variable name/],
    [{ mounts: { '/x': tmp.dir }, passEnv: ['OK', 'not ok'] }, /"passEnv" must be a list of variable names/],
    [{ mounts: { '/x': tmp.dir }, spawner: 'fork' }, /"spawner" must be "auto", "helper" or "direct"/],
    [{ mounts: { '/x': tmp.dir }, helper: 'rust' }, /"helper" must be "auto", "native" or "python"/],
    [{ mounts: { '/x': tmp.dir }, programSliceMs: 101 }, /"programSliceMs" must be 0 or between 0.1 and 100/],
    [{ mounts: { '/x': tmp.dir }, programSliceMs: 0.01 }, /"programSliceMs" must be 0 or between 0.1 and 100/],
    [{ mounts: { '/x': tmp.dir }, programSliceMs: -1 }, /"programSliceMs" must be a non-negative number/],
    [{ mounts: { '/x': tmp.dir }, passAuthorization: 'yes' }, /"passAuthorization" must be true or false/],
  ];
  for (const [options, message] of cases) {
    const error = t.throws(() => cgi(options as never), { message }, JSON.stringify(options));
    t.true(error instanceof CgiError);
    t.is((error as CgiError).code, 'SLUICE_ERR_CGI_BAD_OPTION');
  }
});

test('interpreters given by name are found on PATH and the defaults are the documented ones', (t) => {
  const tmp = tempDir();
  t.teardown(tmp.cleanup);
  t.notThrows(() => cgi({ root: tmp.dir, interpreters: { '.sh': 'sh', '.pl': ['perl', '-T'] }, path: '/usr/bin:/bin' }));
  t.throws(() => cgi({ root: tmp.dir, interpreters: { '.sh': 'sh' }, path: '/nonexistent' }), { message: /names no executable program: sh/ });
  t.is(cgiDefaults.timeoutMs, 30_000);
  t.is(cgiDefaults.maxProcesses, 32);
  t.is(cgiDefaults.passAuthorization, false);
  t.is(cgiDefaults.programSliceMs, 50);
});
