/**
 * The requests one worker is running, in the order they were sent to it: a plain array
 * searched from the front (a single-threaded worker answers them in that order; the list is
 * as long as the worker's threads plus its pipeline, a handful).
 *
 * Not a `Map` keyed by request id: the worker's map outlives many garbage collections and
 * moves to V8's old space, and under constant set/delete churn V8 rebuilds its table every
 * few requests, leaving the obsolete table (old space) pointing at the calls it held and at
 * its successor. The young-generation collector treats those dead tables as roots, so every
 * call (with its `ctx`, request and response objects) survived, was promoted and waited for
 * a full collection: under wrk 2.8 MB survived each scavenge, scavenges paused 5-9 ms and a
 * mark-compact ran every 0.8 s; with this array 0.1 MB survives and scavenges take 0.3-0.7 ms
 * (bench/RESULTS.md, wsgi, 2026-12-04 20:40). Must never hold a call after `delete()`.
 */

/** What the list needs of a call: its id on the worker's channel. */
export interface Identified {
  readonly id: number;
}

/** Calls running on one worker, oldest first. */
export class RunningCalls<C extends Identified> {
  #items: C[] = [];

  /** Number of calls. */
  get size(): number {
    return this.#items.length;
  }

  /** The call with request id `id`, if it is running here. */
  get(id: number): C | undefined {
    const items = this.#items;
    for (let i = 0; i < items.length; i++) if (items[i].id === id) return items[i];
    return undefined;
  }

  /** Adds `call` (sent after every call already here). */
  add(call: C): void {
    this.#items.push(call);
  }

  /** Removes the call with request id `id`; returns it, or undefined if it was not here. */
  delete(id: number): C | undefined {
    const items = this.#items;
    for (let i = 0; i < items.length; i++) {
      if (items[i].id !== id) continue;
      const call = items[i];
      if (i === 0) items.shift();
      else items.splice(i, 1);
      return call;
    }
    return undefined;
  }

  /** The oldest call (in a single-threaded worker, the one it is running). */
  first(): C | undefined {
    return this.#items[0];
  }

  /** The newest call (the last one sent ahead). */
  last(): C | undefined {
    return this.#items[this.#items.length - 1];
  }

  /** A copy of the calls, oldest first (safe to iterate while calls are removed). */
  list(): C[] {
    return this.#items.slice();
  }

  /** Forgets every call. */
  clear(): void {
    this.#items = [];
  }
}
