// CGI suite: a shell and a Python "hello" CGI program through sluice (spawn helper, also with
// programs at the kernel's default scheduler slice, and direct child_process.spawn, each with a
// small heap and with ~500 MB of live heap), lighttpd mod_cgi (1 worker) and
// `python3 -m http.server --cgi` (loaded with ab: wrk cannot read its close-delimited
// responses), same concurrency, same run. Then the spawn cost itself: /bin/true started 200
// times in a row by each spawner, small and large heap.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const servers = new URL('../servers/', import.meta.url);
const PYTHON_SERVER = 'python3 -m http.server --cgi (ab)';
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU seconds used by `pid` and its live descendants, including the children they reaped
 * (cutime/cstime): for a CGI server that is the server plus every program it ran. On a shared
 * machine this is a fairer figure than req/s, which also depends on who else gets CPU 0.
 */
function treeCpuSeconds(pid) {
  const stats = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]) });
    } catch {
      // gone while we looked
    }
  }
  let ticks = 0;
  const todo = [pid];
  while (todo.length > 0) {
    const current = todo.pop();
    ticks += stats.get(current)?.ticks ?? 0;
    for (const [child, stat] of stats) if (stat.ppid === current) todo.push(child);
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

function prepare() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-cgi-'));
  // python's http.server drops root privileges to "nobody" before running a script.
  chmodSync(dir, 0o755);
  const bin = join(dir, 'cgi-bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'hello.sh'), "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nHello, World!\\n'\n");
  writeFileSync(join(bin, 'hello.py'), "#!/usr/bin/python3\nimport sys\nsys.stdout.write('Content-Type: text/plain\\r\\n\\r\\nHello, World!\\n')\n");
  chmodSync(join(bin, 'hello.sh'), 0o755);
  chmodSync(join(bin, 'hello.py'), 0o755);
  return { dir, bin };
}

function lighttpdConfig(dir, bin, port) {
  const conf = join(dir, `lighttpd-${port}.conf`);
  writeFileSync(conf, [
    'server.modules = ("mod_alias", "mod_cgi")',
    `server.document-root = "${dir}"`,
    `server.port = ${port}`,
    'server.bind = "127.0.0.1"',
    `server.errorlog = "${join(dir, 'lighttpd-error.log')}"`,
    'server.max-worker = 0',
    `alias.url = ("/cgi-bin/" => "${bin}/")`,
    'cgi.assign = (".sh" => "", ".py" => "")',
    '',
  ].join('\n'));
  return conf;
}

export async function run(lib) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
  const { dir, bin } = prepare();
  const pids = new Map();
  const root = new URL('..', import.meta.url).pathname;
  const sluice = (name, spawner, ballastMb, helper = 'native', programSliceMs = '') => ({
    name,
    async start() {
      const port = await lib.freePort();
      const server = await lib.startServer({
        cmd: process.execPath,
        args: ['--max-old-space-size=2048', new URL('cgi-sluice.mjs', servers).pathname],
        env: { PORT: String(port), CGI_DIR: bin, SPAWNER: spawner, HELPER: helper, BALLAST_MB: String(ballastMb), PROGRAM_SLICE_MS: programSliceMs, NODE_ENV: 'production' },
        cwd: root,
        port,
      });
      pids.set(name, server.pid);
      return { url: `http://127.0.0.1:${port}`, stop: server.stop };
    },
  });
  const contenders = [
    sluice('sluice (helper)', 'helper', 0),
    // The same with programs at the kernel's default scheduler slice (programSliceMs: 0).
    sluice('sluice (helper, default slice)', 'helper', 0, 'native', '0'),
    sluice('sluice (Python helper)', 'helper', 0, 'python'),
    sluice('sluice (direct)', 'direct', 0),
    sluice('sluice (helper, 500 MB heap)', 'helper', 500),
    sluice('sluice (direct, 500 MB heap)', 'direct', 500),
  ];
  if (lib.have('lighttpd')) {
    contenders.push({
      name: 'lighttpd mod_cgi',
      async start() {
        const port = await lib.freePort();
        const server = await lib.startServer({ cmd: 'lighttpd', args: ['-D', '-f', lighttpdConfig(dir, bin, port)], port });
        pids.set('lighttpd mod_cgi', server.pid);
        return { url: `http://127.0.0.1:${port}`, stop: server.stop };
      },
    });
  }
  contenders.push({
    name: PYTHON_SERVER,
    async start() {
      const port = await lib.freePort();
      const server = await lib.startServer({ cmd: '/usr/bin/python3', args: ['-m', 'http.server', '--cgi', '--bind', '127.0.0.1', String(port)], cwd: dir, port });
      pids.set(PYTHON_SERVER, server.pid);
      return { url: `http://127.0.0.1:${port}`, stop: server.stop };
    },
  });
  const baselines = lib.have('lighttpd') ? ['lighttpd mod_cgi'] : [];
  // http.server answers HTTP/1.0 with the body ended by closing the connection, which wrk
  // counts as a read error, not a response: that server is loaded with ab instead.
  const hit = (name, url, runSeconds) => (name === PYTHON_SERVER
    ? lib.ab({ url, concurrency: connections, seconds: runSeconds, requests: 1_000_000 })
    : lib.wrk({ url, connections, seconds: runSeconds }));
  for (const script of ['hello.sh', 'hello.py']) {
    const cpu = new Map();
    const load = (url, name, { warmup = false } = {}) => {
      // A fresh server's JavaScript is still cold: an unmeasured run first, on the shell hello
      // for every script (the server's code path is the same; ~1,000+ requests in 5 s, where the
      // Python hello would give ~100). Done for every contender alike.
      if (warmup) return hit(name, `${url}/cgi-bin/hello.sh`, 5);
      const before = treeCpuSeconds(pids.get(name));
      const result = hit(name, `${url}/cgi-bin/${script}`, seconds);
      const used = treeCpuSeconds(pids.get(name)) - before;
      const requests = result.rps * seconds;
      // One entry per round, NaN when nothing was answered, so that rounds stay aligned for pairing.
      cpu.set(name, [...(cpu.get(name) ?? []), requests > 0 ? (used * 1e6) / requests : NaN]);
      return result;
    };
    const rows = await lib.compare(contenders, load, { rounds, warmup: true });
    lib.report(`${script} (wrk -c${connections}, ${seconds}s)`, rows, baselines);
    // Efficiency is paired like req/s: lighttpd's CPU per request over this one's, in the same
    // round, then the median (the machine's speed moves both alike within a round).
    const base = cpu.get('lighttpd mod_cgi') ?? [];
    console.log(`\nCPU per request (server + helper + programs), median µs: ${rows.map((r) => {
      const own = cpu.get(r.name) ?? [];
      const us = lib.median(own.filter((x) => !Number.isNaN(x)));
      const ratio = lib.median(own.map((v, i) => (base[i] > 0 && v > 0 ? base[i] / v : NaN)).filter((x) => !Number.isNaN(x)));
      return `${r.name} ${Math.round(us)}${Number.isNaN(ratio) ? '' : ` (${ratio.toFixed(2)}× lighttpd's efficiency)`}`;
    }).join('; ')}`);
  }
  spawnCost(lib);
}

