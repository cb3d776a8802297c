/** Units for the worker's list of running calls: lookup by id, order, removal during iteration. */
import test from 'ava';
import { RunningCalls } from '../src/running-calls.js';

const call = (id: number) => ({ id });

test('finds, orders and removes calls by id', (t) => {
  const calls = new RunningCalls<{ id: number }>();
  const [a, b, c] = [call(1), call(2), call(3)];
  calls.add(a);
  calls.add(b);
  calls.add(c);
  t.is(calls.size, 3);
  t.is(calls.get(2), b);
  t.is(calls.get(9), undefined);
  t.is(calls.first(), a);
  t.is(calls.last(), c);
  t.is(calls.delete(2), b);
  t.deepEqual(calls.list(), [a, c]);
  t.is(calls.delete(2), undefined);
  t.is(calls.delete(1), a);
  t.is(calls.first(), c);
  calls.clear();
  t.is(calls.size, 0);
  t.is(calls.first(), undefined);
});

test('list() is a copy: removing while iterating it visits every call', (t) => {
  const calls = new RunningCalls<{ id: number }>();
  for (let id = 1; id <= 4; id++) calls.add(call(id));
  const seen: number[] = [];
  for (const each of calls.list()) {
    seen.push(each.id);
    calls.delete(each.id);
  }
  t.deepEqual(seen, [1, 2, 3, 4]);
  t.is(calls.size, 0);
});
