// Core suite: sluice against node:http (bare handler), Koa 3 and Fastify 5, same run, same
// machine. Scenarios: hello, 10 no-op middlewares then hello, 4 KiB POST echoed (wrk),
// HTTP/1.0 one request per connection (ab). Prints req/s, p99 and ratios to node:http and Koa,
// then the server's CPU time per request (user + sys from /proc), which a shared machine
// distorts much less than req/s.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const servers = new URL('../servers/', import.meta.url);
const peers = [
  ['sluice', 'core-sluice.mjs'],
  ['node:http', 'core-node.mjs'],
  ['koa', 'core-koa.mjs'],
  ['fastify', 'core-fastify.mjs'],
];

export async function run(lib) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-core-'));
  const postScript = join(dir, 'post4k.lua');
  writeFileSync(
    postScript,
    `wrk.method = "POST"\nwrk.body = string.rep("x", 4096)\nwrk.headers["Content-Type"] = "application/octet-stream"\n`,
  );
  const contenders = (scenario) =>
    peers.map(([name, file]) => ({
      name,
      async start() {
        const port = await lib.freePort();
        const server = await lib.startServer({
          cmd: process.execPath,
          args: [new URL(file, servers).pathname],
          env: { PORT: String(port), SCENARIO: scenario, NODE_ENV: 'production' },
          cwd: new URL('..', import.meta.url).pathname,
          port,
        });
        return { url: `http://127.0.0.1:${port}/`, stop: server.stop, pid: server.pid };
      },
    }));
  const wrkLoad = (script) => (url, _name, { warmup = false } = {}) => lib.wrk({ url, connections: 50, seconds: warmup ? 1 : seconds, script });
  const baselines = ['node:http', 'koa', 'fastify'];

  const cpu = [];
  for (const [scenario, title, script] of [
    ['hello', 'hello (GET /, 13 bytes, keep-alive, wrk -c50)'],
    ['chain', '10 no-op middlewares, then hello'],
    ['echo', '4 KiB POST echoed', postScript],
  ]) {
    const rows = lib.report(title, await lib.compare(contenders(scenario), wrkLoad(script), { rounds, warmup: true }), baselines);
    cpu.push([scenario, rows]);
  }
  // Measured in the same rounds as the req/s above: when the client CPU is saturated, this is
  // the figure that still tells the servers apart.
  console.log('\n## server CPU per request (same rounds, median, µs of user + sys; lower is better)');
  console.log('| scenario | ' + peers.map(([name]) => name).join(' | ') + ' | node:http ÷ sluice | koa ÷ sluice |');
  console.log('|---|' + peers.map(() => '---').join('|') + '|---|---|');
  for (const [scenario, rows] of cpu) {
    const of = (name) => rows.find((r) => r.name === name)?.cpuUs ?? NaN;
    const cells = peers.map(([name]) => of(name));
    console.log(`| ${scenario} | ${cells.map((c) => c.toFixed(1)).join(' | ')} | ${(of('node:http') / of('sluice')).toFixed(2)} | ${(of('koa') / of('sluice')).toFixed(2)} |`);
  }

  lib.report(
    'HTTP/1.0, one request per connection (ab -c50)',
    await lib.compare(contenders('hello'), (url) => lib.ab({ url, requests: 20000, concurrency: 50, seconds }), { rounds }),
    baselines,
  );
}
