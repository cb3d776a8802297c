// WSGI suite: a plain WSGI hello and a Flask hello, served by sluice + @sluice/wsgi-bridge
// and by gunicorn (sync workers) with the same number of worker processes (uWSGI too when
// installed). Besides req/s it reports CPU time per request of the whole server process tree
// (robust when the machine is shared) and the RSS of each worker process.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const APPS = fileURLToPath(new URL('../servers/wsgi-apps/', import.meta.url));
const SLUICE = fileURLToPath(new URL('../servers/wsgi-sluice.mjs', import.meta.url));
const PYTHON = '/usr/bin/python3';
const WORKERS = Number(process.env.WSGI_BENCH_WORKERS ?? 1);
const TICKS_PER_SECOND = 100;

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
    if (lib.have('uwsgi')) {
      contenders.push({
        name: `uwsgi ×${WORKERS}`,
        start: async () => {
          const port = await lib.freePort();
          const [module, callable] = scenario.app.split(':');
          const server = await lib.startServer({
            cmd: 'uwsgi', args: ['--http-socket', `127.0.0.1:${port}`, '--processes', String(WORKERS), '--chdir', APPS, '--module', module, '--callable', callable, '--disable-logging'], port,
          });
          pids.set(`uwsgi ×${WORKERS}`, server.pid);
          return { url: `http://127.0.0.1:${port}/`, stop: server.stop };
        },
      });
    }
    const cpu = new Map();
    const memory = new Map();
    const load = (url, name) => {
      const procs = tree(pids.get(name));
      const before = procs.reduce((sum, pid) => sum + cpuTicks(pid), 0);
      const result = lib.wrk({ url });
      const after = procs.reduce((sum, pid) => sum + cpuTicks(pid), 0);
      const requests = Number(/(\d+) requests in/.exec(result.raw)?.[1] ?? 0);
      if (requests > 0) (cpu.get(name) ?? cpu.set(name, []).get(name)).push(((after - before) / TICKS_PER_SECOND) * 1e6 / requests);
      memory.set(name, procs.map((pid) => `${comm(pid)} ${Math.round(rssKiB(pid) / 1024)}`).join(', '));
      return result;
    };
    const rows = await lib.compare(contenders, load);
    lib.report(`${scenario.title} (${WORKERS} worker${WORKERS > 1 ? 's' : ''})`, rows, [`gunicorn sync ×${WORKERS}`]);
    console.log('\n| server | CPU µs per request (all its processes) | RSS MiB per process after load |\n|---|---|---|');
    for (const row of rows) console.log(`| ${row.name} | ${Math.round(lib.median(cpu.get(row.name) ?? []))} | ${memory.get(row.name) ?? '-'} |`);
    if (!lib.have('uwsgi')) console.log('\n(uWSGI is not installed: skipped)');
  }
}
