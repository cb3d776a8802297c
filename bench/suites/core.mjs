// Core suite: sluice against node:http (bare handler), Koa 3 and Fastify 5, same run, same
// machine. Scenarios: hello, 10 no-op middlewares then hello, 4 KiB POST echoed (wrk),
// HTTP/1.0 one request per connection (ab). Prints req/s, p99 and ratios to node:http and Koa,
// then the server's CPU time per request (user + sys from /proc), which a shared machine
// distorts much less than req/s.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const servers = new URL('../servers/', import.meta.url);
const peers = [
  ['sluice', 'core-sluice.mjs'],
  ['node:http', 'core-node.mjs'],
  ['koa', 'core-koa.mjs'],
  ['fastify', 'core-fastify.mjs'],
];

/** CPU time (user, sys) a process has used, in ms (Linux /proc, USER_HZ = 100). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(fields[11]) * 10, sys: Number(fields[12]) * 10 };
}

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
  const wrkLoad = (script) => (url) => lib.wrk({ url, connections: 50, seconds, script });
  const baselines = ['node:http', 'koa', 'fastify'];

  lib.report('hello (GET /, 13 bytes, keep-alive, wrk -c50)', await lib.compare(contenders('hello'), wrkLoad(), { rounds }), baselines);
  lib.report('10 no-op middlewares, then hello', await lib.compare(contenders('chain'), wrkLoad(), { rounds }), baselines);
  lib.report('4 KiB POST echoed', await lib.compare(contenders('echo'), wrkLoad(postScript), { rounds }), baselines);
  console.log('\n## server CPU per request (wrk -c50, µs of user + sys; lower is better)');
  console.log('| scenario | ' + peers.map(([name]) => name).join(' | ') + ' | node:http ÷ sluice |');
  console.log('|---|' + peers.map(() => '---').join('|') + '|---|');
  for (const [scenario, script] of [['hello'], ['chain'], ['echo', postScript]]) {
    const cells = [];
    for (const contender of contenders(scenario)) {
      const { url, stop, pid } = await contender.start();
      lib.wrk({ url, connections: 50, seconds: 1, script });
      const before = cpuMs(pid);
      const result = lib.wrk({ url, connections: 50, seconds, script });
      const after = cpuMs(pid);
      await stop();
      const requests = Number(/(\d+) requests in/.exec(result.raw)?.[1] ?? 0);
      cells.push(requests > 0 ? ((after.user - before.user + after.sys - before.sys) * 1000) / requests : NaN);
    }
    console.log(`| ${scenario} | ${cells.map((c) => c.toFixed(1)).join(' | ')} | ${(cells[1] / cells[0]).toFixed(2)} |`);
  }

  lib.report(
    'HTTP/1.0, one request per connection (ab -c50)',
    await lib.compare(contenders('hello'), (url) => lib.ab({ url, requests: 20000, concurrency: 50, seconds }), { rounds }),
    baselines,
  );
}
