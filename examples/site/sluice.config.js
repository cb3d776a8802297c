// The default site that `pnpm start` serves (http://127.0.0.1:8080): static files with
// a directory listing and a seekable audio file (ranges), CGI demos in Python, the
// stdlib WSGI demo app at /wsgi/, a custom method (BREW), a WebSocket chat at /chat
// (its page: /chat.html) and a custom 404 page.
// Needs nothing beyond Node 20 and python3. Paths are relative to this file.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const tone = fileURLToPath(new URL('./public/media/tone.wav', import.meta.url));
if (!existsSync(tone)) {
  mkdirSync(dirname(tone), { recursive: true });
  writeFileSync(`${tone}.${process.pid}`, toneWav(30));
  renameSync(`${tone}.${process.pid}`, tone);
}

export default {
  $schema: '../../packages/server/schema/sluice.schema.json',
  root: 'public',
  listing: true,
  cgi: { '/cgi-bin': 'cgi-bin' },
  wsgi: { '/wsgi': 'app:application' },
  wsgiPath: ['../wsgi/stdlib'],
  wsgiWorkers: 1,
  errorPages: { 404: 'public/404.html' },
  // WebSocket endpoints (@sluice/websocket): a chat room. Every message goes to everyone in the
  // room of this process (with --workers N, each worker has its own room), sender included.
  websocket: {
    '/chat': { handler: chat, options: { maxPayload: 4096 } },
  },
  setup(app) {
    // A custom method: any token method reaches the middleware; `app.method` declares it
    // (so OPTIONS and 501/405 know about it) and handles it.
    let brewed = 0;
    app.method('BREW', async (ctx, next) => {
      if (ctx.path !== '/coffee') return next();
      brewed += 1;
      ctx.status = 418;
      ctx.body = `I'm a teapot, but I tried: brew #${brewed} from process ${process.pid}\n`;
    });
  },
};

/** The chat room: a name per socket, a line to everyone on join, message and leave. */
const room = new Set();
let visitors = 0;
function chat(socket, ctx) {
  const name = /^[\w-]{1,20}$/.test(String(ctx.query.name ?? '')) ? ctx.query.name : `guest${++visitors}`;
  const say = (line) => {
    for (const peer of room) peer.send(line);
  };
  room.add(socket);
  say(`* ${name} joined (${room.size} here)`);
  socket.on('message', (data, isBinary) => {
    if (isBinary) return socket.close(1003, 'text only');
    say(`${name}: ${data}`);
  });
  socket.on('close', () => {
    room.delete(socket);
    say(`* ${name} left`);
  });
}

/** A WAV file (PCM, 16-bit mono, 22.05 kHz) of a 440 Hz tone gliding to 880 Hz: a seekable media file, generated rather than committed. */
function toneWav(seconds) {
  const rate = 22050;
  const samples = seconds * rate;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0, 'latin1');
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8, 'latin1');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'latin1');
  wav.writeUInt32LE(samples * 2, 40);
  let phase = 0;
  for (let i = 0; i < samples; i++) {
    phase += (2 * Math.PI * (440 + (440 * i) / samples)) / rate;
    wav.writeInt16LE(Math.round(Math.sin(phase) * 8000), 44 + i * 2);
  }
  return wav;
}
