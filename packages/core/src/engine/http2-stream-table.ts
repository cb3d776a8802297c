/**
 * A stand-in for the `Map` in which node:http2 keeps a session's streams by id
 * (`session[kState].streams`): the same interface over two arrays kept in id order.
 *
 * Why: a session that lives through two young-generation collections (a browser's connection
 * between page loads) has its Map's table moved to old space, and from then on every table the
 * Map rebuilds under its set/delete churn (every few streams) is allocated there too. An obsolete
 * table stays in old space pointing at the streams it held; the scavenger takes those dead
 * pointers as roots, so every stream (with its exchange, ctx, request and response) survived,
 * was promoted and waited for a mark-compact. With the engine's own set of exchanges an array
 * too (Http2Connection), h2 hello on sessions aged by two scavenges went from 2.1-2.5 MB
 * surviving each scavenge (1.6-1.8 KB promoted per request, 9-10 ms pauses) to 0.02-0.06 MB
 * (1-3 bytes, 0.5-1 ms); either array alone changed nothing.
 *
 * The table is installed only where node's session state has exactly that shape (an own symbol
 * `state` whose `streams` is an empty Map); elsewhere node's Map stays. Must never change what
 * node sees: every Map method behaves as on a Map, except that entries added during a
 * `forEach` or an iteration are not visited (node only deletes while iterating).
 */

import type { Http2Session } from 'node:http2';
import { types } from 'node:util';

/** A `Map<number, V>` on two arrays kept in key order, found by bisection. */
export class StreamTable<V> implements Map<number, V> {
  #keys: number[] = [];
  #values: V[] = [];

  get size(): number {
    return this.#keys.length;
  }

  get [Symbol.toStringTag](): string {
    return 'Map';
  }

  /** Index of `key`, or -(insertion point) - 1 when absent. */
  #search(key: number): number {
    const keys = this.#keys;
    let low = 0;
    let high = keys.length - 1;
    // Ids only grow: the newest stream (the usual look-up) is checked first.
    if (high >= 0 && keys[high] === key) return high;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const found = keys[middle];
      if (found === key) return middle;
      if (found < key) low = middle + 1;
      else high = middle - 1;
    }
    return -low - 1;
  }

  get(key: number): V | undefined {
    const index = this.#search(key);
    return index < 0 ? undefined : this.#values[index];
  }

  has(key: number): boolean {
    return this.#search(key) >= 0;
  }

  set(key: number, value: V): this {
    if (typeof key !== 'number') throw new TypeError('StreamTable keys are stream ids (numbers)');
    const index = this.#search(key);
    if (index >= 0) {
      this.#values[index] = value;
      return this;
    }
    const at = -index - 1;
    if (at === this.#keys.length) {
      this.#keys.push(key);
      this.#values.push(value);
    } else {
      this.#keys.splice(at, 0, key);
      this.#values.splice(at, 0, value);
    }
    return this;
  }

  delete(key: number): boolean {
    const index = this.#search(key);
    if (index < 0) return false;
    if (index === 0) {
      this.#keys.shift();
      this.#values.shift();
    } else {
      this.#keys.splice(index, 1);
      this.#values.splice(index, 1);
    }
    return true;
  }

  clear(): void {
    this.#keys = [];
    this.#values = [];
  }

  forEach(callback: (value: V, key: number, map: Map<number, V>) => void, thisArg?: unknown): void {
    // Over a copy of the keys: an entry deleted by an earlier callback is skipped, as a Map does.
    for (const key of this.#keys.slice()) {
      const index = this.#search(key);
      if (index >= 0) callback.call(thisArg, this.#values[index], key, this);
    }
  }

  *entries(): MapIterator<[number, V]> {
    for (const key of this.#keys.slice()) {
      const index = this.#search(key);
      if (index >= 0) yield [key, this.#values[index]];
    }
  }

  *keys(): MapIterator<number> {
    for (const [key] of this.entries()) yield key;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[number, V]> {
    return this.entries();
  }
}

/**
 * Puts a {@link StreamTable} in place of `session`'s stream Map, if node's state has the known
 * shape and no stream yet; returns whether it did.
 */
export function adoptStreamTable(session: Http2Session): boolean {
  const stateKey = Object.getOwnPropertySymbols(session).find((symbol) => symbol.description === 'state');
  if (stateKey === undefined) return false;
  const state = (session as unknown as Record<symbol, unknown>)[stateKey] as { streams?: unknown } | null | undefined;
  // types.isMap: node's map is a primordials SafeMap, a Map that fails `instanceof Map`.
  if (state === null || typeof state !== 'object' || !types.isMap(state.streams) || state.streams.size !== 0) return false;
  state.streams = new StreamTable<unknown>();
  return true;
}
