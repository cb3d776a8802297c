/** Units for the request body feed: a chunk per pull, BODY_END once, early with the last declared byte when asked. */
import { PassThrough } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import test from 'ava';
import { FrameDecoder, ToWorker } from '../src/framing.js';
import { RequestBodyFeed } from '../src/request-body-feed.js';

/** A call whose worker records the frames it is sent, as `type:payload`. */
function owner() {
  const frames: string[] = [];
  const decoder = new FrameDecoder((type, _id, payload) => frames.push(`${type}:${payload.toString()}`));
  const call = { id: 7, finished: false, lastActivity: 0, host: { pid: 0, send: (frame: Buffer) => decoder.push(frame) } };
  return { call, frames };
}

test('each pull gets one chunk; BODY_END answers the pull after the end, once', async (t) => {
  const { call, frames } = owner();
  const source = new PassThrough();
  const feed = new RequestBodyFeed(call, source, -1);
  feed.pull();
  t.deepEqual(frames, []);
  source.write('abc');
  await turn();
  t.deepEqual(frames, [`${ToWorker.Body}:abc`]);
  source.end('de');
  await turn();
  t.deepEqual(frames, [`${ToWorker.Body}:abc`], 'nothing is sent without a pull');
  feed.pull();
  feed.pull();
  await turn();
  feed.pull();
  t.deepEqual(frames, [`${ToWorker.Body}:abc`, `${ToWorker.Body}:de`, `${ToWorker.BodyEnd}:`]);
  t.true(call.lastActivity > 0);
});

test('with a declared length, BODY_END follows the BODY carrying its last byte', async (t) => {
  const { call, frames } = owner();
  const source = new PassThrough();
  const feed = new RequestBodyFeed(call, source, 5);
  source.write('hello');
  feed.pull();
  await turn();
  feed.pull();
  t.deepEqual(frames, [`${ToWorker.Body}:hello`, `${ToWorker.BodyEnd}:`]);
});

test('a finished call is sent nothing; a broken body aborts a running one', async (t) => {
  const { call, frames } = owner();
  const source = new PassThrough();
  const feed = new RequestBodyFeed(call, source, -1);
  source.write('x');
  call.finished = true;
  feed.pull();
  await turn();
  t.deepEqual(frames, []);
  call.finished = false;
  source.destroy(new Error('client gone'));
  await turn();
  t.deepEqual(frames, [`${ToWorker.Abort}:`]);
});
