/** Units for the pool's wait queue: order, times, requeueing at the front, compaction. */
import test from 'ava';
import { WaitQueue } from '../src/wait-queue.js';

test('first in, first out, with the time each was queued', (t) => {
  const queue = new WaitQueue<string>();
  t.is(queue.shift(), undefined);
  t.is(queue.oldestTime(), undefined);
  queue.push('a', 1);
  queue.push('b', 2);
  t.is(queue.length, 2);
  t.is(queue.oldestTime(), 1);
  t.is(queue.shift(), 'a');
  t.is(queue.oldestTime(), 2);
  t.is(queue.shift(), 'b');
  t.is(queue.length, 0);
  t.is(queue.shift(), undefined);
});

test('unshift puts calls back at the front, in their order', (t) => {
  const queue = new WaitQueue<string>();
  queue.push('c', 1);
  queue.push('d', 2);
  t.is(queue.shift(), 'c');
  queue.unshift(['a', 'b'], 5);
  t.is(queue.oldestTime(), 5);
  t.deepEqual(queue.drain(), ['a', 'b', 'd']);
  t.is(queue.length, 0);
});

test('a long run of pushes and shifts keeps the order and compacts', (t) => {
  const queue = new WaitQueue<number>();
  const out: number[] = [];
  let next = 0;
  for (let round = 0; round < 3000; round++) {
    queue.push(next++, round);
    queue.push(next++, round);
    out.push(queue.shift()!);
  }
  t.is(queue.length, 3000);
  out.push(...queue.drain());
  t.deepEqual(out, Array.from({ length: 6000 }, (_, i) => i));
});
