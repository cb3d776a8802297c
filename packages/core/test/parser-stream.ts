/**
 * A pure, socket-free request stream parser for tests: the engine's HeadScanner, parseHead
 * and ChunkedDecoder driven the way the connection drives them, over input fed in any split.
 * Lets tests compare the parse of a byte stream cut at arbitrary points with the unsplit one.
 */
import { engineDefaults, type ProtocolError } from '@sluice/core';
import { ChunkedDecoder } from '../src/engine/chunked-decoder.js';
import { HeadScanner, parseHead } from '../src/engine/parser.js';

export interface ParsedRequest {
  method: string;
  target: string;
  versionMinor: number;
  keepAlive: boolean;
  headers: Array<[string, string]>;
  body: string;
  trailers: Array<[string, string]>;
}

export interface StreamResult {
  requests: ParsedRequest[];
  /** The error code that stopped parsing, if any. */
  error: string | null;
}

/** Parses `chunks` (fed one after the other) as a stream of pipelined requests. */
export function parseStream(chunks: Buffer[], limits: Partial<typeof engineDefaults> = {}): StreamResult {
  const options = { ...engineDefaults, ...limits };
  const scanner = new HeadScanner(options);
  const requests: ParsedRequest[] = [];
  let buf = Buffer.alloc(0);
  let off = 0;
  let current: ParsedRequest | null = null;
  let remaining = 0;
  let decoder: ChunkedDecoder | null = null;
  let bodyParts: Buffer[] = [];
  try {
    for (const chunk of chunks) {
      buf = Buffer.concat([buf.subarray(off), chunk]);
      off = 0;
      for (;;) {
        if (current !== null) {
          if (decoder !== null) {
            const end = decoder.decode(buf, off, (c) => bodyParts.push(Buffer.from(c)));
            if (end === -1) {
              off = buf.length;
              break;
            }
            off = end;
            current.trailers = decoder.trailers;
          } else {
            const n = Math.min(remaining, buf.length - off);
            bodyParts.push(Buffer.from(buf.subarray(off, off + n)));
            off += n;
            remaining -= n;
            if (remaining > 0) break;
          }
          current.body = Buffer.concat(bodyParts).toString('latin1');
          requests.push(current);
          current = null;
          decoder = null;
          bodyParts = [];
          continue;
        }
        if (off >= buf.length) break;
        const end = scanner.scan(buf, off);
        if (end === -1) break;
        const head = parseHead(buf, off + scanner.headOffset, end);
        scanner.reset();
        off = end;
        current = {
          method: head.method,
          target: head.target,
          versionMinor: head.versionMinor,
          keepAlive: head.keepAlive,
          headers: head.names.map((n, i) => [n, head.values[i]]),
          body: '',
          trailers: [],
        };
        if (head.chunked) decoder = new ChunkedDecoder(options);
        else remaining = Math.max(0, head.contentLength);
        if (!head.chunked && remaining === 0) {
          requests.push(current);
          current = null;
        }
      }
    }
  } catch (error) {
    return { requests, error: (error as ProtocolError).code ?? String(error) };
  }
  return { requests, error: null };
}

/** Cuts `bytes` at the given offsets (sorted, deduplicated, within range). */
export function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}
