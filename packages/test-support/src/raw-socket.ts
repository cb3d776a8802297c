/**
 * Raw sockets for wire-level tests: exact bytes out, every byte back (latin1, so any byte
 * survives as one character). Must never parse or fix up what the server sent: the tests do.
 */

import { once } from 'node:events';
import net from 'node:net';

/** Options of {@link raw}. */
export interface RawOptions {
  /** Give up waiting for the server to close after this long. Default 10 s. */
  timeoutMs?: number;
  /** Pause between the chunks of an array `input`. Default 5 ms. */
  gapMs?: number;
  /** Half-close the connection after writing. Default false. */
  end?: boolean;
}

/** What came back on a raw connection. */
export interface RawReply {
  /** Every byte received, as latin1. */
  text: string;
  /** Whether the server closed the connection (false: the timeout passed first). */
  closed: boolean;
}

/**
 * Writes `input` (a string, bytes, or chunks written with a pause between them) on a new
 * connection and collects everything the server sends until it closes the connection or
 * `timeoutMs` passes.
 */
export async function raw(port: number, input: string | Buffer | Array<string | Buffer>, { timeoutMs = 10_000, gapMs = 5, end = false }: RawOptions = {}): Promise<RawReply> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve();
    });
  });
  const parts = Array.isArray(input) ? input : [input];
  for (const part of parts) {
    if (socket.destroyed) break;
    socket.write(part);
    if (parts.length > 1) await new Promise((r) => setTimeout(r, gapMs));
  }
  if (end) socket.end();
  await done;
  socket.destroy();
  return { text: Buffer.concat(chunks).toString('latin1'), closed };
}

/** An open raw connection that records what it receives. */
export type RecordingSocket = net.Socket & {
  /** Everything received so far, as latin1. */
  received(): string;
};

/** Opens a raw connection to 127.0.0.1:`port` that records what it receives; the test writes and ends it. */
export async function connect(port: number): Promise<RecordingSocket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  return Object.assign(socket, { received: () => text });
}

/** Writes `input`, waits `afterMs`, then resets the connection: a client that vanishes mid-exchange. */
export async function sendAndReset(port: number, input: string, afterMs = 50): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write(input);
  await new Promise((r) => setTimeout(r, afterMs));
  socket.resetAndDestroy();
}
