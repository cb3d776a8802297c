// Memory suite: sluice against node:http under the same mixed load, in the same run: keep-alive
// GETs, pipelined GETs, chunked POSTs echoed, aborted requests and responses, at the same paced
// rate for both, and 5,000 idle connections that both servers hold for the whole run (the suite
// sets both servers' header timeout above the run's length). Every few seconds the server runs a
// full GC (--expose-gc) and reports process.memoryUsage(); its RSS is read from /proc. The figure
// is the least-squares slope over the second half of the run, in MB per minute, of heap used,
// external (ArrayBuffers included), ArrayBuffers alone and RSS.
// `pnpm bench memory`; MEMORY_SECONDS, MEMORY_IDLE, MEMORY_ROUNDS, MEMORY_RATE, MEMORY_SAMPLE_SECONDS
// change it; MEMORY_SNAPSHOTS=<dir> writes a heap snapshot of each server at half time and at the
// last sample, MEMORY_HEAP_PROF=<dir> a sampling heap profile (both stall or slow the server: the figures
// of such a run are not comparable); MEMORY_SERIES=<file> appends every sample as JSON;
// MEMORY_SERVERS=sluice runs one of the two.
// Must never load the two servers differently: what differs between rows is the server alone.
import net from 'node:net';
import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const servers = new URL('../servers/', import.meta.url);
const peers = [
  ['sluice', 'memory-sluice.mjs'],
  ['node:http', 'memory-node.mjs'],
].filter(([name]) => !process.env.MEMORY_SERVERS || process.env.MEMORY_SERVERS.split(',').includes(name));

/** Waits until no snapshot in `dir` is empty or still growing (writing one takes seconds under load). */
async function snapshotsWritten(dir) {
  let last = '';
  let stable = 0;
  for (let i = 0; i < 300 && stable < 3; i++) {
    await sleep(1000);
    const sizes = readdirSync(dir).map((f) => statSync(join(dir, f)).size);
    const key = sizes.join(',');
    stable = key === last && !sizes.includes(0) ? stable + 1 : 0;
    last = key;
  }
}

const BODY_CHUNKS = ['a'.repeat(1024), 'b'.repeat(1024), 'c'.repeat(1024), 'd'.repeat(1024)];
const CHUNKED_POST =
  'POST /echo HTTP/1.1\r\nHost: bench\r\nTransfer-Encoding: chunked\r\n\r\n' + BODY_CHUNKS.map((c) => `400\r\n${c}\r\n`).join('') + '0\r\n\r\n';
const GET = 'GET / HTTP/1.1\r\nHost: bench\r\n\r\n';

/** A raw keep-alive connection that sends bytes and waits until `n` more bytes arrived. */
class Conn {
  constructor(port) {
    this.socket = net.connect(port, '127.0.0.1');
    this.received = 0;
    this.waiter = null;
    this.closed = false;
    this.socket.on('data', (c) => {
      this.received += c.length;
      if (this.waiter && this.received >= this.waiter.until) {
        const w = this.waiter;
        this.waiter = null;
        w.resolve(true);
      }
    });
    const end = () => {
      this.closed = true;
      if (this.waiter) this.waiter.resolve(false);
      this.waiter = null;
    };
    this.socket.on('close', end);
    this.socket.on('error', end);
  }
  async ready() {
    if (this.socket.connecting) await new Promise((r) => this.socket.once('connect', r).once('error', r));
    return !this.closed;
  }
  /** Writes `bytes`, resolves true once `n` response bytes came back, false if the connection ended. */
  send(bytes, n) {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.waiter = { until: this.received + n, resolve };
      this.socket.write(bytes);
    });
  }
  destroy() {
    this.socket.destroy();
  }
}

