/** Units for the helper spawner's list of pending programs: lookup by id, removal, id order. */
import test from 'ava';
import { PendingPrograms } from '../src/spawn-helper/pending-programs.js';

const entry = (id: number) => ({ id });

test('finds and removes entries by id, in any order', (t) => {
  const pending = new PendingPrograms<{ id: number }>();
  const entries = [1, 2, 5, 9, 12, 40].map(entry);
  for (const each of entries) pending.add(each);
  t.is(pending.size, 6);
  for (const each of entries) t.is(pending.get(each.id), each);
  t.is(pending.get(3), undefined);
  t.is(pending.get(41), undefined);
  t.is(pending.delete(9), entries[3]);
  t.is(pending.delete(9), undefined);
  t.is(pending.delete(1), entries[0]);
  t.is(pending.delete(40), entries[5]);
  t.is(pending.size, 3);
  t.is(pending.get(5), entries[2]);
  t.is(pending.get(12), entries[4]);
});

test('refuses an id not greater than the last one added', (t) => {
  const pending = new PendingPrograms<{ id: number }>();
  pending.add(entry(4));
  t.throws(() => pending.add(entry(4)), { instanceOf: RangeError });
  t.throws(() => pending.add(entry(2)), { instanceOf: RangeError });
  pending.delete(4);
  pending.add(entry(5));
  t.is(pending.get(5)?.id, 5);
});

test('takeAll() empties the list and returns the entries oldest first', (t) => {
  const pending = new PendingPrograms<{ id: number }>();
  for (let id = 1; id <= 4; id++) pending.add(entry(id));
  const taken = pending.takeAll();
  t.deepEqual(taken.map((each) => each.id), [1, 2, 3, 4]);
  t.is(pending.size, 0);
  t.is(pending.get(1), undefined);
});

test('a long run of add and delete keeps lookups right', (t) => {
  const pending = new PendingPrograms<{ id: number }>();
  const live: number[] = [];
  for (let id = 1; id <= 1000; id++) {
    pending.add(entry(id));
    live.push(id);
    // Programs finish out of order: drop one from the middle every other step.
    if (id % 2 === 0) {
      const gone = live.splice(live.length >> 1, 1)[0];
      t.is(pending.delete(gone)?.id, gone);
    }
  }
  t.is(pending.size, live.length);
  for (const id of live) t.is(pending.get(id)?.id, id);
});
