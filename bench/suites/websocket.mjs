// WebSocket suite: sluice (@sluice/websocket, and `ws`'s handleUpgrade on ctx.takeover()) against
// `ws` on node:http and Fastify 5 + @fastify/websocket, same run, same machine, every server an
// echo. Scenarios: round trips per second with one 32-byte message in flight on each of 50
// connections; messages per second with WS_WINDOW (64) pipelined on each of 50 connections; then
// WS_IDLE (10,000) idle connections held open, each answering an echo after the hold, and the
// server's RSS (from /proc) before and while holding them. The load generator is
// bench/ws-client.mjs (raw sockets, pinned to the client CPU like wrk).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

const servers = new URL('../servers/', import.meta.url);
const peers = [
  ['sluice', 'websocket-sluice.mjs', { SERVER: 'middleware' }],
  ['sluice takeover + ws', 'websocket-sluice.mjs', { SERVER: 'takeover' }],
  ['ws on node:http', 'websocket-ws.mjs', {}],
  ['@fastify/websocket', 'websocket-fastify.mjs', {}],
];
const baselines = ['ws on node:http', '@fastify/websocket'];

/** VmRSS and VmHWM (peak) of process `pid`, in MiB. */
function memoryMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** The next JSON line the idle client prints, or null after `timeoutMs` or when it exits. */
function nextReport(lines, timeoutMs) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(null), timeoutMs);
    const onLine = (line) => done(JSON.parse(line));
    const onClose = () => done(null);
    function done(value) {
      clearTimeout(timer);
      lines.off('line', onLine);
      lines.off('close', onClose);
      resolve(value);
    }
    lines.on('line', onLine);
    lines.on('close', onClose);
  });
}

/** Holds `count` idle connections to one started server; returns its memory before and while holding them. */
async function holdIdle(lib, server, count) {
  await sleep(1000);
  const before = memoryMiB(server.pid);
  const client = spawn('taskset', ['-c', lib.CLIENT_CPU, process.execPath, new URL('../ws-client.mjs', import.meta.url).pathname, 'idle', String(server.port), String(count)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: client.stdout });
  try {
    const opened = await nextReport(lines, 300_000);
    await sleep(2000);
    const holding = memoryMiB(server.pid);
    client.stdin.write('check\n');
    const after = await nextReport(lines, 60_000);
    return { before, holding, opened: opened?.open ?? 0, answered: after?.open ?? 0 };
  } finally {
    client.stdin.end();
    const killer = setTimeout(() => client.kill('SIGKILL'), 10_000);
    if (client.exitCode === null) await new Promise((resolve) => client.once('exit', resolve));
    clearTimeout(killer);
  }
}

export async function run(lib) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const window = Number(process.env.WS_WINDOW ?? 64);
  const idle = Number(process.env.WS_IDLE ?? 10_000);
  const start = async (file, env) => {
    const port = await lib.freePort();
    const server = await lib.startServer({
      cmd: process.execPath,
      args: [new URL(file, servers).pathname],
      env: { PORT: String(port), NODE_ENV: 'production', ...env },
      cwd: new URL('..', import.meta.url).pathname,
      port,
    });
    return { ...server, port, url: `ws://127.0.0.1:${port}/` };
  };
  const contenders = peers.map(([name, file, env]) => ({ name, start: () => start(file, env) }));
  const load = (mode) => (url, _name, { warmup = false } = {}) => lib.wsLoad({ url, mode, connections: 50, seconds: warmup ? 1 : seconds, window });

  const cpu = [];
  for (const [mode, title] of [
    ['echo', 'echo round trips, one 32-byte message in flight per connection, 50 connections'],
    ['stream', `echoed messages, ${window} pipelined 32-byte messages in flight per connection, 50 connections`],
  ]) {
    const rows = lib.report(title, await lib.compare(contenders, load(mode), { rounds, warmup: true }), baselines, { unit: 'msg/s' });
    cpu.push([mode, rows]);
  }
  console.log('\n## server CPU per echoed message (same rounds, median, µs of user + sys; lower is better)');
  console.log(`| scenario | ${peers.map(([name]) => name).join(' | ')} |`);
  console.log(`|---|${peers.map(() => '---').join('|')}|`);
  for (const [mode, rows] of cpu) {
    const cells = peers.map(([name]) => rows.find((r) => r.name === name)?.cpuUs ?? NaN);
    console.log(`| ${mode} | ${cells.map((c) => (Number.isNaN(c) ? '-' : c.toFixed(2))).join(' | ')} |`);
  }

  // sluice's engine counts taken-over connections toward maxConnections (default 10,000): raised
  // above the idle count here, as nginx's worker_connections would be for such a test.
  console.log(`\n## ${idle} idle WebSocket connections held (RSS of the server process)`);
  console.log('| server | held (answered an echo after the hold) | RSS before, MiB | RSS holding, MiB | peak RSS, MiB | KiB per connection |');
  console.log('|---|---|---|---|---|---|');
  for (const [name, file, env] of peers) {
    let server;
    try {
      server = await start(file, { ...env, MAX_CONNECTIONS: String(idle + 1000) });
    } catch (error) {
      console.log(`| ${name} | could not start (${error.message.split('\n')[0]}) | | | | |`);
      continue;
    }
    try {
      const { before, holding, opened, answered } = await holdIdle(lib, server, idle);
      const perConnection = answered > 0 ? (((holding.rss - before.rss) * 1024) / answered).toFixed(1) : '-';
      console.log(`| ${name} | ${answered} of ${idle} (${opened} answered before the hold) | ${before.rss.toFixed(1)} | ${holding.rss.toFixed(1)} | ${holding.peak.toFixed(1)} | ${perConnection} |`);
    } finally {
      await server.stop();
    }
  }
}