/** Bytes of one response to `request` from the server on `port` (constant per server and route). */
async function responseLength(port, request) {
  const conn = new Conn(port);
  await conn.ready();
  let text = '';
  conn.socket.on('data', (c) => (text += c.toString('latin1')));
  conn.socket.write(request);
  for (let i = 0; i < 200; i++) {
    const end = text.indexOf('\r\n\r\n');
    if (end !== -1) {
      const length = Number(/content-length: *(\d+)/i.exec(text.slice(0, end))?.[1]);
      if (text.length >= end + 4 + length) {
        conn.destroy();
        return end + 4 + length;
      }
    }
    await sleep(10);
  }
  conn.destroy();
  throw new Error(`no complete response to ${JSON.stringify(request.slice(0, 30))}`);
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

/** Least-squares slope of (t seconds, y MB) in MB per minute. */
function slopePerMinute(points) {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return (num / den) * 60;
}

/**
 * Operations per second of one loop of each kind at MEMORY_RATE=1 (the default): 8 keep-alive
 * loops, 2 pipelining (a batch is 10 GETs), 2 chunked echo, 2 aborting; 800 requests/s in all,
 * what node:http still serves on this machine at a load average near 30, so both servers get the
 * same load even on a busy machine (the table's "served" column says whether they did).
 * MEMORY_RATE scales them; 0 = unpaced (each server as fast as it goes: unequal loads).
 */
const LOOP_RATES = { keepAlive: 45, pipelined: 18, chunkedEcho: 30, aborts: 10 };
/** Requests per second of all loops together at MEMORY_RATE=1. */
const PACED_TOTAL = 8 * LOOP_RATES.keepAlive + 2 * 10 * LOOP_RATES.pipelined + 2 * LOOP_RATES.chunkedEcho + 2 * LOOP_RATES.aborts;

/** Runs the mixed load against `port` for `seconds`; returns the counts of what was done. */
async function mixedLoad(port, seconds, idleTarget, rate, sampleSeconds, onTick) {
  const startedAt = Date.now();
  const stopAt = startedAt + seconds * 1000;
  const running = () => Date.now() < stopAt;
  const counts = { keepAlive: 0, pipelined: 0, chunkedEcho: 0, aborts: 0, idleOpened: 0, idleHeld: 0 };
  const getLength = await responseLength(port, GET);
  const echoLength = await responseLength(port, CHUNKED_POST);

  /** One loop: connections one after another, `ops` operations paced at `perSecond` in all. */
  const loop = (perSecond, body) => async () => {
    let done = 0;
    const pace = async () => {
      done++;
      if (perSecond === 0) return;
      const due = startedAt + (done / perSecond) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
    };
    while (running()) {
      const conn = new Conn(port);
      if (await conn.ready()) await body(conn, pace);
      conn.destroy();
      await sleep(1);
    }
  };
  const keepAlive = loop(LOOP_RATES.keepAlive * rate, async (conn, pace) => {
    for (let i = 0; i < 200 && running(); i++) {
      if (!(await conn.send(GET, getLength))) return;
      counts.keepAlive++;
      await pace();
    }
  });
  const pipelined = loop(LOOP_RATES.pipelined * rate, async (conn, pace) => {
    for (let i = 0; i < 50 && running(); i++) {
      if (!(await conn.send(GET.repeat(10), getLength * 10))) return;
      counts.pipelined += 10;
      await pace();
    }
  });
  const chunkedEcho = loop(LOOP_RATES.chunkedEcho * rate, async (conn, pace) => {
    for (let i = 0; i < 100 && running(); i++) {
      if (!(await conn.send(CHUNKED_POST, echoLength))) return;
      counts.chunkedEcho++;
      await pace();
    }
  });
  const aborts = loop(LOOP_RATES.aborts * rate, async (conn, pace) => {
    const kind = counts.aborts % 3;
    counts.aborts++;
    if (kind === 0) await conn.send('GET /stream HTTP/1.1\r\nHost: bench\r\n\r\n', 1); // mid-response
    else if (kind === 1) conn.socket.write('GET / HTTP/1.1\r\nHost: be'); // mid-head
    else conn.socket.write('POST /echo HTTP/1.1\r\nHost: bench\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000)); // mid-body
    await sleep(2);
    await pace();
  });
  // Idle connections: opened in batches up to the target, each reopened when the server closes it.
  const idle = new Set();
  const openIdle = () => {
    const socket = net.connect(port, '127.0.0.1');
    counts.idleOpened++;
    idle.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      idle.delete(socket);
      if (running()) setTimeout(openIdle, 50);
    });
  };
  const idleFiller = async () => {
    while (idle.size < idleTarget && running()) {
      for (let i = 0; i < 100 && idle.size < idleTarget; i++) openIdle();
      await sleep(20);
    }
  };
  const ticker = async () => {
    while (running()) {
      const tickAt = Date.now();
      await onTick((tickAt - startedAt) / 1000);
      await sleep(Math.max(0, sampleSeconds * 1000 - (Date.now() - tickAt)));
    }
  };
  await Promise.all([idleFiller(), ...Array.from({ length: 8 }, keepAlive), pipelined(), pipelined(), chunkedEcho(), chunkedEcho(), aborts(), aborts(), ticker()]);
  counts.idleHeld = idle.size;
  for (const socket of idle) socket.destroy();
  return counts;
}

