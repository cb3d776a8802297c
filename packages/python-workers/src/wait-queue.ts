/**
 * The requests waiting for a worker, first come first served, with the time each joined
 * (for the queue timeout). Taken from the front by advancing an index rather than with
 * `Array.prototype.shift`: under load the queue holds about as many requests as there are
 * client connections, and shifting a long-lived array moves its start in V8's old space on
 * every request. Must never decide which worker runs a request: the pool does.
 */

/** A FIFO of calls and the times (ms) they were queued. */
export class WaitQueue<C> {
  #calls: Array<C | undefined> = [];
  #times: number[] = [];
  #head = 0;

  /** Number of waiting calls. */
  get length(): number {
    return this.#calls.length - this.#head;
  }

  /** Queues `call` at the back, at time `now`. */
  push(call: C, now: number): void {
    this.#calls.push(call);
    this.#times.push(now);
  }

  /** Puts `calls` back at the front, in their order (they were taken out and come back first). */
  unshift(calls: readonly C[], now: number): void {
    const rest = this.#calls.slice(this.#head) as C[];
    this.#calls = [...calls, ...rest];
    this.#times = [...calls.map(() => now), ...this.#times.slice(this.#head)];
    this.#head = 0;
  }

  /** When the oldest waiting call was queued; undefined when empty. */
  oldestTime(): number | undefined {
    return this.#head < this.#calls.length ? this.#times[this.#head] : undefined;
  }

  /** Takes the oldest waiting call; undefined when empty. */
  shift(): C | undefined {
    const head = this.#head;
    if (head >= this.#calls.length) return undefined;
    const call = this.#calls[head];
    // Not kept past its turn (the slot stays until the next compaction).
    this.#calls[head] = undefined;
    this.#head = head + 1;
    if (this.#head === this.#calls.length) this.clear();
    else if (this.#head >= 1024 && this.#head * 2 >= this.#calls.length) this.#compact();
    return call;
  }

  /** Takes every waiting call, oldest first, leaving the queue empty. */
  drain(): C[] {
    const calls = this.#calls.slice(this.#head) as C[];
    this.clear();
    return calls;
  }

  /** Forgets every waiting call. */
  clear(): void {
    this.#calls = [];
    this.#times = [];
    this.#head = 0;
  }

  #compact(): void {
    this.#calls = this.#calls.slice(this.#head);
    this.#times = this.#times.slice(this.#head);
    this.#head = 0;
  }
}
