/**
 * WebSocket endpoints mounted from sluice.config.js through the real `sluice` command, with the
 * ws client: a handler and a handler with options, the default site's chat room and its page,
 * a bad `websocket` entry refused at startup, and SIGTERM sending 1001 to open sockets.
 */

import { once } from 'node:events';
import test from 'ava';
import WebSocket from 'ws';
import { repoRoot, request, runSluice, startSluice, tempSite, until } from './helpers.js';

const CONFIG = `export default {
  root: '.',
  websocket: {
    '/echo': (socket, ctx) => socket.on('message', (data) => socket.send(\`\${ctx.path} \${data}\`)),
    '/small': { handler: (socket) => socket.on('message', (data) => socket.send(data)), options: { maxPayload: 8 } },
  },
};
`;

/** A ws client to `url`, with the first message it receives. */
async function connect(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await once(ws, 'open');
  return ws;
}

async function reply(ws: WebSocket, message: string): Promise<string> {
  const next = once(ws, 'message');
  ws.send(message);
  return String((await next)[0]);
}

test.serial('a handler and a handler with options, mounted from sluice.config.js', async (t) => {
  const dir = tempSite(t, { 'sluice.config.js': CONFIG, 'index.html': 'static still served' });
  const sluice = await startSluice(t, ['--config', `${dir}/sluice.config.js`, '--port', '0'], { cwd: dir });
  const wsUrl = sluice.url.replace(/^http/, 'ws');
  const echo = await connect(`${wsUrl}/echo`);
  t.is(await reply(echo, 'hello'), '/echo hello');
  const small = await connect(`${wsUrl}/small`);
  const [code] = await (async () => {
    const closed = once(small, 'close');
    small.send('more than eight bytes');
    return (await closed) as [number];
  })();
  t.is(code, 1009);
  t.is((await request(`${sluice.url}/`)).body, 'static still served');
  // SIGTERM: open sockets get 1001 before the process exits.
  const closed = once(echo, 'close');
  sluice.child.kill('SIGTERM');
  t.is(((await closed) as [number])[0], 1001);
  t.is(await sluice.exited, 0);
});

test.serial('a websocket entry that is not a handler is refused at startup, naming it', async (t) => {
  const dir = tempSite(t, { 'sluice.config.js': "export default { websocket: { '/chat': 'chat.js' } };\n" });
  const { code, stderr } = await runSluice(t, ['--config', `${dir}/sluice.config.js`, '--port', '0'], { cwd: dir });
  t.is(code, 2, stderr);
  t.regex(stderr, /^sluice: .*websocket\["\/chat"\] must be a function \(socket, ctx\) or \{ handler, options \}\n$/);
});

test.serial('a bad @sluice/websocket option in the config is refused at startup, naming the path and the option', async (t) => {
  const dir = tempSite(t, { 'sluice.config.js': "export default { websocket: { '/chat': { handler() {}, options: { maxPayload: 0 } } } };\n" });
  const { code, stderr } = await runSluice(t, ['--config', `${dir}/sluice.config.js`, '--port', '0'], { cwd: dir });
  t.is(code, 2, stderr);
  t.regex(stderr, /websocket\["\/chat"\]: websocket: option "maxPayload" must be a positive integer/);
});

test.serial('the default site: the chat page is linked and served, and messages reach everyone in the room', async (t) => {
  const sluice = await startSluice(t, ['--config', 'examples/site/sluice.config.js', '--port', '0'], { cwd: repoRoot });
  t.true((await request(`${sluice.url}/`)).body.includes('/chat.html'));
  const page = await request(`${sluice.url}/chat.html`);
  t.is(page.status, 200);
  t.true(page.body.includes('/chat?name='));
  const wsUrl = sluice.url.replace(/^http/, 'ws');
  // Listening before 'open': the room greets at once.
  const joined = async (name: string): Promise<{ ws: WebSocket; lines: string[] }> => {
    const ws = new WebSocket(`${wsUrl}/chat?name=${name}`);
    const lines: string[] = [];
    ws.on('message', (data) => lines.push(String(data)));
    await once(ws, 'open');
    return { ws, lines };
  };
  const ada = await joined('ada');
  await until(() => ada.lines.length === 1);
  const bob = await joined('bob');
  await until(() => bob.lines.length === 1);
  bob.ws.send('hi ada');
  await until(() => ada.lines.length === 3 && bob.lines.length === 2);
  t.deepEqual(ada.lines, ['* ada joined (1 here)', '* bob joined (2 here)', 'bob: hi ada']);
  t.deepEqual(bob.lines, ['* bob joined (2 here)', 'bob: hi ada']);
  bob.ws.close();
  await until(() => ada.lines.length === 4);
  t.is(ada.lines[3], '* bob left');
  ada.ws.close();
});
