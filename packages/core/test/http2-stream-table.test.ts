/** Units for the stand-in of node:http2's stream Map: Map behaviour, and that a real session adopts it and serves. */
import http2 from 'node:http2';
import test from 'ava';
import { adoptStreamTable, StreamTable } from '../src/engine/http2-stream-table.js';

test('gets, sets, replaces and deletes by id, in any order', (t) => {
  const table = new StreamTable<string>();
  t.is(table.set(5, 'e'), table);
  table.set(1, 'a').set(9, 'i').set(3, 'c');
  t.is(table.size, 4);
  t.is(table.get(3), 'c');
  t.is(table.get(4), undefined);
  t.true(table.has(9));
  table.set(3, 'C');
  t.is(table.size, 4);
  t.is(table.get(3), 'C');
  t.true(table.delete(1));
  t.false(table.delete(1));
  t.deepEqual([...table], [[3, 'C'], [5, 'e'], [9, 'i']]);
  t.deepEqual([...table.keys()], [3, 5, 9]);
  t.deepEqual([...table.values()], ['C', 'e', 'i']);
  t.is(Object.prototype.toString.call(table), '[object Map]');
  table.clear();
  t.is(table.size, 0);
  t.is(table.get(5), undefined);
});

test('forEach skips an entry an earlier callback deleted, as a Map does', (t) => {
  const table = new StreamTable<string>();
  const map = new Map<number, string>();
  for (const id of [1, 3, 5, 7]) {
    table.set(id, String(id));
    map.set(id, String(id));
  }
  const visit = (target: Map<number, string>): number[] => {
    const seen: number[] = [];
    target.forEach((_value, key) => {
      seen.push(key);
      target.delete(key);
      if (key === 3) target.delete(5);
    });
    return seen;
  };
  t.deepEqual(visit(table), visit(map));
  t.is(table.size, 0);
});

test('a long run of set and delete keeps look-ups right', (t) => {
  const table = new StreamTable<number>();
  const live: number[] = [];
  for (let id = 1; id < 4000; id += 2) {
    table.set(id, id * 10);
    live.push(id);
    // Streams end out of order: one from the middle every other step.
    if (live.length > 8) t.true(table.delete(live.splice(live.length >> 1, 1)[0]));
  }
  t.is(table.size, live.length);
  for (const id of live) t.is(table.get(id), id * 10);
});

test('a node:http2 session adopts the table and serves streams through it', async (t) => {
  const server = http2.createServer();
  const adopted: boolean[] = [];
  server.on('session', (session) => adopted.push(adoptStreamTable(session)));
  server.on('stream', (stream) => {
    stream.respond({ ':status': 200 });
    stream.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const client = http2.connect(`http://127.0.0.1:${port}`);
  const fetchOne = () =>
    new Promise<string>((resolve, reject) => {
      const request = client.request({ ':path': '/' });
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => resolve(body));
      request.on('error', reject);
      request.end();
    });
  try {
    const bodies = await Promise.all(Array.from({ length: 20 }, fetchOne));
    t.deepEqual(bodies, Array(20).fill('ok'));
    t.deepEqual(adopted, [true]);
  } finally {
    client.close();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a session whose state is not the known shape keeps its own map', (t) => {
  t.false(adoptStreamTable({} as http2.Http2Session));
});
