// Shared benchmark machinery: start a server pinned to CPU 0, load it with wrk (or ab)
// pinned to CPU 1, take the median of several rounds, and print rows with ratios to a
// baseline measured in the same run. Loopback only; every run is bounded in time.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const SERVER_CPU = '0';
export const CLIENT_CPU = '1';

/** A free TCP port on 127.0.0.1. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export function have(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/**
 * Starts `cmd args` pinned to the server CPU and waits until `port` accepts connections.
 * Returns { stop(), pid }. The server's stderr goes to a temporary file, not a pipe: the load
 * tools run synchronously (spawnSync), so nothing would drain a pipe meanwhile, and a server
 * that logs every request (python's http.server) would block once its 64 KiB were full.
 */
export async function startServer({ cmd, args = [], env = {}, cwd, port, timeoutMs = 30000, pin = true }) {
  const argv = pin ? ['-c', SERVER_CPU, cmd, ...args] : args;
  const logDir = mkdtempSync(join(tmpdir(), 'sluice-bench-log-'));
  const logFile = join(logDir, 'stderr');
  const logFd = openSync(logFile, 'w');
  const proc = spawn(pin ? 'taskset' : cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', logFd] });
  closeSync(logFd);
  const removeLog = () => rmSync(logDir, { recursive: true, force: true });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) {
      const text = readFileSync(logFile, 'utf8').slice(-8192);
      removeLog();
      throw new Error(`${cmd} exited early: ${text}`);
    }
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    await sleep(100);
  }
  return {
    pid: proc.pid,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
        await new Promise((r) => proc.once('exit', r));
        clearTimeout(t);
      }
      removeLog();
    },
  };
}

function parseLatency(value, unit) {
  const v = Number(value);
  return unit === 'us' ? v / 1000 : unit === 's' ? v * 1000 : v;
}

/**
 * One wrk run pinned to the client CPU. Returns { rps, p99ms, errors }.
 * `script` is a wrk Lua file (for POST bodies or HTTP/1.0).
 */
