// WebSocket load generator for the websocket suite, run as its own process pinned to the client CPU
// (as wrk is): raw node:net sockets speaking just enough RFC 6455 for the benchmark (handshake with
// Sec-WebSocket-Accept checked, masked frames out, a frame scanner in, pong for ping), so the client
// costs less per message than the `ws` client and the server stays the limit longer. It must never
// be used as a general WebSocket client: it trusts the server's framing and sends one payload.
//
//   node bench/ws-client.mjs echo   PORT [connections] [seconds] [payloadBytes]          one message in flight per connection
//   node bench/ws-client.mjs stream PORT [connections] [seconds] [payloadBytes] [window] `window` messages in flight per connection
//   node bench/ws-client.mjs idle   PORT [connections] [payloadBytes]                    open and hold; stdin "check" re-checks, EOF ends
//
// echo and stream print one JSON line: { messages, seconds, rate, p99ms, errors, connections, clientCpuUsPerMessage }.
// idle prints { open, failed } once every connection has answered one echo, and again after each "check".
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { createInterface } from 'node:readline';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

const [mode, portArg, ...rest] = process.argv.slice(2);
const port = Number(portArg);
if (!['echo', 'stream', 'idle'].includes(mode) || !Number.isInteger(port)) {
  console.error('usage: ws-client.mjs echo|stream|idle PORT [connections] [seconds] [payloadBytes] [window]');
  process.exit(2);
}

/** One masked client frame (RFC 6455 §5.2); payloads under 64 KiB. */
function clientFrame(opcode, payload) {
  const mask = randomBytes(4);
  const long = payload.length > 125;
  const head = Buffer.alloc(long ? 8 : 6);
  head[0] = 0x80 | opcode;
  if (long) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(payload.length, 2);
  } else {
    head[1] = 0x80 | payload.length;
  }
  mask.copy(head, head.length - 4);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, masked]);
}

/** A client connection: handshake, then counts the data frames it receives and answers pings. */
class Connection {
  constructor(onMessage) {
    this.onMessage = onMessage;
    this.open = false;
    this.closed = false;
    this.pending = null; // bytes of an incomplete frame header (or handshake) carried to the next chunk
    this.remaining = 0; // payload bytes of the current frame still to skip
    this.control = null; // the current control frame: { opcode, parts } (its payload is kept, ≤ 125 bytes)
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.ready = new Promise((resolve) => {
      this.settle = resolve;
    });
    const key = randomBytes(16).toString('base64');
    this.accept = createHash('sha1').update(key + WS_GUID).digest('base64');
    this.socket.on('connect', () => {
      this.socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    this.socket.on('data', (chunk) => (this.open ? this.scan(chunk) : this.handshake(chunk)));
    const end = () => {
      this.closed = true;
      this.open = false;
      this.settle(false);
    };
    this.socket.on('close', end);
    this.socket.on('error', end);
  }

  handshake(chunk) {
    const bytes = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const end = bytes.indexOf('\r\n\r\n');
    if (end === -1) {
      this.pending = bytes;
      return;
    }
    this.pending = null;
    const head = bytes.subarray(0, end).toString('latin1');
    const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
    if (!head.startsWith('HTTP/1.1 101') || accept !== this.accept) {
      this.socket.destroy();
      return;
    }
    this.open = true;
    this.settle(true);
    if (bytes.length > end + 4) this.scan(bytes.subarray(end + 4));
  }

  /** Walks server frames (unmasked, RFC 6455 §5.2) without copying data payloads. */
  scan(chunk) {
    let bytes = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let at = 0;
    while (at < bytes.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, bytes.length - at);
        if (this.control) this.control.parts.push(bytes.subarray(at, at + take));
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) this.frameDone();
        continue;
      }
      if (bytes.length - at < 2) break;
      const opcode = bytes[at] & 0x0f;
      let length = bytes[at + 1] & 0x7f;
      let headLength = 2;
      if (length === 126) {
        if (bytes.length - at < 4) break;
        length = bytes.readUInt16BE(at + 2);
        headLength = 4;
      } else if (length === 127) {
        if (bytes.length - at < 10) break;
        length = Number(bytes.readBigUInt64BE(at + 2));
        headLength = 10;
      }
      at += headLength;
      this.opcode = opcode;
      this.control = opcode >= OP_CLOSE ? { opcode, parts: [] } : null;
      this.remaining = length;
      if (length === 0) this.frameDone();
    }
    if (at < bytes.length) this.pending = bytes.subarray(at);
  }

  frameDone() {
    const control = this.control;
    this.control = null;
    if (this.opcode === OP_TEXT || this.opcode === OP_BINARY) {
      this.onMessage(this);
    } else if (control?.opcode === OP_PING) {
      this.socket.write(clientFrame(OP_PONG, Buffer.concat(control.parts)));
    } else if (control?.opcode === OP_CLOSE) {
      this.socket.destroy();
    }
  }
}

