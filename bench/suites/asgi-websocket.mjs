// ASGI WebSocket suite: echo round trips (each connection sends a message, waits for its echo,
// repeats) through sluice + @sluice/asgi-bridge (raw ASGI app, one Python worker), against the
// same echo in Node alone (sluice + ws): the difference is the bridge's worker round trip.
// Loopback only; WS_BENCH_CONNECTIONS (default 50) connections for WS_BENCH_SECONDS (default 5).
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const APPS = fileURLToPath(new URL('../servers/asgi-apps/', import.meta.url));
const SLUICE = fileURLToPath(new URL('../servers/asgi-sluice.mjs', import.meta.url));
const NODE_ECHO = fileURLToPath(new URL('../servers/ws-node-echo.mjs', import.meta.url));
const CONNECTIONS = Number(process.env.WS_BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.WS_BENCH_SECONDS ?? 5);

/** Runs the ping-pong load; returns round trips per second and the p99 round trip in ms. */
async function pingPong(port, size) {
  const payload = Buffer.alloc(size, 120).toString();
  const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  })));
  const latencies = [];
  const end = Date.now() + SECONDS * 1000;
  const started = Date.now();
  await Promise.all(sockets.map((ws) => new Promise((resolve) => {
    let sentAt = 0;
    const next = () => {
      if (Date.now() >= end) return resolve();
      sentAt = performance.now();
      ws.send(payload);
    };
    ws.on('message', () => {
      latencies.push(performance.now() - sentAt);
      next();
    });
    next();
  })));
  const elapsed = (Date.now() - started) / 1000;
  await Promise.all(sockets.map((ws) => new Promise((resolve) => {
    ws.once('close', resolve);
    ws.close();
  })));
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / elapsed, p99ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0 };
}

export async function run(lib) {
  const contenders = [
    { name: 'sluice + ws (Node only)', args: (port) => [NODE_ECHO, String(port)] },
    { name: 'sluice asgi-bridge ×1', args: (port) => [SLUICE, String(port), 'ws_echo:app', APPS, '1', '/usr/bin/python3'] },
  ];
  for (const size of [16, 4096]) {
    const rows = [];
    for (const contender of contenders) {
      const port = await lib.freePort();
      const server = await lib.startServer({ cmd: process.execPath, args: contender.args(port), port });
      try {
        await pingPong(port, Math.min(size, 16)); // warm-up is short: the same load, small messages
        const result = await pingPong(port, size);
        rows.push({ name: contender.name, rps: Math.round(result.rps), p99: result.p99ms.toFixed(2) });
      } finally {
        await server.stop();
      }
    }
    console.log(`\n## WebSocket echo, ${size}-byte text messages, ${CONNECTIONS} connections, ${SECONDS} s\n`);
    console.log('| server | round trips/s | p99 ms |\n|---|---:|---:|');
    for (const row of rows) console.log(`| ${row.name} | ${row.rps} | ${row.p99} |`);
  }
}
