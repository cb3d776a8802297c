/** Test helpers: a temporary site on disk, an app serving it on an ephemeral port, raw sockets, multipart parsing. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { raw as rawExchange } from '@sluice/test-support';

export { start, type Running } from '@sluice/test-support';

/** A directory tree made from `files` (relative path → contents) under a fresh temp dir; `root` is its `site/` folder. */
export function makeSite(files: Record<string, string | Buffer>): { base: string; root: string; remove(): void } {
  const base = mkdtempSync(join(tmpdir(), 'sluice-static-'));
  const root = join(base, 'site');
  mkdirSync(root);
  for (const [path, contents] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(path.endsWith('/') ? full : dirname(full), { recursive: true });
    if (!path.endsWith('/')) writeFileSync(full, contents);
  }
  return { base, root, remove: () => rmSync(base, { recursive: true, force: true }) };
}

/** A response read off a raw socket. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Buffer;
  /** Everything received, as latin1. */
  text: string;
  closed: boolean;
}

/**
 * Writes `request` on a raw socket and reads until the server closes or `timeoutMs`
 * passes; parses the first response (Content-Length framing).
 */
export async function raw(port: number, request: string | Buffer, { timeoutMs = 10_000 } = {}): Promise<RawResponse> {
  const { text, closed } = await rawExchange(port, request, { timeoutMs });
  const all = Buffer.from(text, 'latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, headEnd === -1 ? text.length : headEnd).split('\r\n');
  const status = Number(lines[0]?.split(' ')[1] ?? 0);
  const headers: Record<string, string | undefined> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const bodyStart = headEnd === -1 ? all.length : headEnd + 4;
  const body = all.subarray(bodyStart, length === undefined ? all.length : bodyStart + length);
  return { status, headers, body, text, closed };
}

/** A GET (or other method) for `target` on a raw socket, closing the connection after. */
export function rawRequest(port: number, target: string, { method = 'GET', headers = {} as Record<string, string> } = {}): Promise<RawResponse> {
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return raw(port, `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extra}\r\n`);
}

/** One part of a multipart/byteranges body. */
export interface BytePart {
  headers: Record<string, string | undefined>;
  body: Buffer;
}

/** Parses a multipart/byteranges body with `boundary` (RFC 2046 framing), strictly: throws on anything malformed. */
export function parseMultipart(body: Buffer, boundary: string): BytePart[] {
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  if (!text.startsWith(delimiter + '\r\n')) throw new Error('body does not start with the delimiter');
  const close = `\r\n${delimiter}--\r\n`;
  if (!text.endsWith(close)) throw new Error('body does not end with the close delimiter');
  const inner = text.slice(0, text.length - close.length);
  const pieces = inner.split(`\r\n${delimiter}\r\n`);
  pieces[0] = pieces[0].slice(delimiter.length + 2);
  return pieces.map((piece) => {
    const end = piece.indexOf('\r\n\r\n');
    if (end === -1) throw new Error('part without a blank line');
    const headers: Record<string, string> = {};
    for (const line of piece.slice(0, end).split('\r\n')) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { headers, body: Buffer.from(piece.slice(end + 4), 'latin1') };
  });
}

/** Bytes 0..n-1 with a recognisable, position-dependent pattern. */
export function patternBytes(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + (i >> 8)) & 0xff;
  return out;
}
