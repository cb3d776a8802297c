// The engine's list of open connections: the pure structure against a reference Set under random
// adds and removes (its length is the number of members, never more: storage that does not grow
// with churn is why it replaced a Set), then over sockets: after heavy churn the engine's sweep
// still reaches every connection left open.
import test from 'ava';
import fc from 'fast-check';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { HttpEngine } from '@sluice/core';
import { ConnectionList } from '../src/engine/connection-list.js';
import { eventually } from './helpers.js';

const SEED = 20261204;

interface Member {
  id: number;
  listIndex: number;
}

function members(list: ConnectionList<Member>): Member[] {
  const out: Member[] = [];
  for (let i = 0; i < list.length; i++) out.push(list.at(i) as Member);
  return out;
}

test('the list holds exactly the members added and not removed, each at the slot it records', (t) => {
  const pool: Member[] = Array.from({ length: 12 }, (_, id) => ({ id, listIndex: -1 }));
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 11 })), { maxLength: 300 }), (ops) => {
      for (const m of pool) m.listIndex = -1;
      const list = new ConnectionList<Member>();
      const reference = new Set<Member>();
      for (const [add, which] of ops) {
        const m = pool[which] as Member;
        if (add && !reference.has(m)) {
          list.add(m);
          reference.add(m);
        } else if (!add) {
          list.remove(m); // removing a member not listed does nothing
          reference.delete(m);
        }
        const listed = members(list);
        if (listed.length !== reference.size) return false;
        if (!listed.every((x, i) => reference.has(x) && x.listIndex === i)) return false;
        if (!pool.every((x) => reference.has(x) || x.listIndex === -1)) return false;
      }
      return true;
    }),
    { seed: SEED, numRuns: 500 },
  );
  t.pass();
});

test('after 100,000 members came and went around 5 that stay, the list has 5 slots', (t) => {
  const list = new ConnectionList<Member>();
  const stay = Array.from({ length: 5 }, (_, id) => ({ id, listIndex: -1 }));
  for (const m of stay) list.add(m);
  for (let i = 0; i < 50_000; i++) {
    const a = { id: 100 + 2 * i, listIndex: -1 };
    const b = { id: 101 + 2 * i, listIndex: -1 };
    list.add(a);
    list.add(b);
    list.remove(i % 2 === 0 ? a : b);
    list.remove(stay[i % 5] as Member); // a member that stays moves to the end
    list.add(stay[i % 5] as Member);
    list.remove(i % 2 === 0 ? b : a);
  }
  t.is(list.length, 5);
  t.deepEqual(members(list).map((m) => m.id).sort(), [0, 1, 2, 3, 4]);
  t.true(members(list).every((m, i) => m.listIndex === i));
});

test('after heavy churn the sweep still times out every silent connection left open', async (t) => {
  const engine = new HttpEngine(
    { onRequest: (x) => void x.respond(200, {}, 'ok'), onProtocolError: (e, x) => void x.respond(e.status, {}, e.message) },
    { headersTimeoutMs: 1500 },
  );
  const server = engine.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const connect = async (): Promise<net.Socket> => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    return socket;
  };
  try {
    // Silent connections interleaved with 600 that come and go, so removals move the silent ones
    // around the list many times.
    const silent: net.Socket[] = [];
    for (let round = 0; round < 30; round++) {
      silent.push(await connect());
      const passing = await Promise.all(Array.from({ length: 20 }, connect));
      for (const s of passing) s.destroy();
    }
    let closed = 0;
    for (const s of silent) {
      if (s.closed) closed++;
      else s.once('close', () => closed++);
    }
    await eventually(() => closed === silent.length, 20_000, 'every silent connection to be timed out');
    await eventually(() => engine.connectionCount === 0, 5000, 'the engine to forget them');
    t.is(closed, 30);
  } finally {
    await engine.close(100);
  }
});
