/**
 * `maxProcesses`: at most N programs at once; later requests wait in a bounded FIFO
 * queue for a bounded time, then get 503. Must never hand out more slots than N,
 * nor lose a slot when a waiter gives up.
 */

import { CgiError } from './errors.js';

interface Waiter {
  grant(): void;
  timer: NodeJS.Timeout;
}

/** Hands out process slots. */
export class ProcessLimiter {
  readonly #max: number;
  readonly #maxQueue: number;
  readonly #queueTimeoutMs: number;
  readonly #queue: Waiter[] = [];
  #running = 0;

  constructor(max: number, maxQueue: number, queueTimeoutMs: number) {
    this.#max = max;
    this.#maxQueue = maxQueue;
    this.#queueTimeoutMs = queueTimeoutMs;
  }

  /** Programs holding a slot now. */
  get running(): number {
    return this.#running;
  }

  /** Requests waiting now. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Waits for a slot; resolves to its release function (idempotent). `abortSignal`
   * firing (client gone) leaves the queue. Rejects with 503 when the queue is full or
   * the wait exceeds `queueTimeoutMs`.
   */
  acquire(onAbort: (listener: () => void) => void): Promise<() => void> {
    if (this.#running < this.#max) {
      this.#running++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#queue.length >= this.#maxQueue) return Promise.reject(busy('queue full'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(waiter.timer);
          resolve(this.#releaser());
        },
        timer: setTimeout(() => {
          this.#leave(waiter);
          reject(busy('waited too long for a free process slot'));
        }, this.#queueTimeoutMs),
      };
      this.#queue.push(waiter);
      onAbort(() => {
        if (this.#leave(waiter)) reject(new CgiError('CLIENT_GONE'));
      });
    });
  }

  #leave(waiter: Waiter): boolean {
    const index = this.#queue.indexOf(waiter);
    if (index === -1) return false;
    this.#queue.splice(index, 1);
    clearTimeout(waiter.timer);
    return true;
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      // The slot passes straight to the next waiter: the count never dips and climbs again.
      if (next === undefined) this.#running--;
      else next.grant();
    };
  }
}

function busy(reason: string): CgiError {
  return new CgiError('BUSY', `Too many CGI programs running: ${reason}`, { headers: { 'Retry-After': '1' } });
}
