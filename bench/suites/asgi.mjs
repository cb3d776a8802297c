// ASGI suite: a raw ASGI hello and a FastAPI hello, served by sluice + @sluice/asgi-bridge
// and by uvicorn (Debian's, with uvloop and httptools when installed), one worker process
// each. Besides req/s and p99 it reports CPU time per request of the whole server process
// tree (robust when the machine is shared) and the RSS of each process.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const APPS = fileURLToPath(new URL('../servers/asgi-apps/', import.meta.url));
const SLUICE = fileURLToPath(new URL('../servers/asgi-sluice.mjs', import.meta.url));
const PYTHON = '/usr/bin/python3';
const WORKERS = Number(process.env.ASGI_BENCH_WORKERS ?? 1);
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

/** Whether `module` imports with Debian's Python. */
function importable(module) {
  return spawnSync(PYTHON, ['-c', `import ${module}`]).status === 0;
}

export async function run(lib) {
  if (!importable('uvicorn')) {
    console.log('(uvicorn is not installed for /usr/bin/python3: apt-get install python3-uvicorn; suite skipped)');
    return;
  }
  const loop = importable('uvloop') ? 'uvloop' : 'asyncio';
  const http = importable('httptools') ? 'httptools' : 'h11';
  const scenarios = [
    { title: 'raw ASGI hello', app: 'hello:app' },
    ...(importable('fastapi') ? [{ title: 'FastAPI hello', app: 'fastapi_hello:app' }] : []),
  ];
  const uvicornName = `uvicorn ${loop}+${http} ×${WORKERS}`;
  const sluiceName = `sluice asgi ×${WORKERS}`;
  for (const scenario of scenarios) {
    const pids = new Map();
    const contenders = [
      {
        name: uvicornName,
        start: async () => {
          const port = await lib.freePort();
          const server = await lib.startServer({
            cmd: PYTHON,
            args: ['-m', 'uvicorn', '--workers', String(WORKERS), '--loop', loop, '--http', http, '--host', '127.0.0.1', '--port', String(port),
              '--app-dir', APPS, '--no-access-log', '--log-level', 'warning', scenario.app],
            port,
          });
          pids.set(uvicornName, server.pid);
          return { url: `http://127.0.0.1:${port}/`, stop: server.stop };
        },
      },
      {
        name: sluiceName,
        start: async () => {
          const port = await lib.freePort();
          const server = await lib.startServer({ cmd: process.execPath, args: [SLUICE, String(port), scenario.app, APPS, String(WORKERS), PYTHON], port });
          pids.set(sluiceName, server.pid);
          return { url: `http://127.0.0.1:${port}/`, stop: server.stop };
        },
      },
    ];
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
    lib.report(`${scenario.title} (${WORKERS} worker${WORKERS > 1 ? 's' : ''})`, rows, [uvicornName]);
    console.log('\n| server | CPU µs per request (all its processes) | RSS MiB per process after load |\n|---|---|---|');
    for (const row of rows) console.log(`| ${row.name} | ${Math.round(lib.median(cpu.get(row.name) ?? []))} | ${memory.get(row.name) ?? '-'} |`);
  }
}
