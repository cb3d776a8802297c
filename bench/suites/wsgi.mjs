// WSGI suite: a plain WSGI hello and a Flask hello, served by sluice + @sluice/wsgi-bridge,
// by gunicorn (sync workers) and by uWSGI (`--http-socket`, 1 thread per process) with the same
// number of worker processes (bench/ensure-peers.sh installs the peers; a missing one is skipped).
// Besides req/s and p99 it reports CPU time per request of the whole server process tree and of
// each process in it (robust when the machine is shared) and the RSS of each process.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const APPS = fileURLToPath(new URL('../servers/wsgi-apps/', import.meta.url));
const SLUICE = fileURLToPath(new URL('../servers/wsgi-sluice.mjs', import.meta.url));
const PYTHON = '/usr/bin/python3';
const WORKERS = Number(process.env.WSGI_BENCH_WORKERS ?? 1);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TICKS_PER_SECOND = 100;
const UWSGI_PYTHON3 = '/usr/lib/uwsgi/plugins/python3_plugin.so';

/** The pid and its descendants (via /proc/<pid>/task/<tid>/children). */
function tree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      const tasks = readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim();
      if (tasks) out.push(...tasks.split(/\s+/).map(Number));
    } catch {
      // gone
    }
  }
  return out;
}

/** user+system clock ticks of a process (all its threads). */
function cpuTicks(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function rssKiB(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function comm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

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
      const procs = tree(pids.get(name)).filter((pid) => comm(pid) !== 'taskset');
      const before = procs.map(cpuTicks);
      const result = lib.wrk({ url, seconds: warmup ? 1 : SECONDS });
      const after = procs.map(cpuTicks);
      if (warmup) return result;
      const requests = Number(/(\d+) requests in/.exec(result.raw)?.[1] ?? 0);
      const us = (ticks) => ((ticks / TICKS_PER_SECOND) * 1e6) / requests;
      if (requests > 0) {
        (cpu.get(name) ?? cpu.set(name, []).get(name)).push(us(after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0)));
        const each = perProcess.get(name) ?? perProcess.set(name, new Map()).get(name);
        procs.forEach((pid, i) => {
          const key = `${comm(pid)}#${i}`;
          (each.get(key) ?? each.set(key, []).get(key)).push(us(after[i] - before[i]));
        });
      }
      memory.set(name, procs.map((pid) => `${comm(pid)} ${Math.round(rssKiB(pid) / 1024)}`).join(', '));
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
