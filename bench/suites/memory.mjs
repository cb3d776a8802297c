// Memory suite: sluice against node:http under the same 60 s mixed load, in the same run:
// keep-alive GETs, pipelined GETs, chunked POSTs echoed, aborted requests and responses, and
// 5,000 idle connections held open (reopened when the server closes them). The server's RSS
// (from /proc) and heap (process.memoryUsage through /__mem) are sampled every second, each
// time after a full GC in the server (--expose-gc), so they measure what is retained; the
// figure is the least-squares slope over the second half of the run, in MB per minute.
// `pnpm bench memory`; MEMORY_SECONDS, MEMORY_IDLE and MEMORY_ROUNDS shorten or lengthen it;
// MEMORY_SNAPSHOTS=<dir> writes a heap snapshot of each server at a third of the run and at the
// end (taking one stalls the server: the figures of such a run are not comparable);
// MEMORY_SERVERS=sluice runs one of the two.
import net from 'node:net';
import { readdirSync, readFileSync, statSync } from 'node:fs';
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

/** Runs the mixed load against `port` for `seconds`; returns the counts of what was done. */
async function mixedLoad(port, seconds, idleTarget, onTick) {
  const stopAt = Date.now() + seconds * 1000;
  const running = () => Date.now() < stopAt;
  const counts = { keepAlive: 0, pipelined: 0, chunkedEcho: 0, aborts: 0, idleOpened: 0 };
  const getLength = await responseLength(port, GET);
  const echoLength = await responseLength(port, CHUNKED_POST);

  const loop = async (body) => {
    while (running()) {
      const conn = new Conn(port);
      if (await conn.ready()) await body(conn);
      conn.destroy();
      await sleep(1);
    }
  };
  const keepAlive = () =>
    loop(async (conn) => {
      for (let i = 0; i < 200 && running(); i++) {
        if (!(await conn.send(GET, getLength))) return;
        counts.keepAlive++;
      }
    });
  const pipelined = () =>
    loop(async (conn) => {
      for (let i = 0; i < 50 && running(); i++) {
        if (!(await conn.send(GET.repeat(10), getLength * 10))) return;
        counts.pipelined += 10;
      }
    });
  const chunkedEcho = () =>
    loop(async (conn) => {
      for (let i = 0; i < 100 && running(); i++) {
        if (!(await conn.send(CHUNKED_POST, echoLength))) return;
        counts.chunkedEcho++;
      }
    });
  const aborts = () =>
    loop(async (conn) => {
      const kind = counts.aborts % 3;
      counts.aborts++;
      if (kind === 0) await conn.send('GET /stream HTTP/1.1\r\nHost: bench\r\n\r\n', 1); // mid-response
      else if (kind === 1) conn.socket.write('GET / HTTP/1.1\r\nHost: be'); // mid-head
      else conn.socket.write('POST /echo HTTP/1.1\r\nHost: bench\r\nContent-Length: 100000\r\n\r\n' + 'x'.repeat(1000)); // mid-body
      await sleep(2);
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
    const started = Date.now();
    while (running()) {
      await onTick((Date.now() - started) / 1000);
      await sleep(1000);
    }
  };
  await Promise.all([idleFiller(), ...Array.from({ length: 8 }, keepAlive), pipelined(), pipelined(), chunkedEcho(), chunkedEcho(), aborts(), aborts(), ticker()]);
  for (const socket of idle) socket.destroy();
  return counts;
}

export async function run(lib) {
  const seconds = Number(process.env.MEMORY_SECONDS ?? 60);
  const idleTarget = Number(process.env.MEMORY_IDLE ?? 5000);
  const rounds = Number(process.env.MEMORY_ROUNDS ?? 1);
  const snapshots = process.env.MEMORY_SNAPSHOTS;
  const rows = [];
  for (let round = 0; round < rounds; round++) {
    for (const [name, file] of peers) {
      const port = await lib.freePort();
      const nodeArgs = ['--expose-gc', ...(snapshots ? [`--diagnostic-dir=${snapshots}`, '--heapsnapshot-signal=SIGUSR2'] : [])];
      const server = await lib.startServer({
        cmd: process.execPath,
        args: [...nodeArgs, new URL(file, servers).pathname],
        env: { PORT: String(port), NODE_ENV: 'production' },
        cwd: new URL('..', import.meta.url).pathname,
        port,
      });
      const rss = [];
      const heap = [];
      const external = [];
      let snapped = false;
      const counts = await mixedLoad(port, seconds, idleTarget, async (t) => {
        try {
          // The server runs a full GC before answering: both figures are retained memory.
          const mem = await (await fetch(`http://127.0.0.1:${port}/__mem`)).json();
          heap.push([t, mem.heapUsed / 1048576]);
          external.push([t, mem.external / 1048576]);
        } catch {
          // a sample lost to load: the slope is fitted on the others
        }
        rss.push([t, rssMb(server.pid)]);
        if (snapshots && !snapped && t >= seconds / 3) {
          snapped = true;
          process.kill(server.pid, 'SIGUSR2');
        }
      });
      if (snapshots) {
        process.kill(server.pid, 'SIGUSR2');
        await snapshotsWritten(snapshots);
      }
      await server.stop();
      const half = (points) => points.filter(([t]) => t >= seconds / 2);
      rows.push({
        name,
        round,
        rssSlope: slopePerMinute(half(rss)),
        heapSlope: slopePerMinute(half(heap)),
        externalSlope: slopePerMinute(half(external)),
        rssStart: rss[0]?.[1] ?? NaN,
        rssEnd: rss.at(-1)?.[1] ?? NaN,
        counts,
      });
    }
  }
  console.log(`\n## memory under a ${seconds} s mixed load (${idleTarget} idle connections; slope over the second half, MB/min; lower is better)`);
  console.log('| server | round | RSS slope | heap slope | external slope | RSS first → last (MB) | keep-alive | pipelined | chunked echo | aborts | idle opened |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const c = r.counts;
    console.log(
      `| ${r.name} | ${r.round + 1} | ${r.rssSlope.toFixed(2)} | ${r.heapSlope.toFixed(2)} | ${r.externalSlope.toFixed(2)} | ${r.rssStart.toFixed(0)} → ${r.rssEnd.toFixed(0)} | ${c.keepAlive} | ${c.pipelined} | ${c.chunkedEcho} | ${c.aborts} | ${c.idleOpened} |`,
    );
  }
}
