/** Units on bytes for the Node ↔ Python framing: exact encoded bytes, and the decoder fed at every split. */
import test from 'ava';
import { encodeFrame, encodeU32Frame, FrameDecoder, HEADER_BYTES, MAX_FRAME_BYTES, ToWorker } from '../src/framing.js';

interface Frame {
  type: number;
  id: number;
  payload: string;
}

/** A decoder that copies out every frame it hands over. */
function collector(): { decoder: FrameDecoder; frames: Frame[] } {
  const frames: Frame[] = [];
  const decoder = new FrameDecoder((type, id, payload) => frames.push({ type, id, payload: payload.toString('latin1') }));
  return { decoder, frames };
}

/** A frame as a worker would send it, built by hand from the documented layout. */
function wire(type: number, id: number, payload: string): Buffer {
  const body = Buffer.from(payload, 'latin1');
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeUInt32BE(body.length, 0);
  head[4] = type;
  head.writeUInt32BE(id, 5);
  return Buffer.concat([head, body]);
}

const stream: Frame[] = [
  { type: 18, id: 1, payload: '200 OK\0Content-Type\0text/plain' },
  { type: 20, id: 1, payload: 'hello' },
  { type: 21, id: 1, payload: '' },
  { type: 19, id: 0xffffffff, payload: 'x'.repeat(300) },
  { type: 26, id: 2, payload: '\0\xff binary \r\n' },
];
const bytes = Buffer.concat(stream.map((f) => wire(f.type, f.id, f.payload)));

test('encodeFrame writes length, type, id (big-endian) and the payload', (t) => {
  const frame = encodeFrame(ToWorker.Body, 0x01020304, Buffer.from('abc'));
  t.deepEqual([...frame], [0, 0, 0, 3, ToWorker.Body, 1, 2, 3, 4, 0x61, 0x62, 0x63]);
});

test('encodeFrame without a payload is a bare 9-byte header with length 0', (t) => {
  t.deepEqual([...encodeFrame(ToWorker.BodyEnd, 9)], [0, 0, 0, 0, ToWorker.BodyEnd, 0, 0, 0, 9]);
});

test('encodeU32Frame carries one big-endian u32 as a 4-byte payload', (t) => {
  t.deepEqual([...encodeU32Frame(ToWorker.Credit, 5, 65536)], [0, 0, 0, 4, ToWorker.Credit, 0, 0, 0, 5, 0, 1, 0, 0]);
});

test('the decoder reads back what encodeFrame wrote', (t) => {
  const { decoder, frames } = collector();
  decoder.push(encodeFrame(ToWorker.Request, 42, Buffer.from('environ\0here')));
  t.deepEqual(frames, [{ type: ToWorker.Request, id: 42, payload: 'environ\0here' }]);
});

test('the decoder yields the same frames whatever two pieces the stream arrives in', (t) => {
  for (let split = 0; split <= bytes.length; split++) {
    const { decoder, frames } = collector();
    decoder.push(bytes.subarray(0, split));
    decoder.push(bytes.subarray(split));
    t.deepEqual(frames, stream, `split at ${split}`);
  }
});

test('the decoder yields the same frames when fed one byte at a time', (t) => {
  const { decoder, frames } = collector();
  for (let i = 0; i < bytes.length; i++) decoder.push(bytes.subarray(i, i + 1));
  t.deepEqual(frames, stream);
});

test('a frame is handed out only once it is complete', (t) => {
  const { decoder, frames } = collector();
  const frame = wire(20, 3, 'abcdef');
  decoder.push(frame.subarray(0, frame.length - 1));
  t.deepEqual(frames, []);
  decoder.push(frame.subarray(frame.length - 1));
  t.deepEqual(frames, [{ type: 20, id: 3, payload: 'abcdef' }]);
});

test('whole frames in one chunk are views of that chunk, not copies', (t) => {
  const chunk = Buffer.concat([wire(20, 1, 'first'), wire(20, 1, 'second')]);
  const views: Buffer[] = [];
  new FrameDecoder((_type, _id, payload) => views.push(payload)).push(chunk);
  t.is(views.length, 2);
  for (const view of views) t.is(view.buffer, chunk.buffer);
});

test('a frame longer than MAX_FRAME_BYTES is refused with a RangeError naming its size', (t) => {
  const { decoder, frames } = collector();
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
  head[4] = 20;
  t.throws(() => decoder.push(head), { instanceOf: RangeError, message: `frame of ${MAX_FRAME_BYTES + 1} bytes from the worker` });
  t.deepEqual(frames, []);
});

test('a frame of exactly MAX_FRAME_BYTES is accepted (the limit is inclusive)', (t) => {
  const { decoder } = collector();
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeUInt32BE(MAX_FRAME_BYTES, 0);
  t.notThrows(() => decoder.push(head));
});