/** Opens `count` connections, at most `wave` handshakes at a time; resolves with them (failed ones closed). */
async function connectAll(count, onMessage, wave = 200) {
  const all = [];
  for (let i = 0; i < count; i += wave) {
    const batch = Array.from({ length: Math.min(wave, count - i) }, () => new Connection(onMessage));
    await Promise.all(batch.map((c) => c.ready));
    all.push(...batch);
  }
  return all;
}

/** Latencies in 10 µs buckets up to 1 s; p99 from the buckets. */
class Histogram {
  constructor() {
    this.buckets = new Uint32Array(100_001);
    this.count = 0;
  }
  add(ms) {
    this.buckets[Math.min(this.buckets.length - 1, Math.floor(ms * 100))]++;
    this.count++;
  }
  percentile(p) {
    let seen = 0;
    const want = this.count * p;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= want && seen > 0) return (i + 1) / 100;
    }
    return NaN;
  }
}

const payloadOf = (bytes) => Buffer.alloc(bytes, 'x');

async function measure(kind, connections, seconds, payloadBytes, window) {
  const frame = clientFrame(OP_TEXT, payloadOf(payloadBytes));
  const batch = Buffer.concat(Array.from({ length: window }, () => frame)); // `window` frames, for refills in one write
  const histogram = new Histogram();
  let counting = false;
  let messages = 0;
  const onMessage = (c) => {
    if (!counting) return;
    messages++;
    if (kind === 'echo') {
      const now = performance.now();
      histogram.add(now - c.sentAt);
      c.sentAt = now;
      c.socket.write(frame);
    } else if (--c.inFlight <= window / 2) {
      const refill = window - c.inFlight;
      c.inFlight = window;
      c.socket.write(batch.subarray(0, refill * frame.length));
    }
  };
  const all = await connectAll(connections, onMessage);
  const live = all.filter((c) => c.open);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  counting = true;
  for (const c of live) {
    if (kind === 'echo') {
      c.sentAt = performance.now();
      c.socket.write(frame);
    } else {
      c.inFlight = window;
      c.socket.write(batch);
    }
  }
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  counting = false;
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const errors = all.length - live.length + live.filter((c) => c.closed).length;
  for (const c of all) c.socket.destroy();
  return {
    messages,
    seconds: elapsed,
    rate: messages / elapsed,
    p99ms: kind === 'echo' ? histogram.percentile(0.99) : NaN,
    errors,
    connections: live.length,
    clientCpuUsPerMessage: (cpu.user + cpu.system) / messages,
  };
}

/** Every open connection sends one message and waits for its echo (10 s at most); resolves with how many answered. */
async function echoCheck(all, frame) {
  const open = all.filter((c) => c.open);
  const answered = await Promise.all(open.map((c) => new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    c.answered = () => {
      clearTimeout(timer);
      resolve(true);
    };
    c.socket.write(frame);
  })));
  return answered.filter(Boolean).length;
}

async function idle(connections, payloadBytes) {
  const frame = clientFrame(OP_TEXT, payloadOf(payloadBytes));
  const all = await connectAll(connections, (c) => {
    const answered = c.answered;
    c.answered = null;
    answered?.();
  });
  const report = async () => {
    const open = await echoCheck(all, frame);
    console.log(JSON.stringify({ open, failed: connections - open }));
  };
  await report();
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line.trim() === 'check') await report();
  for (const c of all) c.socket.destroy();
}

if (mode === 'idle') {
  const [connections = 10_000, payloadBytes = 32] = rest.map(Number);
  await idle(connections, payloadBytes);
} else {
  const [connections = 50, seconds = 5, payloadBytes = 32, window = 64] = rest.map(Number);
  console.log(JSON.stringify(await measure(mode, connections, seconds, payloadBytes, mode === 'echo' ? 1 : window)));
}