/** /bin/true through each spawner, one after another, pinned to the server CPU: ms each and event-loop delay. */
function spawnCost(lib) {
  console.log('\n## spawn cost (/bin/true, 200 in a row, median of 3)');
  console.log('| spawner | live heap | RSS MB | ms per spawn | event loop p99 delay ms | max delay ms |');
  console.log('|---|---|---|---|---|---|');
  for (const ballastMb of [0, 500]) {
    for (const [spawner, helper] of [['helper', 'native'], ['helper', 'python'], ['direct', '']]) {
      const runs = [];
      for (let i = 0; i < 3; i++) {
        const out = spawnSync('taskset', ['-c', lib.SERVER_CPU, process.execPath, '--max-old-space-size=2048', new URL('cgi-spawn-cost.mjs', servers).pathname], {
          env: { ...process.env, SPAWNER: spawner, HELPER: helper, BALLAST_MB: String(ballastMb), COUNT: '200' },
          encoding: 'utf8',
          timeout: 300_000,
        });
        const line = out.stdout.trim().split('\n').pop();
        if (line?.startsWith('{')) runs.push(JSON.parse(line));
      }
      const label = helper === '' ? spawner : `${spawner} (${helper})`;
      if (runs.length === 0) {
        console.log(`| ${label} | ${ballastMb} MB | - | failed | - | - |`);
        continue;
      }
      const pick = (key) => lib.median(runs.map((r) => r[key]));
      console.log(`| ${label} | ${ballastMb} MB | ${pick('rssMb')} | ${pick('msPerSpawn')} | ${pick('loopDelayP99Ms')} | ${pick('loopDelayMaxMs')} |`);
    }
  }
}
