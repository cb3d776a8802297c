// Level 1 (pure units): the request-body pace (minimum average rate after a grace period, idle
// timeout between bytes) on simulated clocks: a trickling client fails, an honest slow upload
// never does, and time the app spends not reading never counts against the client.
import test from 'ava';
import { engineDefaults } from '@sluice/core';
import { BodyPace } from '../src/engine/body-pace.js';

const T0 = 1_000_000;

/** Feeds `bytes` every `everyMs` from T0 until `untilMs`; returns when check() first failed (ms after T0) and why. */
function simulate(pace: BodyPace, bytes: number, everyMs: number, untilMs: number): { at: number; why: string } | null {
  pace.start(T0);
  for (let t = 0; t <= untilMs; t += 10) {
    const now = T0 + t;
    if (t > 0 && t % everyMs === 0) pace.received(bytes, now);
    const why = pace.check(now);
    if (why !== null) return { at: t, why };
  }
  return null;
}

test('with the defaults a client sending one byte every half second is cut off within 30 s', (t) => {
  const failed = simulate(new BodyPace(engineDefaults), 1, 500, 60_000);
  t.not(failed, null);
  t.is(failed?.why, 'BODY_TOO_SLOW');
  t.true((failed?.at ?? Infinity) <= 30_000, `cut at ${failed?.at} ms`);
  t.true((failed?.at ?? 0) >= engineDefaults.bodyRateGraceMs, 'not before the grace period');
});

test('with the defaults an honest 20 KiB/s upload is never cut, for ten minutes', (t) => {
  t.is(simulate(new BodyPace(engineDefaults), 2048, 100, 600_000), null);
});

test('with the defaults a body that stalls after a fast start is cut by the idle timeout', (t) => {
  const pace = new BodyPace(engineDefaults);
  pace.start(T0);
  pace.received(10 * 1024 * 1024, T0 + 100);
  t.is(pace.check(T0 + 100 + engineDefaults.bodyIdleTimeoutMs - 1), null);
  t.is(pace.check(T0 + 100 + engineDefaults.bodyIdleTimeoutMs), 'BODY_IDLE_TIMEOUT');
});

test('time in which the app does not read never counts: not against the rate, not as idleness', (t) => {
  const pace = new BodyPace({ minBodyBytesPerSecond: 1000, bodyRateGraceMs: 100, bodyIdleTimeoutMs: 200 });
  pace.start(T0);
  pace.received(500, T0 + 50);
  pace.stop(T0 + 150); // the app stops reading: the engine pauses the socket
  t.false(pace.waiting);
  t.is(pace.check(T0 + 60_000), null);
  t.is(pace.deadline(), 0);
  pace.start(T0 + 60_000); // the app reads again
  t.is(pace.check(T0 + 60_000 + 199), null, 'idleness counts from the restart');
  t.is(pace.check(T0 + 60_000 + 200), 'BODY_IDLE_TIMEOUT');
  // 500 bytes at 1000 B/s allow 500 ms of waiting: 150 ms were spent before the pause.
  const rateOnly = new BodyPace({ minBodyBytesPerSecond: 1000, bodyRateGraceMs: 100, bodyIdleTimeoutMs: 0 });
  rateOnly.start(T0);
  rateOnly.received(500, T0 + 50);
  rateOnly.stop(T0 + 150);
  rateOnly.start(T0 + 60_000);
  t.is(rateOnly.check(T0 + 60_000 + 349), null);
  t.is(rateOnly.check(T0 + 60_000 + 350), 'BODY_TOO_SLOW');
});

test('deadline() is the first instant check() fails when nothing more arrives', (t) => {
  const cases = [
    { limits: { minBodyBytesPerSecond: 240, bodyRateGraceMs: 5000, bodyIdleTimeoutMs: 30_000 }, bytes: 0 },
    { limits: { minBodyBytesPerSecond: 240, bodyRateGraceMs: 5000, bodyIdleTimeoutMs: 30_000 }, bytes: 2000 },
    { limits: { minBodyBytesPerSecond: 240, bodyRateGraceMs: 5000, bodyIdleTimeoutMs: 30_000 }, bytes: 1e7 },
    { limits: { minBodyBytesPerSecond: 333, bodyRateGraceMs: 0, bodyIdleTimeoutMs: 0 }, bytes: 77 },
  ];
  for (const { limits, bytes } of cases) {
    const pace = new BodyPace(limits);
    pace.start(T0);
    pace.received(bytes, T0 + 10);
    const at = pace.deadline();
    t.true(at > T0);
    t.is(pace.check(at - 1), null, JSON.stringify({ limits, bytes }));
    t.not(pace.check(at), null, JSON.stringify({ limits, bytes }));
  }
});

test('both limits at 0 turn the pace off', (t) => {
  const pace = new BodyPace({ minBodyBytesPerSecond: 0, bodyRateGraceMs: 0, bodyIdleTimeoutMs: 0 });
  pace.start(T0);
  t.is(pace.deadline(), 0);
  t.is(pace.check(T0 + 1e9), null);
});
