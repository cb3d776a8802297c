/**
 * The engine's configurable limits and timeouts, with their defaults in one place.
 * Every limit here has a defined rejection (status code or close) in the engine.
 * Must never contain behaviour: only the option shapes, defaults and validation.
 */

import { coreError } from '../errors.js';

/** Limits and timeouts of the HTTP engine. All sizes in bytes, all times in ms. */
export interface EngineOptions {
  /** Longest request line accepted (method, target, version); longer → 414. */
  maxRequestLineBytes: number;
  /** Largest header section (request line included); larger → 431. */
  maxHeaderBytes: number;
  /**
   * Most header fields in one request (also bounds trailers); more → 431. A backstop against
   * heads of many tiny fields: `maxHeaderBytes` is the real guard.
   */
  maxHeaders: number;
  /** Largest request body; a larger Content-Length or chunked total → 413. */
  maxBodyBytes: number;
  /** Longest chunk-size line including extensions; longer → 400. */
  maxChunkLineBytes: number;
  /** Time allowed to receive a whole header section once it starts (slowloris) → 408 and close. */
  headersTimeoutMs: number;
  /**
   * Time allowed to receive a whole request, from the first byte of its head to the last
   * byte of its body → 408 (if not answered yet) and close. Time the app takes to answer
   * after the request is complete is not limited by the engine.
   */
  requestTimeoutMs: number;
  /**
   * Slowest average request-body rate accepted, in bytes per second, measured (after
   * `bodyRateGraceMs`) only while the engine waits for client bytes: time the app spends not
   * reading does not count. Slower → 408 (if not answered yet) and close. 0 = no minimum.
   */
  minBodyBytesPerSecond: number;
  /** Time a request body may take before `minBodyBytesPerSecond` is enforced. */
  bodyRateGraceMs: number;
  /**
   * Longest wait for the next byte of a request body while the engine is reading it → 408
   * (if not answered yet) and close. 0 = no limit.
   */
  bodyIdleTimeoutMs: number;
  /**
   * How long output may wait for a client that does not read (the socket's buffer stays
   * full with no progress) before the connection is dropped.
   */
  sendTimeoutMs: number;
  /** How long an idle keep-alive connection is kept open. */
  keepAliveTimeoutMs: number;
  /** Requests served on one connection before it is closed (0 = no limit). */
  maxRequestsPerConnection: number;
  /** Open connections accepted at once; beyond it new ones get 503 and are closed. */
  maxConnections: number;
  /** Unread request body the engine reads and discards to keep a connection alive. */
  maxDrainBytes: number;
  /** How long a closing connection keeps reading (and discarding) input after its last response. */
  lingerMs: number;
  /** Input buffered ahead of the request being served (pipelining) before reading pauses. */
  maxPipelineBufferBytes: number;
  /**
   * Request bodies held at once by `bufferBody()` (the gateways' buffering), in memory and
   * in temporary files, summed over all connections; a body that would cross it → 503.
   */
  maxBufferedBodyBytes: number;
  /** HTTP/2: streams a client may have open at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
  http2MaxConcurrentStreams: number;
  /**
   * HTTP/2: streams a client may reset within `http2ResetWindowMs` on one connection; one more
   * and the connection gets GOAWAY (ENHANCE_YOUR_CALM) and closes (rapid reset, CVE-2023-44487).
   */
  http2MaxResetsPerWindow: number;
  /** HTTP/2: the window over which `http2MaxResetsPerWindow` counts. */
  http2ResetWindowMs: number;
}

/** The defaults: safe for a public server, generous enough for real sites. */
export const engineDefaults: Readonly<EngineOptions> = Object.freeze({
  maxRequestLineBytes: 8 * 1024,
  maxHeaderBytes: 16 * 1024,
  // 1000, not 100: proxy chains and apps legitimately send over 100 fields (node:http allows 2000,
  // nginx and Go count bytes only); 1000 fields within 16 KiB means lines of 16 bytes on average.
  maxHeaders: 1000,
  maxBodyBytes: 64 * 1024 * 1024,
  maxChunkLineBytes: 4 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  // Kestrel's MinRequestBodyDataRate: a client trickling a byte every half second is cut off after
  // the 5 s grace, while a slow honest upload (a few KiB/s) is far above 240 B/s.
  minBodyBytesPerSecond: 240,
  bodyRateGraceMs: 5_000,
  // nginx's client_body_timeout is 60 s; 30 s bounds a body that stalls after a fast start.
  bodyIdleTimeoutMs: 30_000,
  sendTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxRequestsPerConnection: 100_000,
  maxConnections: 10_000,
  maxDrainBytes: 64 * 1024,
  lingerMs: 2_000,
  maxPipelineBufferBytes: 256 * 1024,
  maxBufferedBodyBytes: 1024 * 1024 * 1024,
  // nginx's http2_max_concurrent_streams.
  http2MaxConcurrentStreams: 128,
  // A page cancelling its images while scrolling resets dozens of streams, not hundreds every 10 s.
  http2MaxResetsPerWindow: 200,
  http2ResetWindowMs: 10_000,
});

/** Which protocols a server speaks besides HTTP/1.x (`app.listen()`, `engine.createServer()`). */
export interface ProtocolOptions {
  /** HTTP/2 over TLS, chosen by ALPN (`h2`, then `http/1.1`), on a TLS server. */
  http2: boolean;
  /** Cleartext HTTP/2 with prior knowledge (the client starts with the HTTP/2 preface), on a plain server. */
  h2c: boolean;
}

/** HTTP/1.x only unless asked, as nginx (`http2 on`) and Fastify (`http2: true`). */
export const protocolDefaults: Readonly<ProtocolOptions> = Object.freeze({ http2: false, h2c: false });

/** Merges user protocol options over the defaults; a non-boolean value throws naming the key. */
export function resolveProtocolOptions(user: Partial<ProtocolOptions> = {}): ProtocolOptions {
  const out: ProtocolOptions = { ...protocolDefaults };
  for (const key of Object.keys(protocolDefaults) as Array<keyof ProtocolOptions>) {
    const value = user[key];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw coreError('BAD_OPTION', `listen option "${key}" must be a boolean`);
    out[key] = value;
  }
  return out;
}

/**
 * Merges user options over the defaults, rejecting unknown keys and bad values
 * with an error that names the key.
 */
export function resolveEngineOptions(user: Partial<EngineOptions> = {}): EngineOptions {
  const out: EngineOptions = { ...engineDefaults };
  for (const [key, value] of Object.entries(user)) {
    if (value === undefined) continue;
    if (!(key in engineDefaults)) {
      throw coreError('BAD_OPTION', `unknown engine option "${key}"`);
    }
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw coreError('BAD_OPTION', `engine option "${key}" must be a non-negative number`);
    }
    (out as unknown as Record<string, number>)[key] = value;
  }
  return out;
}
