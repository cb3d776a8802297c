/**
 * The first bytes of a connection to a TLS listener: a TLS handshake record goes on to the TLS
 * layer; anything else is a client speaking plain HTTP to an HTTPS port, which gets a plain
 * HTTP/1.1 400 saying so, then a close (nginx's "plain HTTP request was sent to HTTPS port"),
 * instead of a handshake failure the client sees as a dropped connection.
 * Must never lose or alter a byte of a TLS connection: the chunk it looked at is put back first.
 */

import type net from 'node:net';
import type tls from 'node:tls';
import { httpDate } from './response-writer.js';

// TLS record content type 22 (RFC 8446 §5.1): every TLS connection starts with a handshake record.
const TLS_HANDSHAKE_RECORD = 0x16;

/** The body of the answer to plain HTTP on a TLS port. */
export const PLAIN_HTTP_ON_TLS_MESSAGE = 'Bad Request: a plain HTTP request was sent to an HTTPS port; use https://';
const PLAIN_HTTP_BODY = PLAIN_HTTP_ON_TLS_MESSAGE + '\n';
const PLAIN_HTTP_TAIL =
  `\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(PLAIN_HTTP_BODY)}\r\n` +
  `Connection: close\r\n\r\n${PLAIN_HTTP_BODY}`;

/** How long a connection may stay silent before its first byte, and how long a refused one may linger. */
export interface TlsSniffTimes {
  firstByteTimeoutMs: number;
  lingerMs: number;
}

/**
 * Makes `server` look at the first byte of each connection before its TLS layer does: the
 * server's own connection listeners (the TLS handshake) run only for a TLS handshake record.
 */
export function answerPlainHttpOnTls(server: tls.Server, times: TlsSniffTimes): void {
  const startTls = server.listeners('connection') as Array<(socket: net.Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: net.Socket) => {
    // Gone (or half-closed) before saying anything: nothing to answer.
    const onError = (): void => {
      socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onError);
      socket.setTimeout(0);
      socket.pause();
      if (chunk[0] === TLS_HANDSHAKE_RECORD) {
        // The TLS socket reads what is buffered here before anything else (node's initRead).
        socket.unshift(chunk);
        for (const listener of startTls) listener.call(server, socket);
        return;
      }
      refusePlainHttp(socket, times.lingerMs);
    };
    socket.on('error', onError);
    socket.on('end', onError);
    socket.on('data', onData);
    socket.setTimeout(times.firstByteTimeoutMs, () => socket.destroy());
  });
}

function refusePlainHttp(socket: net.Socket, lingerMs: number): void {
  socket.on('error', () => socket.destroy());
  // Read and discard the rest of the request, so closing does not reset the answer away.
  socket.resume();
  socket.end('HTTP/1.1 400 Bad Request\r\nDate: ' + httpDate() + PLAIN_HTTP_TAIL);
  setTimeout(() => socket.destroy(), lingerMs).unref();
}
