// Every example runs with a plain `node` command after `pnpm -r build` (which compiles
// examples/*.ts next to their sources): the servers that need no PHP or Python are started
// exactly as their READMEs say and answer a real request.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const root = fileURLToPath(new URL('..', import.meta.url));

const EXAMPLES = [
  { file: 'examples/hello/server.js', path: '/', expect: /^Hello World$/ },
  { file: 'examples/static/server.js', path: '/', expect: /<html/i },
  { file: 'examples/custom-method/server.js', path: '/report', expect: /<h1>Report<\/h1>/ },
];

for (const example of EXAMPLES) {
  test(`node ${example.file} serves ${example.path}`, async (t) => {
    t.true(existsSync(join(root, example.file)), `${example.file} is built by pnpm -r build`);
    // custom-method prints the port it was given, so it gets a fixed free one from the OS first.
    const net = await import('node:net');
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as import('node:net').AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const child = spawn(process.execPath, [example.file], { cwd: root, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('listening on')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code} before listening: ${out}`)));
      });
      const res = await fetch(`http://127.0.0.1:${port}${example.path}`);
      t.is(res.status, 200);
      t.regex(await res.text(), example.expect);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
}
