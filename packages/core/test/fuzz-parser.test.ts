// Property tests of the pure parser (fast-check, seeded so failures reproduce):
// any split of a valid pipelined stream parses exactly like the unsplit stream, and random
// byte mutations only ever produce requests or a coded ProtocolError, never a crash.
import test from 'ava';
import fc from 'fast-check';
import { parseStream, splitAt } from './parser-stream.js';

const SEED = 20261128;
const tokenChar = fc.constantFrom(...'abcxyzABCXYZ0129!#$%&\'*+-.^_`|~'.split(''));
const token = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 });
const pathChar = fc.constantFrom(...'abc/._~-%20?=&;:@!$\'()*+,'.split(''));
const fieldValueChar = fc.constantFrom(...'abc xyz 019,;=/"\t\x80\xff'.split(''));

/** One valid request as bytes: any token method, origin-form target, headers, maybe a body. */
const request = fc
  .record({
    method: token,
    path: fc.string({ unit: pathChar, maxLength: 30 }),
    minor: fc.constantFrom(0, 1),
    headers: fc.array(fc.tuple(token, fc.string({ unit: fieldValueChar, maxLength: 20 })), { maxLength: 6 }),
    body: fc.option(fc.tuple(fc.constantFrom('length', 'chunked'), fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 4 }))),
  })
  .map(({ method, path, minor, headers, body }) => {
    let head = `${method} /${path} HTTP/1.${minor}\r\n`;
    if (minor === 1) head += 'Host: example.test\r\n';
    for (const [name, value] of headers) {
      const lower = name.toLowerCase();
      // keep the framing and host decisions to the generator
      if (['host', 'content-length', 'transfer-encoding', 'expect', 'connection'].includes(lower)) continue;
      head += `X-${name}: ${value.trim()}\r\n`;
    }
    let payload = '';
    if (body !== null) {
      const [framing, parts] = body;
      if (framing === 'chunked' && minor === 1) {
        head += 'Transfer-Encoding: chunked\r\n';
        payload = parts.filter((p) => p.length > 0).map((p) => `${Buffer.byteLength(p).toString(16)};ext=1\r\n${p}\r\n`).join('') + '0\r\nX-T: 1\r\n\r\n';
      } else {
        const data = parts.join('');
        head += `Content-Length: ${Buffer.byteLength(data)}\r\n`;
        payload = data;
      }
    }
    return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), Buffer.from(payload)]);
  });

const stream = fc.array(request, { minLength: 1, maxLength: 8 }).map((parts) => Buffer.concat(parts));

test('any split of valid pipelined requests parses exactly like the unsplit stream', (t) => {
  fc.assert(
    fc.property(stream, fc.array(fc.nat(), { maxLength: 40 }), (bytes, cuts) => {
      const whole = parseStream([bytes]);
      if (whole.error !== null) return false;
      const split = parseStream(splitAt(bytes, cuts.map((c) => c % (bytes.length + 1))));
      t.deepEqual(split, whole);
      return true;
    }),
    { seed: SEED, numRuns: 500 },
  );
  t.pass();
});

test('the number of requests parsed equals the number generated', (t) => {
  fc.assert(
    fc.property(fc.array(request, { minLength: 1, maxLength: 8 }), (parts) => {
      return parseStream([Buffer.concat(parts)]).requests.length === parts.length;
    }),
    { seed: SEED, numRuns: 300 },
  );
  t.pass();
});

test('random byte mutations give requests or a coded protocol error, never a crash', (t) => {
  const mutation = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('replace', 'insert', 'delete'));
  fc.assert(
    fc.property(stream, fc.array(mutation, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (bytes, mutations, cuts) => {
      const mutated = [...bytes];
      for (const [at, value, kind] of mutations) {
        const i = at % (mutated.length + 1);
        if (kind === 'replace' && i < mutated.length) mutated[i] = value;
        else if (kind === 'insert') mutated.splice(i, 0, value);
        else mutated.splice(i, 1);
      }
      const buf = Buffer.from(mutated);
      const whole = parseStream([buf]);
      if (whole.error !== null && !whole.error.startsWith('SLUICE_ERR_')) return false;
      // splits still do not change the outcome, even for invalid input
      const split = parseStream(splitAt(buf, cuts.map((c) => c % (buf.length + 1))));
      t.deepEqual(split, whole);
      return true;
    }),
    { seed: SEED, numRuns: 1000 },
  );
  t.pass();
});
