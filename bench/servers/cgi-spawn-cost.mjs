// Spawn cost for the cgi suite (not a server): starts `/bin/true` N times one after another
// through @sluice/cgi's spawners (HELPER = native | python for the helper), in a process holding BALLAST_MB of live heap, and prints
// JSON: ms per spawn-and-exit, and the event loop's p99/max delay while spawning.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DirectSpawner, HelperSpawner, helperCommand } from '@sluice/cgi/spawners';

const ballast = [];
for (let i = 0; i < Number(process.env.BALLAST_MB ?? 0); i++) {
  const page = [];
  for (let j = 0; j < 1024 * 16; j++) page.push({ j, s: `v${j}` });
  ballast.push(page);
}
const count = Number(process.env.COUNT ?? 200);
const quiet = { info() {}, warn() {}, error: (m) => console.error(m) };
const spawner = process.env.SPAWNER === 'direct' ? new DirectSpawner() : new HelperSpawner(helperCommand(process.env.HELPER || 'auto', '/usr/bin/python3'), quiet);
const spec = { file: '/bin/true', argv: ['/bin/true'], cwd: '/', env: ['PATH=/usr/bin:/bin'], stdin: false };

async function once() {
  const program = await spawner.spawn(spec);
  program.stdin?.end();
  program.stdout.resume();
  program.stderr.resume();
  await program.exited;
  program.release();
}

for (let i = 0; i < 20; i++) await once();
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const start = process.hrtime.bigint();
for (let i = 0; i < count; i++) await once();
const elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
delay.disable();
await spawner.close();
console.log(JSON.stringify({
  spawner: process.env.SPAWNER ?? 'helper',
  ballastMb: ballast.length,
  rssMb: Math.round(process.memoryUsage().rss / 1e6),
  msPerSpawn: +(elapsedMs / count).toFixed(2),
  loopDelayP99Ms: +(delay.percentile(99) / 1e6).toFixed(2),
  loopDelayMaxMs: +(delay.max / 1e6).toFixed(2),
}));