export function wrk({ url, connections = 50, seconds = 5, script, threads = 1 }) {
  const args = ['-c', CLIENT_CPU, 'wrk', `-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency'];
  if (script) args.push('-s', script);
  args.push(url);
  const out = spawnSync('taskset', args, { encoding: 'utf8', timeout: (seconds + 30) * 1000 }).stdout ?? '';
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const p99 = /\n\s+99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps, p99ms: p99 ? parseLatency(p99[1], p99[2]) : NaN, errors, raw: out };
}

/**
 * One ApacheBench run (HTTP/1.0, a new connection per request unless keepAlive). `-r`: a
 * connection reset counts as a failed request instead of ending the run (ab's default), which
 * left a server whose listen backlog overflows (python's http.server: 5) with no figure at all.
 */
export function ab({ url, requests = 20000, concurrency = 50, keepAlive = false, seconds = 10 }) {
  const args = ['-c', CLIENT_CPU, 'ab', '-q', '-r', '-n', String(requests), '-c', String(concurrency), '-t', String(seconds), '-n', String(requests)];
  if (keepAlive) args.push('-k');
  args.push(url);
  const run = spawnSync('taskset', args, { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const out = run.stdout ?? '';
  const rps = Number(/Requests per second:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  if (rps === 0) console.error(`  ab gave no figure for ${url}: ${(run.stderr ?? '').trim().split('\n').pop() || `exit ${run.status ?? run.signal}`}`);
  const p99 = /\n\s+99%\s+(\d+)/.exec(out);
  const failed = Number(/Failed requests:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p99ms: p99 ? Number(p99[1]) : NaN, errors: failed + non2xx, raw: out };
}

/**
 * One h2load run (HTTP/2; h2c with prior knowledge for http://, ALPN h2 for https://) pinned to
 * the client CPU: `clients` connections × `streams` concurrent streams for `seconds`.
 * Returns { rps, p99ms, errors }; p99ms is NaN (h2load reports a mean and a max, not percentiles).
 */
export function h2load({ url, clients = 10, streams = 10, seconds = 5, threads = 1 }) {
  const args = ['-c', CLIENT_CPU, 'h2load', `-c${clients}`, `-m${streams}`, `-t${threads}`, `-D${seconds}`, url];
  const out = spawnSync('taskset', args, { encoding: 'utf8', timeout: (seconds + 30) * 1000 }).stdout ?? '';
  const rps = Number(/finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(out)?.[1] ?? 0);
  const status = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  const requests = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  const errors = (status ? Number(status[3]) + Number(status[4]) : 0) + (requests ? Number(requests[5]) + Number(requests[6]) : 0);
  // compare() counts requests from wrk's "N requests in": h2load's done count, said the same way.
  return { rps, p99ms: NaN, errors, raw: requests ? `${requests[3]} requests in` : out };
}

const WS_CLIENT = new URL('./ws-client.mjs', import.meta.url).pathname;

/**
 * One run of the WebSocket load generator (bench/ws-client.mjs) pinned to the client CPU against
 * `url` (ws://127.0.0.1:port/): `mode` echo (one message in flight per connection) or stream
 * (`window` in flight). Returns { rps (messages/s), p99ms (echo only), errors, requests (messages), raw }.
 */
export function wsLoad({ url, mode = 'echo', connections = 50, seconds = 5, payloadBytes = 32, window = 64 }) {
  const args = ['-c', CLIENT_CPU, process.execPath, WS_CLIENT, mode, new URL(url).port, connections, seconds, payloadBytes, window].map(String);
  const run = spawnSync('taskset', args, { encoding: 'utf8', timeout: (seconds + 60) * 1000 });
  const out = run.stdout ?? '';
  let result = null;
  try {
    result = JSON.parse(out.trim().split('\n').pop());
  } catch {
    console.error(`  ws-client gave no figure for ${url}: ${(run.stderr ?? '').trim().split('\n').pop() || `exit ${run.status ?? run.signal}`}`);
    return { rps: 0, p99ms: NaN, errors: connections, requests: 0, raw: out };
  }
  return { rps: result.rate, p99ms: result.p99ms ?? NaN, errors: result.errors, requests: result.messages, raw: out };
}

export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  return v.length === 0 ? NaN : v[Math.floor(v.length / 2)];
}

/** CPU time (user + sys) process `pid` has used so far, in ms (USER_HZ = 100); NaN if gone. */
export function processCpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** User + system clock ticks (USER_HZ = 100) process `pid` has used so far, all its threads; 0 if gone. */
export function processCpuTicks(pid) {
  const ms = processCpuMs(pid);
  return Number.isNaN(ms) ? 0 : ms / 10;
}

/** The pid and its descendants (via /proc/<pid>/task/<tid>/children). */
export function processTree(pid) {
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

/** Resident set size of process `pid` in KiB; 0 if gone. */
export function processRssKiB(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The command name of process `pid` (`/proc/<pid>/comm`); `?` if gone. */
export function processName(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** Busy and total jiffies of one CPU so far (from /proc/stat). */
function cpuJiffies(cpu) {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${cpu} `));
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + f[4];
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/**
 * Measures each contender `rounds` times (interleaved and rotated, so drift hits all alike), after one
 * unmeasured `load(url, name, { warmup: true })` each when `warmup` is set, and returns rows
 * { name, rps, p99ms, errors, clientBusy, cpuUs, rounds } with medians; `rounds` keeps each
 * round's req/s so that `report` can pair them.
 * `clientBusy` is the median share of the client CPU that was busy during the runs: near 1,
 * the load generator (not the server) set the pace and ratios between servers are compressed.
 * `cpuUs` is the median server CPU per request (µs, user + sys) when `start` gave a `pid`.
 * contenders: [{ name, start: async () => ({ url, stop }) }]; load(url) runs one measurement.
 */
