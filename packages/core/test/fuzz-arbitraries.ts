/**
 * fast-check generators of valid HTTP/1.x requests (any token method, origin-form target,
 * 1.0 or 1.1, arbitrary extra headers, no body / Content-Length / chunked with extensions from
 * the RFC 9112 §7.1.1 grammar), shared by the pure parser properties and the over-the-socket ones.
 */
import fc from 'fast-check';

const tokenChar = fc.constantFrom(...'abcxyzABCXYZ0129!#$%&\'*+-.^_`|~'.split(''));
const token = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 });
const pathChar = fc.constantFrom(...'abc/._~-%20?=&;:@!$\'()*+,'.split(''));
const fieldValueChar = fc.constantFrom(...'abc xyz 019,;=/"\t\x80\xff'.split(''));

const bws = fc.constantFrom('', ' ', '\t', ' \t ');
// qdtext (including ";", "=" and SP, which end tokens) and quoted-pairs, obs-text in both.
const qdText = fc.constantFrom(...'ab ;=,\t!#[]~\x80\xff'.split(''));
const quotedPair = fc.constantFrom('\\"', '\\\\', '\\a', '\\\t', '\\ ', '\\\x80');
const quotedString = fc.array(fc.oneof(qdText, quotedPair), { maxLength: 8 }).map((parts) => `"${parts.join('')}"`);

/**
 * Chunk extensions (latin1): `*( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )`,
 * `chunk-ext-val = token / quoted-string` (RFC 9112 §7.1.1).
 */
export const chunkExtensions = fc
  .array(fc.tuple(bws, bws, token, fc.option(fc.tuple(bws, bws, fc.oneof(token, quotedString)))), { maxLength: 3 })
  .map((exts) => exts.map(([w1, w2, name, value]) => `${w1};${w2}${name}${value === null ? '' : `${value[0]}=${value[1]}${value[2]}`}`).join(''));

/** One valid request as bytes: any token method, origin-form target, headers, maybe a body. */
export const request = fc
  .record({
    method: token,
    path: fc.string({ unit: pathChar, maxLength: 30 }),
    minor: fc.constantFrom(0, 1),
    headers: fc.array(fc.tuple(token, fc.string({ unit: fieldValueChar, maxLength: 20 })), { maxLength: 6 }),
    body: fc.option(fc.tuple(fc.constantFrom('length', 'chunked'), fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 4 }))),
    extensions: fc.array(chunkExtensions, { minLength: 5, maxLength: 5 }),
  })
  .map(({ method, path, minor, headers, body, extensions }) => {
    let head = `${method} /${path} HTTP/1.${minor}\r\n`;
    if (minor === 1) head += 'Host: example.test\r\n';
    for (const [name, value] of headers) {
      const lower = name.toLowerCase();
      // keep the framing and host decisions to the generator
      if (['host', 'content-length', 'transfer-encoding', 'expect', 'connection'].includes(lower)) continue;
      head += `X-${name}: ${value.trim()}\r\n`;
    }
    const payload: Buffer[] = [];
    if (body !== null) {
      const [framing, parts] = body;
      if (framing === 'chunked' && minor === 1) {
        head += 'Transfer-Encoding: chunked\r\n';
        parts.filter((p) => p.length > 0).forEach((p, k) => {
          payload.push(Buffer.from(`${Buffer.byteLength(p).toString(16)}${extensions[k]}\r\n`, 'latin1'), Buffer.from(`${p}\r\n`));
        });
        payload.push(Buffer.from(`0${extensions[4]}\r\nX-T: 1\r\n\r\n`, 'latin1'));
      } else {
        const data = parts.join('');
        head += `Content-Length: ${Buffer.byteLength(data)}\r\n`;
        payload.push(Buffer.from(data));
      }
    }
    return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), ...payload]);
  });

export const stream = fc.array(request, { minLength: 1, maxLength: 8 }).map((parts) => Buffer.concat(parts));

/**
 * A chunked POST whose first chunk line carries `extensions` (latin1), followed by a pipelined
 * `GET /next`: whatever the extension does to the parse, the GET must be answered only if the
 * POST's body was framed as written.
 */
export function chunkedThenNext(extensions: string | Buffer): Buffer {
  return Buffer.concat([
    Buffer.from('POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5', 'latin1'),
    typeof extensions === 'string' ? Buffer.from(extensions, 'latin1') : extensions,
    Buffer.from('\r\nhello\r\n0\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n', 'latin1'),
  ]);
}

/** Byte mutations (replace, insert, delete at an offset) applied by `mutate`. */
export const mutations = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('replace', 'insert', 'delete')), {
  minLength: 1,
  maxLength: 4,
});

/** Applies `list` to a copy of `bytes`. */
export function mutate(bytes: Buffer, list: Array<[number, number, string]>): Buffer {
  const out = [...bytes];
  for (const [at, value, kind] of list) {
    const i = at % (out.length + 1);
    if (kind === 'replace' && i < out.length) out[i] = value;
    else if (kind === 'insert') out.splice(i, 0, value);
    else out.splice(i, 1);
  }
  return Buffer.from(out);
}

const TCHAR = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]";
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
const EXTENSIONS = new RegExp(`^(?:[ \\t]*;[ \\t]*${TCHAR}+(?:[ \\t]*=[ \\t]*(?:${TCHAR}+|${QUOTED}))?)*$`);

/** Reference check, written from the ABNF independently of the decoder: are these valid chunk extensions? */
export function isValidChunkExtensions(bytes: Buffer): boolean {
  return EXTENSIONS.test(bytes.toString('latin1'));
}
