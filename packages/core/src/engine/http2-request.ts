/**
 * An HTTP/2 request as the framework reads a request: the pseudo-header fields mapped onto the
 * request line (`:method`, `:path`, `:authority` as `Host`), the other fields in arrival order,
 * and the body of DATA frames as a Readable whose reading is what opens the flow-control window.
 * Must never answer a request or touch the session: nghttp2 has validated the fields already.
 */

import { Readable } from 'node:stream';
import type { ServerHttp2Stream } from 'node:http2';
import type { RequestView } from '../http-exchange.js';

/** The fields of one HTTP/2 request (from the stream's raw header list). */
export class Http2RequestView implements RequestView {
  readonly method: string = '';
  readonly target: string = '';
  /** `:scheme` as sent ('' when absent). */
  readonly scheme: string = '';
  readonly contentLength: number = -1;
  /** Size of the fields as an HTTP/1 head would count them (name, value, ": " and CRLF), pseudo-fields included. */
  readonly headerBytes: number = 0;
  /** Number of fields, pseudo-fields excluded. */
  readonly fieldCount: number = 0;
  readonly #names: string[] = [];
  readonly #values: string[] = [];

  constructor(raw: readonly string[]) {
    let authority: string | undefined;
    let hasHost = false;
    let cookie: string | undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i];
      const value = raw[i + 1];
      this.headerBytes += name.length + value.length + 4;
      if (name.charCodeAt(0) === 0x3a) {
        if (name === ':method') this.method = value;
        else if (name === ':path') this.target = value;
        else if (name === ':authority') authority = value;
        else if (name === ':scheme') this.scheme = value;
        continue;
      }
      // RFC 9113 §8.2.3: cookie crumbs sent as separate fields are one Cookie field joined by "; ".
      if (name === 'cookie') {
        this.fieldCount++;
        cookie = cookie === undefined ? value : cookie + '; ' + value;
        continue;
      }
      this.fieldCount++;
      if (name === 'host') hasHost = true;
      else if (name === 'content-length') this.contentLength = Number(value);
      this.#names.push(name);
      this.#values.push(value);
    }
    if (cookie !== undefined) {
      this.#names.push('cookie');
      this.#values.push(cookie);
    }
    // The authority replaces Host (RFC 9113 §8.3.1); the framework reads the host from Host.
    if (!hasHost && authority !== undefined) {
      this.#names.push('host');
      this.#values.push(authority);
    }
    // CONNECT has no :path; its target is the authority (RFC 9113 §8.5).
    if (this.target === '' && this.method === 'CONNECT' && authority !== undefined) this.target = authority;
  }

  /** Always 2. */
  get versionMajor(): number {
    return 2;
  }

  /** 0: HTTP/2 is shown as `HTTP/2.0`. */
  get versionMinor(): number {
    return 0;
  }

  header(name: string): string | undefined {
    const names = this.#names;
    let found: string | undefined;
    for (let i = 0; i < names.length; i++) {
      if (names[i] === name) found = found === undefined ? this.#values[i] : found + ', ' + this.#values[i];
    }
    return found;
  }

  forEachHeader(visit: (name: string, value: string) => void): void {
    for (let i = 0; i < this.#names.length; i++) visit(this.#names[i], this.#values[i]);
  }

  /** HTTP/2 field names are lowercase on the wire: the raw names are the names. */
  get rawHeaders(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.#names.length; i++) out.push(this.#names[i], this.#values[i]);
    return out;
  }
}

const HIGH_WATER_MARK = 64 * 1024;

function ignoreError(): void {}

/**
 * The request body of a stream. The stream stays paused until the app reads: unread DATA is
 * not consumed, so nghttp2 sends no WINDOW_UPDATE and the client waits (HTTP/2 flow control
 * is the backpressure). Counts bytes against `maxBytes`; past it, `onTooLarge` is called once.
 */
export class Http2RequestBody extends Readable {
  /** Bytes announced by Content-Length, or -1. */
  readonly declaredLength: number;
  readonly #stream: ServerHttp2Stream;
  #received = 0;

  constructor(stream: ServerHttp2Stream, declaredLength: number, maxBytes: number, onTooLarge: () => void, onBytes: (n: number) => void) {
    super({ highWaterMark: HIGH_WATER_MARK });
    this.declaredLength = declaredLength;
    this.#stream = stream;
    // The engine fails the body when the client resets or times out; an app that never read it
    // must not crash the process with an unhandled 'error'. Readers still get the error.
    this.on('error', ignoreError);
    stream.on('data', (chunk: Buffer) => {
      this.#received += chunk.length;
      onBytes(chunk.length);
      if (this.#received > maxBytes) {
        onTooLarge();
        return;
      }
      if (this.destroyed) return;
      if (!this.push(chunk)) stream.pause();
    });
    stream.once('end', () => {
      if (!this.destroyed) this.push(null);
    });
    stream.pause();
  }

  /** Whether the engine is waiting for the client (the app wants more and the stream is not paused). */
  get waiting(): boolean {
    return !this.readableEnded && !this.destroyed && !this.#stream.isPaused();
  }

  override _read(): void {
    this.#stream.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // What the client still sends is read and dropped, so its window stays open (the
    // response may still be going out); maxBytes still bounds it.
    if (!this.readableEnded) this.#stream.resume();
    callback(error);
  }
}
