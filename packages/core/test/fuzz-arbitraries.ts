/**
 * fast-check generators of valid HTTP/1.x requests (any token method, origin-form target,
 * 1.0 or 1.1, arbitrary extra headers, no body / Content-Length / chunked), shared by the
 * pure parser properties and the over-the-socket ones.
 */
import fc from 'fast-check';

const tokenChar = fc.constantFrom(...'abcxyzABCXYZ0129!#$%&\'*+-.^_`|~'.split(''));
const token = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 });
const pathChar = fc.constantFrom(...'abc/._~-%20?=&;:@!$\'()*+,'.split(''));
const fieldValueChar = fc.constantFrom(...'abc xyz 019,;=/"\t\x80\xff'.split(''));

/** One valid request as bytes: any token method, origin-form target, headers, maybe a body. */
export const request = fc
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

export const stream = fc.array(request, { minLength: 1, maxLength: 8 }).map((parts) => Buffer.concat(parts));
