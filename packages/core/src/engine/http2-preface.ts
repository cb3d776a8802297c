/**
 * Cleartext HTTP/2 with prior knowledge (RFC 9113 §3.3) on the plain port: the first bytes of a
 * connection are compared with the 24-byte client preface; a match goes to an HTTP/2 session,
 * anything else (at its first differing byte) to the HTTP/1 engine. One port serves both.
 * Must never lose or alter a byte: what was read is put back before the socket is handed on.
 */

import type net from 'node:net';

/** The client connection preface, `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`. */
export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Where a sniffed connection goes: `http2` true for the HTTP/2 preface. */
export type PrefaceRoute = (socket: net.Socket, http2: boolean) => void;

/**
 * Reads the first bytes of `socket` until they match the HTTP/2 preface or differ from it, then
 * puts them back, pauses the socket and calls `route`. A client silent for `firstByteTimeoutMs`
 * is dropped, and so is one that closes before the bytes decide.
 */
export function routeByPreface(socket: net.Socket, firstByteTimeoutMs: number, route: PrefaceRoute): void {
  let seen: Buffer | null = null;
  const done = (http2: boolean): void => {
    socket.off('data', onData);
    socket.off('error', onError);
    socket.off('end', onEnd);
    socket.setTimeout(0);
    socket.pause();
    if (seen !== null) socket.unshift(seen);
    route(socket, http2);
  };
  const onData = (chunk: Buffer): void => {
    seen = seen === null ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, HTTP2_PREFACE.length);
    // The common case decides on the first byte: an HTTP/1 method other than PRI.
    if (seen.compare(HTTP2_PREFACE, 0, n, 0, n) !== 0) done(false);
    else if (n === HTTP2_PREFACE.length) done(true);
  };
  const onError = (): void => {
    socket.destroy();
  };
  const onEnd = (): void => {
    socket.destroy();
  };
  socket.on('data', onData);
  socket.on('error', onError);
  socket.on('end', onEnd);
  socket.setTimeout(firstByteTimeoutMs, () => socket.destroy());
}
