/**
 * The heartbeat: one timer for all the sockets of an endpoint pings each of them every
 * interval and terminates those that did not answer the previous ping (RFC 6455 §5.5.2:
 * a pong is owed for every ping). Must never send application data or close politely: a
 * peer that does not answer pings cannot answer a close either.
 */

import type { WebSocket } from 'ws';

/** Pings sockets every `intervalMs`; terminates those that missed a pong. */
export class Heartbeat {
  readonly #intervalMs: number;
  /** Sockets and whether a pong came since the last ping. */
  readonly #alive = new Map<WebSocket, boolean>();
  #timer: NodeJS.Timeout | null = null;
  readonly #onPong = function (this: WebSocket): void {
    const heartbeat = heartbeats.get(this);
    if (heartbeat !== undefined) heartbeat.#alive.set(this, true);
  };

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** Watches `socket` until it closes. */
  add(socket: WebSocket): void {
    if (this.#intervalMs === 0) return;
    heartbeats.set(socket, this);
    this.#alive.set(socket, true);
    socket.on('pong', this.#onPong);
    socket.once('close', () => this.#remove(socket));
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.#beat(), this.#intervalMs);
      this.#timer.unref();
    }
  }

  #remove(socket: WebSocket): void {
    this.#alive.delete(socket);
    socket.off('pong', this.#onPong);
    if (this.#alive.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  #beat(): void {
    for (const [socket, alive] of this.#alive) {
      if (!alive) {
        socket.terminate();
        continue;
      }
      this.#alive.set(socket, false);
      socket.ping();
    }
  }
}

// Which heartbeat watches a socket: the pong listener is one shared function, not a closure per socket.
const heartbeats = new WeakMap<WebSocket, Heartbeat>();
