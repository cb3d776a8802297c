// Level 3 (real programs, all three spawners): each program runs in its own session, and what it
// leaves running in it (background children) is killed when it exits and when cgi() closes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { alive, eventually, SPAWNERS, startCgi, tempDir, writeScript } from './helpers.js';

function bin(t: ExecutionContext, scripts: Record<string, string>): string {
  const tmp = tempDir();
  t.teardown(tmp.cleanup);
  for (const [name, source] of Object.entries(scripts)) writeScript(join(tmp.dir, name), `#!/bin/sh\n${source}`);
  return tmp.dir;
}

async function pidFile(file: string): Promise<number> {
  await eventually(() => existsSync(file) && readFileSync(file, 'utf8').endsWith('\n'), 15_000, file);
  return Number(readFileSync(file, 'utf8').trim());
}

function killLater(t: ExecutionContext, pid: number): void {
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
}

// A background child in a subshell: it leaves the program's stdout, so the response completes without it.
const LEAVES_CHILD = `(sleep 120 >/dev/null 2>&1 </dev/null & echo $! > "$0.bg")
echo $$ > "$0.pid"
printf 'Content-Type: text/plain\\n\\ndone'
`;

for (const spawner of SPAWNERS) {
  test(`[${spawner}] a program runs as the leader of its own session`, async (t) => {
    const dir = bin(t, { 'sid.cgi': `printf 'Content-Type: text/plain\\n\\n%s %s' $$ "$(cut -d' ' -f6 /proc/$$/stat)"` });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner });
    t.teardown(s.close);
    const [pid, session] = (await (await fetch(`${s.url}/cgi-bin/sid.cgi`)).text()).split(' ');
    t.is(session, pid);
  });

  test(`[${spawner}] background children a program leaves behind are killed when it exits`, async (t) => {
    const dir = bin(t, { 'bg.cgi': LEAVES_CHILD });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner });
    t.teardown(s.close);
    const res = await fetch(`${s.url}/cgi-bin/bg.cgi`);
    t.is(await res.text(), 'done');
    const child = await pidFile(join(dir, 'bg.cgi.bg'));
    killLater(t, child);
    await eventually(() => !alive(child), 15_000, 'the background child to be killed');
    t.false(alive(child));
  });

  test(`[${spawner}] with killProcessGroup false background children outlive the request`, async (t) => {
    const dir = bin(t, { 'bg.cgi': LEAVES_CHILD });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner, killProcessGroup: false });
    t.teardown(s.close);
    t.is(await (await fetch(`${s.url}/cgi-bin/bg.cgi`)).text(), 'done');
    const child = await pidFile(join(dir, 'bg.cgi.bg'));
    killLater(t, child);
    const program = await pidFile(join(dir, 'bg.cgi.pid'));
    await eventually(() => !alive(program), 15_000, 'the program to exit');
    t.true(alive(child));
  });

  test(`[${spawner}] closing cgi() kills running programs and their background children`, async (t) => {
    const dir = bin(t, {
      'long.cgi': `sleep 120 >/dev/null 2>&1 </dev/null & echo $! > "$0.bg"; echo $$ > "$0.pid"; printf 'Content-Type: text/plain\\n\\nstarted\\n'; wait`,
    });
    const s = await startCgi({ mounts: { '/cgi-bin': dir }, spawner });
    t.teardown(s.close);
    const res = await fetch(`${s.url}/cgi-bin/long.cgi`);
    const reader = res.body!.getReader();
    await reader.read();
    const program = await pidFile(join(dir, 'long.cgi.pid'));
    const child = await pidFile(join(dir, 'long.cgi.bg'));
    killLater(t, program);
    killLater(t, child);
    await s.cgi.close();
    await eventually(() => !alive(program) && !alive(child), 15_000, 'the program and its child to be killed');
    t.pass();
    void reader.cancel().catch(() => {});
  });
}

test('killProcessGroup must be a boolean', async (t) => {
  const dir = bin(t, {});
  const { cgi } = await import('@sluice/cgi');
  t.throws(() => cgi({ mounts: { '/cgi-bin': dir }, killProcessGroup: 'yes' as never }), { message: /"killProcessGroup"/ });
});
