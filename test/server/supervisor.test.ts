/**
 * The `Supervisor` class used from code (not through the `sluice` command): a real Node
 * process runs `new Supervisor(argv, cwd, config).run()` on the built package and calls
 * `reload()` and `stop()` when the test writes those words on its stdin.
 */

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { repoRoot, request, tempSite, until } from './helpers.js';

const serverDist = path.join(repoRoot, 'packages/server/dist/index.js');

const driver = `
import { createInterface } from 'node:readline';
import { Supervisor, parseCommandLine, resolveConfig } from ${JSON.stringify(serverDist)};
const argv = process.argv.slice(2);
const supervisor = new Supervisor(argv, process.cwd(), await resolveConfig(parseCommandLine(argv), process.cwd()));
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'reload') void supervisor.reload();
  if (line === 'stop') supervisor.stop();
});
const code = await supervisor.run();
process.stderr.write('run resolved with ' + code + '\\n');
process.exit(code);
`;

test.serial('a Supervisor run from code serves, reloads on reload() and stops gracefully on stop()', async (t) => {
  const site = tempSite(t, { 'a.txt': 'a\n', 'driver.mjs': driver });
  const config = path.join(site, 'sluice.json');
  const write = (type: string) => writeFileSync(config, JSON.stringify({ mime: { '.txt': type } }));
  write('text/x-before');
  const child = spawn(process.execPath, [path.join(site, 'driver.mjs'), '--config', config, '--root', site, '--port', '0', '--workers', '2'], {
    cwd: site,
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  });

  await until(() => /^listening on \S+\n/m.test(out), 30_000);
  const url = /^listening on (\S+)\n/m.exec(out)![1];
  t.is((await request(`${url}/a.txt`)).headers['content-type'], 'text/x-before; charset=utf-8');

  write('text/x-after');
  child.stdin.write('reload\n');
  await until(() => err.includes('configuration reloaded (2 workers)'), 30_000);
  t.is((await request(`${url}/a.txt`)).headers['content-type'], 'text/x-after; charset=utf-8');

  child.stdin.write('stop\n');
  t.is(await exited, 0);
  t.regex(err, /run resolved with 0\n/);
  t.is(out.split('\n').filter((line) => line.startsWith('listening on')).length, 1);
});