export async function run(lib) {
  const seconds = Number(process.env.MEMORY_SECONDS ?? 60);
  const idleTarget = Number(process.env.MEMORY_IDLE ?? 5000);
  const rounds = Number(process.env.MEMORY_ROUNDS ?? 1);
  const rate = Number(process.env.MEMORY_RATE ?? 1);
  const sampleSeconds = Number(process.env.MEMORY_SAMPLE_SECONDS ?? 2);
  const snapshots = process.env.MEMORY_SNAPSHOTS;
  const heapProf = process.env.MEMORY_HEAP_PROF;
  // Above the run's length: neither server times out the idle connections (node:http never
  // does for a connection that sends nothing), so both hold the same 5,000 all run.
  const headersTimeoutMs = (seconds + 60) * 1000;
  const rows = [];
  for (let round = 0; round < rounds; round++) {
    for (const [name, file] of peers) {
      const port = await lib.freePort();
      const nodeArgs = [
        '--expose-gc',
        ...(snapshots ? [`--diagnostic-dir=${snapshots}`, '--heapsnapshot-signal=SIGUSR2'] : []),
        ...(heapProf ? ['--heap-prof', `--heap-prof-dir=${heapProf}`, `--heap-prof-name=${name.replace(':', '-')}-${round + 1}.heapprofile`] : []),
      ];
      const server = await lib.startServer({
        cmd: process.execPath,
        args: [...nodeArgs, new URL(file, servers).pathname],
        env: { PORT: String(port), NODE_ENV: 'production', HEADERS_TIMEOUT_MS: String(headersTimeoutMs) },
        cwd: new URL('..', import.meta.url).pathname,
        port,
      });
      const series = { rss: [], heap: [], external: [], arrayBuffers: [] };
      let snapped = 0;
      const counts = await mixedLoad(port, seconds, idleTarget, rate, sampleSeconds, async (t) => {
        try {
          // The server runs a full GC before answering: the figures are retained memory.
          const mem = await (await fetch(`http://127.0.0.1:${port}/__mem`)).json();
          series.heap.push([t, mem.heapUsed / 1048576]);
          series.external.push([t, mem.external / 1048576]);
          series.arrayBuffers.push([t, mem.arrayBuffers / 1048576]);
        } catch {
          // a sample lost to load: the slope is fitted on the others
        }
        series.rss.push([t, rssMb(server.pid)]);
        // At half time and at the last sample, while the load (idle connections too) still runs.
        if (snapshots && snapped < 2 && t >= (snapped === 0 ? seconds / 2 : seconds - 1.5 * sampleSeconds)) {
          snapped++;
          process.kill(server.pid, 'SIGUSR2');
        }
      });
      if (snapshots) await snapshotsWritten(snapshots);
      await server.stop();
      if (process.env.MEMORY_SERIES) {
        // Every sample of every series, for a closer look than a slope (one JSON line per row).
        appendFileSync(process.env.MEMORY_SERIES, JSON.stringify({ name, round: round + 1, ...series }) + '\n');
      }
      const half = (points) => points.filter(([t]) => t >= seconds / 2);
      const row = { name, round, counts, samples: half(series.heap).length };
      for (const [key, points] of Object.entries(series)) {
        row[key] = { slope: slopePerMinute(half(points)), first: points[0]?.[1] ?? NaN, last: points.at(-1)?.[1] ?? NaN };
      }
      rows.push(row);
    }
  }
  const paced = rate === 0 ? 'unpaced' : `paced at ${Math.round(PACED_TOTAL * rate)} requests/s`;
  console.log(
    `\n## memory under a ${seconds} s mixed load (${paced}; ${idleTarget} idle connections held by both; ` +
      `full GC before each sample, every ${sampleSeconds} s; slope over the second half, MB/min; lower is better)`,
  );
  console.log('| server | round | heap used slope | external slope | arrayBuffers slope | RSS slope | heap first → last (MB) | external first → last (MB) | RSS first → last (MB) | samples | served (of paced) | keep-alive | pipelined | chunked echo | aborts | idle opened / held at end |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const served = (c) => {
    const total = c.keepAlive + c.pipelined + c.chunkedEcho + c.aborts;
    return rate === 0 ? String(total) : `${Math.round((100 * total) / (PACED_TOTAL * rate * seconds))} %`;
  };
  const mb = (s) => `${s.first.toFixed(1)} → ${s.last.toFixed(1)}`;
  for (const r of rows) {
    const c = r.counts;
    console.log(
      `| ${r.name} | ${r.round + 1} | ${r.heap.slope.toFixed(2)} | ${r.external.slope.toFixed(2)} | ${r.arrayBuffers.slope.toFixed(2)} | ${r.rss.slope.toFixed(2)} | ` +
        `${mb(r.heap)} | ${mb(r.external)} | ${mb(r.rss)} | ${r.samples} | ${served(c)} | ${c.keepAlive} | ${c.pipelined} | ${c.chunkedEcho} | ${c.aborts} | ${c.idleOpened} / ${c.idleHeld} |`,
    );
  }
}
