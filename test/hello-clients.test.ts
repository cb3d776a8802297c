// Real clients against the hello example run as its own process: curl -v (HTTP/1.1 and
// connection reuse), curl --http1.0, ApacheBench (HTTP/1.0, with and without keep-alive)
// and wrk. Every run is bounded in requests and time; nothing is timed as a benchmark.
// The subject is the example program itself, so one process serves all the clients (started
// through the TypeScript loader, which takes seconds on a loaded machine), one after the other,
// and the last test checks that it still answers and exits cleanly on SIGTERM.
import test from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

/** Starts examples/hello/server.ts (through the same TypeScript loader as the tests) on a free port. */
async function startHello(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...process.execArgv, 'examples/hello/server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hello example did not start: ${out}`));
    }, 110_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`hello example exited with ${code}: ${out}`)));
  });
  return { url, child };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = await exited;
  return code as number | null;
}

let hello: { url: string; child: ChildProcess };

test.before(async () => {
  hello = await startHello();
});

test.after.always(() => {
  if (hello?.child.exitCode === null) hello.child.kill('SIGKILL');
});

test.serial('curl -v talks HTTP/1.1 to the hello example and reuses the connection', async (t) => {
  const { url } = hello;
  const { stdout, stderr } = await run('curl', ['-sv', '--max-time', '10', url + '/', url + '/again']);
  t.is(stdout, 'Hello WorldHello World');
  t.regex(stderr, /< HTTP\/1\.1 200 OK/);
  t.regex(stderr, /< Content-Length: 11/);
  t.regex(stderr, /< Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT/);
  t.regex(stderr, /Re-using existing connection/);
});

test.serial('curl --http1.0 gets an HTTP/1.0 answer and the connection is closed', async (t) => {
  const { url } = hello;
  const { stdout, stderr } = await run('curl', ['-sv', '--http1.0', '--max-time', '10', url + '/']);
  t.is(stdout, 'Hello World');
  t.regex(stderr, /> GET \/ HTTP\/1\.0/);
  t.regex(stderr, /< HTTP\/1\.0 200 OK/);
  t.regex(stderr, /< Connection: close/);
});

test.serial('ab -n 1000 -c 50 (HTTP/1.0, a connection per request) completes with no failures', async (t) => {
  const { url } = hello;
  const { stdout } = await run('ab', ['-n', '1000', '-c', '50', '-s', '10', url + '/'], { timeout: 60_000 });
  t.regex(stdout, /Complete requests:\s+1000\n/);
  t.regex(stdout, /Failed requests:\s+0\n/);
  t.notRegex(stdout, /Non-2xx responses/);
  t.regex(stdout, /Document Length:\s+11 bytes/);
});

test.serial('ab -k (HTTP/1.0 keep-alive) keeps every connection alive', async (t) => {
  const { url } = hello;
  const { stdout } = await run('ab', ['-k', '-n', '1000', '-c', '50', '-s', '10', url + '/'], { timeout: 60_000 });
  t.regex(stdout, /Complete requests:\s+1000\n/);
  t.regex(stdout, /Failed requests:\s+0\n/);
  t.regex(stdout, /Keep-Alive requests:\s+1000\n/);
});

test.serial('wrk runs against the hello example without errors', async (t) => {
  const { url } = hello;
  const { stdout } = await run('wrk', ['-t1', '-c20', '-d1s', url + '/'], { timeout: 60_000 });
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
  t.true(requests > 100, stdout);
  t.notRegex(stdout, /Socket errors|Non-2xx/);
});

test.serial('after all the clients the example still answers and exits cleanly on SIGTERM', async (t) => {
  const { stdout } = await run('curl', ['-s', '--max-time', '10', hello.url + '/']);
  t.is(stdout, 'Hello World');
  t.is(await stop(hello.child), 0);
});
