// The Node side of the spawn helper protocol (src/spawn-helper/PROTOCOL.md) as pure units on
// bytes: the helper's messages read at every split, and the frames the server sends.
import test from 'ava';
import { frame, spawnFields } from '../src/spawn-helper/frames.js';
import { MessageReader, type HelperMessage } from '../src/spawn-helper/message-reader.js';

const stream = Buffer.concat([
  Buffer.from('ready\np 7 4242\nd 7 5\n'),
  Buffer.from('a\nb\0c'), // raw stdout bytes, newlines and NUL included
  Buffer.from('e 7 3\nerr'),
  Buffer.from('z 7\nx 7 0\nf 8 ENOENT No such file or directory\nx 9 -9\n'),
]);

function read(chunks: Buffer[]): HelperMessage[] {
  const messages: HelperMessage[] = [];
  const reader = new MessageReader((message) => messages.push(message));
  for (const chunk of chunks) reader.push(chunk);
  // Raw bytes may arrive in pieces: join consecutive pieces of the same program's stdout/stderr.
  const joined: HelperMessage[] = [];
  for (const message of messages) {
    const last = joined.at(-1);
    if (last !== undefined && last.id === message.id && ((last.out && message.out) || (last.err && message.err))) {
      if (message.out) last.out = Buffer.concat([last.out!, message.out]);
      else last.err = Buffer.concat([last.err!, message.err!]);
    } else joined.push({ ...message });
  }
  return joined;
}

const expected: HelperMessage[] = [
  { ready: true },
  { id: 7, pid: 4242 },
  { id: 7, out: Buffer.from('a\nb\0c') },
  { id: 7, err: Buffer.from('err') },
  { id: 7, eof: true },
  { id: 7, exit: 0 },
  { id: 8, error: 'ENOENT', message: 'No such file or directory' },
  { id: 9, exit: -9 },
];

test('the helper\'s messages are read the same whole, split at every offset, and byte by byte', (t) => {
  t.deepEqual(read([stream]), expected);
  for (let split = 1; split < stream.length; split++) {
    t.deepEqual(read([stream.subarray(0, split), stream.subarray(split)]), expected, `split at ${split}`);
  }
  t.deepEqual(read([...stream].map((byte) => Buffer.of(byte))), expected);
});

test('a frame is a 4-byte big-endian length and NUL-ended fields; a spawn frame carries argc before argv and env', (t) => {
  const bytes = frame(['k', '12', '15']);
  t.is(bytes.readUInt32BE(0), bytes.length - 4);
  t.is(bytes.toString('latin1', 4), 'k\x0012\x0015\x00');
  const fields = spawnFields(3, { file: '/bin/echo', argv: ['echo', 'a b'], cwd: '/tmp', env: ['PATH=/bin'], stdin: true });
  t.deepEqual(fields, ['o', '3', '1', '', '/bin/echo', '/tmp', '2', 'echo', 'a b', 'PATH=/bin']);
});

test('a NUL byte in a program, argument or environment value is refused before any frame is sent', (t) => {
  for (const spec of [
    { file: '/bin/e\0cho', argv: ['echo'], cwd: '/', env: [], stdin: false },
    { file: '/bin/echo', argv: ['echo', 'a\0b'], cwd: '/', env: [], stdin: false },
    { file: '/bin/echo', argv: ['echo'], cwd: '/', env: ['A=\0'], stdin: false },
  ]) {
    t.throws(() => spawnFields(1, spec), { code: 'EINVAL' } as never);
  }
});
