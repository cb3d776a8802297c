// sluice server for the cgi suite: /cgi-bin mounted from CGI_DIR. PORT; SPAWNER = helper | direct;
// HELPER = native | python (which spawn helper; default: native when built);
// BALLAST_MB > 0 keeps that much live heap, to show how the server's memory affects spawning;
// PROGRAM_SLICE_MS, when set, is the programSliceMs option (0: the kernel's default slice).
import { Application } from '@sluice/core';
import { cgi } from '@sluice/cgi';

const port = Number(process.env.PORT);
const ballast = [];
for (let i = 0; i < Number(process.env.BALLAST_MB ?? 0); i++) {
  // Many small objects, as a real heap has: fork copies the page tables of all of it.
  const page = [];
  for (let j = 0; j < 1024 * 16; j++) page.push({ j, s: `v${j}` });
  ballast.push(page);
}
const app = new Application({ logger: { info() {}, warn() {}, error: (m) => console.error(m) } });
app.use(cgi({ mounts: { '/cgi-bin': process.env.CGI_DIR }, spawner: process.env.SPAWNER ?? 'auto', helper: process.env.HELPER ?? 'auto', maxProcesses: 64, ...(process.env.PROGRAM_SLICE_MS ? { programSliceMs: Number(process.env.PROGRAM_SLICE_MS) } : {}) }));
app.listen(port, '127.0.0.1');
globalThis.ballast = ballast;