export async function compare(contenders, load, { rounds = 3, warmup = false } = {}) {
  const started = [];
  for (const c of contenders) {
    try {
      started.push({ name: c.name, ...(await c.start()), results: [], busy: [], cpu: [] });
    } catch (error) {
      console.log(`  ${c.name}: could not start (${error.message.split('\n')[0]})`);
    }
  }
  try {
    // JIT warm-up: the first seconds of a fresh process would otherwise count against it.
    if (warmup) for (const s of started) await load(s.url, s.name, { warmup: true });
    for (let r = 0; r < rounds; r++) {
      // Each round starts with the next contender, so that no one always runs first (or
      // last) while the machine speeds up or slows down.
      for (let i = 0; i < started.length; i++) {
        const s = started[(i + r) % started.length];
        const before = cpuJiffies(CLIENT_CPU);
        const serverBefore = s.pid ? processCpuMs(s.pid) : NaN;
        const result = await load(s.url, s.name);
        const serverAfter = s.pid ? processCpuMs(s.pid) : NaN;
        const after = cpuJiffies(CLIENT_CPU);
        s.results.push(result);
        s.busy.push(after.total > before.total ? (after.busy - before.busy) / (after.total - before.total) : NaN);
        const requests = result.requests ?? Number(/(\d+) requests in/.exec(result.raw ?? '')?.[1] ?? NaN);
        s.cpu.push(requests > 0 ? ((serverAfter - serverBefore) * 1000) / requests : NaN);
      }
    }
  } finally {
    for (const s of started) await s.stop();
  }
  return started.map((s) => ({
    name: s.name,
    rps: median(s.results.map((x) => x.rps)),
    p99ms: median(s.results.map((x) => x.p99ms)),
    errors: s.results.reduce((a, x) => a + x.errors, 0),
    clientBusy: median(s.busy),
    cpuUs: median(s.cpu.filter((x) => !Number.isNaN(x))),
    rounds: s.results.map((x) => x.rps),
  }));
}

/**
 * Ratio of `row` to `base`: the median of the per-round ratios when both have rounds (each
 * round's contenders ran back to back, so a machine that speeds up or slows down between
 * rounds does not skew it), else the ratio of the medians.
 */
export function pairedRatio(row, base) {
  if (row.rounds && base.rounds && row.rounds.length === base.rounds.length && row.rounds.length > 0) {
    return median(row.rounds.map((v, i) => (base.rounds[i] > 0 ? v / base.rounds[i] : NaN)).filter((x) => !Number.isNaN(x)));
  }
  return base.rps > 0 ? row.rps / base.rps : NaN;
}

/** Prints a scenario's rows with the (paired) ratio of every row to each named baseline; `unit` names the rate column. */
export function report(scenario, rows, baselines = [], { unit = 'req/s' } = {}) {
  console.log(`\n## ${scenario}`);
  const heads = ['server', unit, 'p99 ms', 'errors', ...baselines.map((b) => `× ${b}`), 'client CPU busy'];
  console.log(`| ${heads.join(' | ')} |`);
  console.log(`|${heads.map(() => '---').join('|')}|`);
  for (const row of rows) {
    const ratios = baselines.map((b) => {
      const base = rows.find((r) => r.name === b);
      const ratio = base ? pairedRatio(row, base) : NaN;
      return Number.isNaN(ratio) ? '-' : ratio.toFixed(2);
    });
    const busy = row.clientBusy === undefined || Number.isNaN(row.clientBusy) ? '-' : `${Math.round(row.clientBusy * 100)} %`;
    console.log(`| ${row.name} | ${Math.round(row.rps)} | ${Number.isNaN(row.p99ms) ? '-' : row.p99ms.toFixed(2)} | ${row.errors} | ${ratios.join(' | ')} | ${busy} |`);
  }
  return rows;
}
