// Property tests of the pure parser (fast-check, seeded so failures reproduce):
// any split of a valid pipelined stream parses exactly like the unsplit stream, and random
// byte mutations only ever produce requests or a coded ProtocolError, never a crash.
import test from 'ava';
import fc from 'fast-check';
import { chunkedThenNext, chunkExtensions, isValidChunkExtensions, mutate, mutations, request, stream } from './fuzz-arbitraries.js';
import { parseStream, splitAt } from './parser-stream.js';

const SEED = 20261128;

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

test('chunk extensions from the RFC 9112 grammar are accepted at any split: the body and the next request parse', (t) => {
  fc.assert(
    fc.property(chunkExtensions, fc.array(fc.nat(), { maxLength: 10 }), (ext, cuts) => {
      t.true(isValidChunkExtensions(Buffer.from(ext, 'latin1')), ext);
      const bytes = chunkedThenNext(ext);
      const whole = parseStream([bytes]);
      t.is(whole.error, null, JSON.stringify(ext));
      t.deepEqual(whole.requests.map((r) => [r.target, r.body]), [['/chunked', 'hello'], ['/next', '']]);
      t.deepEqual(parseStream(splitAt(bytes, cuts.map((c) => c % (bytes.length + 1)))), whole);
    }),
    { seed: SEED, numRuns: 1000 },
  );
});

test('mutated chunk extensions parse as the grammar says at any split; invalid ones never reach the next request', (t) => {
  let accepted = 0;
  let refused = 0;
  fc.assert(
    fc.property(chunkExtensions, mutations, fc.array(fc.nat(), { maxLength: 10 }), (ext, list, cuts) => {
      const mutated = mutate(Buffer.from(ext, 'latin1'), list);
      const bytes = chunkedThenNext(mutated);
      const whole = parseStream([bytes]);
      t.deepEqual(parseStream(splitAt(bytes, cuts.map((c) => c % (bytes.length + 1)))), whole);
      const framedAsWritten = whole.error === null && JSON.stringify(whole.requests.map((r) => [r.target, r.body])) === '[["/chunked","hello"],["/next",""]]';
      // Valid per the reference grammar <=> accepted with the body framed as written.
      t.is(framedAsWritten, isValidChunkExtensions(mutated), JSON.stringify(mutated.toString('latin1')));
      if (whole.error !== null) t.regex(whole.error, /^SLUICE_ERR_/);
      if (framedAsWritten) accepted++;
      else refused++;
    }),
    { seed: SEED, numRuns: 2000 },
  );
  // The mutations exercise both sides of the grammar.
  t.true(accepted > 100 && refused > 100, `${accepted} accepted, ${refused} refused`);
});
