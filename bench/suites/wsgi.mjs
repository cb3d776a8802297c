// WSGI suite: a plain WSGI hello and a Flask hello, served by sluice + @sluice/wsgi-bridge,
// by gunicorn (sync workers) and by uWSGI (`--http-socket`, 1 thread per process) with the same
// number of worker processes (bench/ensure-peers.sh installs the peers; a missing one is skipped).
// Besides req/s and p99 it reports CPU time per request of the whole server process tree and of
// each process in it (robust when the machine is shared) and the RSS of each process.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const APPS = fileURLToPath(new URL('../servers/wsgi-apps/', import.meta.url));
const SLUICE = fileURLToPath(new URL('../servers/wsgi-sluice.mjs', import.meta.url));
const PYTHON = '/usr/bin/python3';
const WORKERS = Number(process.env.WSGI_BENCH_WORKERS ?? 1);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TICKS_PER_SECOND = 100;
const UWSGI_PYTHON3 = '/usr/lib/uwsgi/plugins/python3_plugin.so';

export async function run(lib) {
  const scenarios = [
    { title: 'plain WSGI hello', app: 'hello:application' },
    { title: 'Flask hello', app: 'flask_hello:app' },
  ];
  for (const scenario of scenarios) {
    const pids = new Map();
    const contenders = [
      {
        name: `gunicorn sync ×${WORKERS}`,
        start: async () => {
          const port = await lib.freePort();
          const server = await lib.startServer({
            cmd: 'gunicorn', args: ['-w', String(WORKERS), '-k', 'sync', '-b', `127.0.0.1:${port}`, '--chdir', APPS, '--log-level', 'warning', scenario.app], port,
          });
          pids.set(`gunicorn sync ×${WORKERS}`, server.pid);
          return { url: `http://127.0.0.1:${port}/`, stop: server.stop };
        },
      },
      {
        name: `sluice wsgi ×${WORKERS}`,
        start: async () => {
          const port = await lib.freePort();
          const server = await lib.startServer({ cmd: process.execPath, args: [SLUICE, String(port), scenario.app, APPS, String(WORKERS), PYTHON], port });
          pids.set(`sluice wsgi ×${WORKERS}`, server.pid);
          return { url: `http://127.0.0.1:${port}/`, stop: server.stop };
        },
      },
    ];
    if (lib.have('uwsgi') && existsSync(UWSGI_PYTHON3)) {
      contenders.push({
        name: `uwsgi ×${WORKERS}`,
        start: async () => {
          const port = await lib.freePort();
          const [module, callable] = scenario.app.split(':');
          const server = await lib.startServer({
            cmd: 'uwsgi',
            args: ['--plugin', 'python3', '--http-socket', `127.0.0.1:${port}`, '--processes', String(WORKERS), '--threads', '1', '--chdir', APPS, '--pythonpath', APPS, '--module', module, '--callable', callable, '--disable-logging', '--need-app', '--die-on-term', ...(WORKERS > 1 ? ['--master'] : [])],
            port,
          });
          pids.set(`uwsgi ×${WORKERS}`, server.pid);
          return { url: `http://127.0.0.1:${port}/`, stop: server.stop };
        },
      });
    }
    const cpu = new Map();
    const memory = new Map();
    const perProcess = new Map();
    const load = (url, name, { warmup = false } = {}) => {
      const procs = lib.processTree(pids.get(name)).filter((pid) => lib.processName(pid) !== 'taskset');
      const before = procs.map(lib.processCpuTicks);
      const result = lib.wrk({ url, seconds: warmup ? 1 : SECONDS });
      const after = procs.map(lib.processCpuTicks);
      if (warmup) return result;
      const requests = Number(/(\d+) requests in/.exec(result.raw)?.[1] ?? 0);
      const us = (ticks) => ((ticks / TICKS_PER_SECOND) * 1e6) / requests;
      if (requests > 0) {
        (cpu.get(name) ?? cpu.set(name, []).get(name)).push(us(after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0)));
        const each = perProcess.get(name) ?? perProcess.set(name, new Map()).get(name);
        procs.forEach((pid, i) => {
          const key = `${lib.processName(pid)}#${i}`;
          (each.get(key) ?? each.set(key, []).get(key)).push(us(after[i] - before[i]));
        });
      }
      memory.set(name, procs.map((pid) => `${lib.processName(pid)} ${Math.round(lib.processRssKiB(pid) / 1024)}`).join(', '));
      return result;
    };
    const rows = await lib.compare(contenders, load, { rounds: ROUNDS, warmup: true });
    lib.report(`${scenario.title} (${WORKERS} worker${WORKERS > 1 ? 's' : ''})`, rows, [`gunicorn sync ×${WORKERS}`, `uwsgi ×${WORKERS}`]);
    console.log('\n| server | CPU µs per request (all its processes) | per process | p99 ms | RSS MiB per process after load |\n|---|---|---|---|---|');
    for (const row of rows) {
      const each = [...(perProcess.get(row.name) ?? new Map())].map(([key, values]) => `${key.split('#')[0]} ${lib.median(values).toFixed(1)}`).join(', ');
      console.log(`| ${row.name} | ${lib.median(cpu.get(row.name) ?? []).toFixed(1)} | ${each || '-'} | ${row.p99ms.toFixed(2)} | ${memory.get(row.name) ?? '-'} |`);
    }
    if (!lib.have('uwsgi') || !existsSync(UWSGI_PYTHON3)) console.log('\n(uWSGI or its python3 plugin is not installed: skipped; bash bench/ensure-peers.sh installs it)');
  }
}
