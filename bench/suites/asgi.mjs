// ASGI suite: a raw ASGI hello and a FastAPI hello, served by sluice + @sluice/asgi-bridge
// and by uvicorn (Debian's, with uvloop and httptools when installed), one worker process
// each. Besides req/s and p99 it reports CPU time per request of the whole server process
// tree (robust when the machine is shared) and the RSS of each process.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const APPS = fileURLToPath(new URL('../servers/asgi-apps/', import.meta.url));
const SLUICE = fileURLToPath(new URL('../servers/asgi-sluice.mjs', import.meta.url));
const PYTHON = '/usr/bin/python3';
const WORKERS = Number(process.env.ASGI_BENCH_WORKERS ?? 1);
const TICKS_PER_SECOND = 100;

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
      const procs = lib.processTree(pids.get(name));
      const before = procs.reduce((sum, pid) => sum + lib.processCpuTicks(pid), 0);
      const result = lib.wrk({ url });
      const after = procs.reduce((sum, pid) => sum + lib.processCpuTicks(pid), 0);
      const requests = Number(/(\d+) requests in/.exec(result.raw)?.[1] ?? 0);
      if (requests > 0) (cpu.get(name) ?? cpu.set(name, []).get(name)).push(((after - before) / TICKS_PER_SECOND) * 1e6 / requests);
      memory.set(name, procs.map((pid) => `${lib.processName(pid)} ${Math.round(lib.processRssKiB(pid) / 1024)}`).join(', '));
      return result;
    };
    const rows = await lib.compare(contenders, load);
    lib.report(`${scenario.title} (${WORKERS} worker${WORKERS > 1 ? 's' : ''})`, rows, [uvicornName]);
    console.log('\n| server | CPU µs per request (all its processes) | RSS MiB per process after load |\n|---|---|---|');
    for (const row of rows) console.log(`| ${row.name} | ${Math.round(lib.median(cpu.get(row.name) ?? []))} | ${memory.get(row.name) ?? '-'} |`);
  }
}
