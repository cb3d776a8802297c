/** Test helpers of core: the shared ones (@sluice/test-support), and responses parsed off the wire. */
import { once } from 'node:events';
import net from 'node:net';
import { raw as rawExchange, type RawOptions, type RawReply } from '@sluice/test-support';

export { eventually, start, type Running } from '@sluice/test-support';

/**
 * Writes `input` (string or chunks, written with a pause between them) on a raw socket and
 * collects everything the server sends until it closes the connection or `timeoutMs` (here 5 s) passes.
 */
export function raw(port: number, input: string | Buffer | Array<string | Buffer>, options: RawOptions = {}): Promise<RawReply> {
  return rawExchange(port, input, { timeoutMs: 5000, ...options });
}

/** One HTTP response as read off the wire. */
export interface WireResponse {
  statusLine: string;
  status: number;
  /** Header names lowercased; repeated names keep the last value. */
  headers: Partial<Record<string, string>>;
  /** The raw header block (exact bytes, for assertions on spelling and order). */
  head: string;
  body: string;
}

/**
 * Splits a byte stream from the server into responses, following the framing each one
 * announces (Content-Length, chunked, none for 1xx/204/304/HEAD, else to the end).
 * `headRequests` lists which responses answer HEAD requests (by index).
 */
export function parseResponses(text: string, headRequests: number[] = []): WireResponse[] {
  const out: WireResponse[] = [];
  let i = 0;
  while (i < text.length) {
    const end = text.indexOf('\r\n\r\n', i);
    if (end === -1) throw new Error(`incomplete response head at ${i}: ${JSON.stringify(text.slice(i, i + 200))}`);
    const head = text.slice(i, end + 2);
    const lines = head.split('\r\n');
    const statusLine = lines[0];
    const status = Number(statusLine.split(' ')[1]);
    const headers: Partial<Record<string, string>> = {};
    for (const line of lines.slice(1, -1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    i = end + 4;
    let body = '';
    const noBody = status < 200 || status === 204 || status === 304 || headRequests.includes(out.length);
    if (noBody) {
      // no body
    } else if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const lineEnd = text.indexOf('\r\n', i);
        if (lineEnd === -1) throw new Error('incomplete chunked body');
        const size = parseInt(text.slice(i, lineEnd), 16);
        i = lineEnd + 2;
        if (size === 0) {
          i = text.indexOf('\r\n', i) + 2;
          break;
        }
        body += text.slice(i, i + size);
        i += size + 2;
      }
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      body = text.slice(i, i + n);
      if (body.length < n) throw new Error(`truncated body: ${body.length} of ${n}`);
      i += n;
    } else {
      body = text.slice(i);
      i = text.length;
    }
    out.push({ statusLine, status, headers, head, body });
  }
  return out;
}

/**
 * An interactive raw connection: write exact bytes, wait for bytes or for the close,
 * and see whether the server closed it.
 */
export class Wire {
  readonly socket: net.Socket;
  text = '';
  closed = false;
  /** The server reset the connection (ECONNRESET) instead of closing it cleanly. */
  reset = false;
  ended = false;
  readonly #waiters: Array<() => void> = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (c: Buffer) => {
      this.text += c.toString('latin1');
      this.#wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.#wake();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET') this.reset = true;
    });
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  static async open(port: number): Promise<Wire> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new Wire(socket);
  }

  write(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Waits until `predicate()` holds; fails after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.text.slice(0, 500))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for `n` complete responses (parsed) and returns them. */
  async responses(n: number, headRequests: number[] = [], timeoutMs = 5000): Promise<WireResponse[]> {
    let parsed: WireResponse[] = [];
    await this.until(
      () => {
        try {
          parsed = parseResponses(this.text, headRequests);
        } catch {
          return false;
        }
        return parsed.length >= n;
      },
      timeoutMs,
      `${n} responses`,
    );
    return parsed;
  }

  /** Waits for the server to close the connection. */
  async closedByServer(timeoutMs = 5000): Promise<void> {
    await this.until(() => this.closed || this.ended, timeoutMs, 'close');
  }

  /** True if the connection is still open after `ms` (the server kept it alive). */
  async stillOpenAfter(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return !this.closed && !this.ended;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
