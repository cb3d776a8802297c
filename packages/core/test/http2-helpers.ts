/** Test helpers for HTTP/2: an app on an h2c port and a TLS port, node:http2 requests, curl, raw frames. */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Application, type ApplicationOptions, type Middleware } from '@sluice/core';

const fixtures = new URL('../../../test/server/fixtures/tls/', import.meta.url);
/** The test certificate (localhost, 127.0.0.1) and its key. */
export const cert = readFileSync(new URL('cert.pem', fixtures));
/** Path of the test certificate (for curl's --cacert). */
export const certPath = fileURLToPath(new URL('cert.pem', fixtures));
export const key = readFileSync(new URL('key.pem', fixtures));

export interface RunningH2 {
  app: Application;
  /** Plain port: HTTP/1.x and h2c (prior knowledge). */
  plainPort: number;
  /** TLS port: ALPN h2 and http/1.1. */
  tlsPort: number;
  h2cUrl: string;
  h2Url: string;
  close(graceMs?: number): Promise<void>;
}

/** Starts a fresh app with `middleware`, listening with h2c on one port and TLS + http2 on another. */
export async function startH2(middleware: Middleware | Middleware[], options: ApplicationOptions = {}, setup?: (app: Application) => void): Promise<RunningH2> {
  const app = new Application(options);
  setup?.(app);
  for (const fn of Array.isArray(middleware) ? middleware : [middleware]) app.use(fn);
  const plain = app.listen({ port: 0, host: '127.0.0.1', h2c: true });
  const secure = app.listen({ port: 0, host: '127.0.0.1', tls: { key, cert }, http2: true });
  await Promise.all([once(plain, 'listening'), once(secure, 'listening')]);
  const plainPort = (plain.address() as AddressInfo).port;
  const tlsPort = (secure.address() as AddressInfo).port;
  return {
    app,
    plainPort,
    tlsPort,
    h2cUrl: `http://127.0.0.1:${plainPort}`,
    h2Url: `https://127.0.0.1:${tlsPort}`,
    close: (graceMs = 1000) => app.close(graceMs),
  };
}

/** Connects node:http2's client (h2c for http:, h2 over TLS trusting the test certificate for https:). */
export async function connect(url: string): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(url, { ca: cert });
  session.on('error', () => {});
  await once(session, 'connect');
  return session;
}

export interface H2Response {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** One request on `session`; resolves with the whole response. */
export function request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string | Buffer): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let status = 0;
    let responseHeaders: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      responseHeaders = h;
      status = Number(h[':status']);
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      if (status === 0) {
        reject(new Error(`stream closed without a response (code ${stream.rstCode})`));
        return;
      }
      const all = Buffer.concat(chunks);
      resolve({ status, headers: responseHeaders, body: all, text: all.toString() });
    });
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

/** One request on a fresh connection to `url`, closed after. */
export async function fetchH2(url: string, headers: http2.OutgoingHttpHeaders, body?: string | Buffer): Promise<H2Response> {
  const session = await connect(url);
  try {
    return await request(session, headers, body);
  } finally {
    session.close();
  }
}

/** Runs a program, resolving with its stdout, stderr and exit code (never rejects on a non-zero exit). */
export function run(file: string, args: string[], timeoutMs = 20_000): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 1;
      resolve({ stdout, stderr, code });
    });
  });
}

// ---- raw frames (RFC 9113 §4.1, §6; HPACK literals RFC 7541 §6.2.2) --------------------------

/** The client connection preface. */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** One frame: type, flags, stream id and payload. */
export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** A HEADERS frame (END_HEADERS, and END_STREAM unless `endStream` is false) of literal fields, names as given. */
export function headersFrame(streamId: number, fields: Array<[string, string]>, endStream = true): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    // Literal header field without indexing, new name; string lengths as 7-bit-prefix integers.
    parts.push(Buffer.from([0x00]), hpackLength(name.length), Buffer.from(name, 'latin1'), hpackLength(value.length), Buffer.from(value, 'latin1'));
  }
  return frame(0x1, 0x4 | (endStream ? 0x1 : 0), streamId, Buffer.concat(parts));
}

/** A string length as an HPACK integer with a 7-bit prefix (RFC 7541 §5.1), Huffman bit clear. */
function hpackLength(n: number): Buffer {
  if (n < 127) return Buffer.from([n]);
  const bytes = [127];
  let rest = n - 127;
  while (rest >= 128) {
    bytes.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** An RST_STREAM frame with `code`. */
export function rstFrame(streamId: number, code: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(0x3, 0, streamId, payload);
}

export interface RawFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** A raw h2c connection: writes bytes, collects the frames the server sends. */
export class RawH2 {
  readonly socket: net.Socket;
  readonly frames: RawFrame[] = [];
  closed = false;
  #buf = Buffer.alloc(0);
  #waiters: Array<() => void> = [];

  private constructor(socket: net.Socket, ackSettings: boolean) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, chunk]);
      while (this.#buf.length >= 9) {
        const length = this.#buf.readUIntBE(0, 3);
        if (this.#buf.length < 9 + length) break;
        const f = { type: this.#buf[3], flags: this.#buf[4], streamId: this.#buf.readUInt32BE(5) & 0x7fffffff, payload: this.#buf.subarray(9, 9 + length) };
        this.frames.push(f);
        // A client acknowledges the server's SETTINGS (RFC 9113 §6.5.3): they apply from then on.
        if (ackSettings && f.type === FRAME.SETTINGS && (f.flags & 0x1) === 0 && !socket.destroyed) socket.write(frame(FRAME.SETTINGS, 0x1, 0));
        this.#buf = this.#buf.subarray(9 + length);
      }
      this.#wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  /** Connects to `port`, sends the preface and an empty SETTINGS; acknowledges the server's unless told not to. */
  static async open(port: number, { ackSettings = true } = {}): Promise<RawH2> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const raw = new RawH2(socket, ackSettings);
    socket.write(Buffer.concat([PREFACE, frame(0x4, 0, 0)]));
    return raw;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Waits until a frame matching `match` arrived (or the connection closed, or `timeoutMs`); returns it or undefined. */
  async waitFor(match: (f: RawFrame) => boolean, timeoutMs = 5000): Promise<RawFrame | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found !== undefined || this.closed || Date.now() >= deadline) return found;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Frame types used by the tests. */
export const FRAME = { DATA: 0x0, HEADERS: 0x1, RST_STREAM: 0x3, SETTINGS: 0x4, GOAWAY: 0x7 } as const;
