/**
 * The programs a spawn helper is running for us, by request id: a plain array kept in id order
 * (ids only grow, so adding is a push) and searched by bisection, since every frame the helper
 * sends (pid, each stdout chunk, stderr, exit) looks its program up.
 *
 * Not a `Map`: the spawner's map lives as long as the app, so V8 moves its table to old space,
 * and from then on every table it rebuilds under set/delete churn (every few requests) is
 * allocated there too. An obsolete table stays in old space pointing at the entries it held;
 * the young-generation collector takes those dead pointers as roots, so every request's program
 * (its streams and buffers, and through their callbacks the request) survived, was promoted and
 * waited for a full collection: under wrk -c10 on a shell hello, 0.5-0.75 MB of finished
 * requests were still kept by two scavenges at rest (20 KB with this array).
 * Must never hold an entry after `delete()`, nor reuse an id.
 */

/** What the list needs of an entry: its request id on the helper's channel. */
export interface WithId {
  readonly id: number;
}

/** Entries by id, oldest (smallest id) first. */
export class PendingPrograms<E extends WithId> {
  #items: E[] = [];

  /** Number of entries. */
  get size(): number {
    return this.#items.length;
  }

  #indexOf(id: number): number {
    const items = this.#items;
    let low = 0;
    let high = items.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const found = items[middle].id;
      if (found === id) return middle;
      if (found < id) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  /** The entry with request id `id`, if there is one. */
  get(id: number): E | undefined {
    const index = this.#indexOf(id);
    return index < 0 ? undefined : this.#items[index];
  }

  /** Adds `entry`, whose id must be greater than every id added before. */
  add(entry: E): void {
    const items = this.#items;
    if (items.length > 0 && items[items.length - 1].id >= entry.id) throw new RangeError(`id ${entry.id} is not greater than the last id added`);
    items.push(entry);
  }

  /** Removes the entry with request id `id`; returns it, or undefined if there was none. */
  delete(id: number): E | undefined {
    const index = this.#indexOf(id);
    if (index < 0) return undefined;
    const items = this.#items;
    const entry = items[index];
    if (index === 0) items.shift();
    else items.splice(index, 1);
    return entry;
  }

  /** Removes and returns every entry, oldest first. */
  takeAll(): E[] {
    const items = this.#items;
    this.#items = [];
    return items;
  }
}
