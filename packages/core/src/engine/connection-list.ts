/**
 * The engine's open connections (and an HTTP/2 connection's exchanges in progress): a dense
 * array with O(1) add and remove (the last one moves into the freed slot; each member remembers
 * its slot). Its storage follows the number of open connections and nothing else. A `Set` did not: V8 keeps a deleted entry's slot until the
 * table is rebuilt, and under steady churn it rebuilt into a table twice as large at a constant
 * number of connections (seen in heap snapshots of bench/suites/memory.mjs); and once in old
 * space, the tables a churned Set rebuilds kept the members they held alive through scavenges
 * (http2-stream-table.ts).
 * Must never hold a connection after `remove()`, nor know what a connection does.
 */

/** What the list needs of a member: a slot index it may write (-1 when not listed). */
export interface Listed {
  listIndex: number;
}

/** Open connections in no particular order. */
export class ConnectionList<T extends Listed> {
  readonly #items: T[] = [];

  /** Number of members. */
  get length(): number {
    return this.#items.length;
  }

  /** Adds `item` (not already listed). */
  add(item: T): void {
    item.listIndex = this.#items.length;
    this.#items.push(item);
  }

  /** Removes `item`; does nothing if it is not listed. */
  remove(item: T): void {
    const items = this.#items;
    const index = item.listIndex;
    if (index < 0 || items[index] !== item) return;
    const last = items.pop() as T;
    if (last !== item) {
      items[index] = last;
      last.listIndex = index;
    }
    item.listIndex = -1;
  }

  /** The member at `index` (0 ≤ index < length), for loops that may remove as they go. */
  at(index: number): T | undefined {
    return this.#items[index];
  }

  /** A copy of the members, for loops whose calls may change the list. */
  toArray(): T[] {
    return this.#items.slice();
  }
}
