/**
 * Byte-class lookup tables (RFC 9110 §5.6.2 token, field-vchar, request-target characters)
 * shared by the engine's parser and the framework's header checks, so both agree on what a
 * token is. A table lookup per byte is the fastest test there is in JS; must stay free of
 * any allocation or logic beyond building the tables once.
 */

function table(accept: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = accept(c) ? 1 : 0;
  return t;
}

const TCHAR_EXTRA = "!#$%&'*+-.^_`|~";

/** tchar: token characters (method names, header field names, codings). */
export const TOKEN = table(
  (c) =>
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    TCHAR_EXTRA.includes(String.fromCharCode(c)),
);

/** field-vchar / SP / HTAB / obs-text: what a header value may hold. */
export const FIELD_VALUE = table((c) => c === 0x09 || (c >= 0x20 && c !== 0x7f));

/** qdtext of a quoted-string (RFC 9110 §5.6.4): HTAB, SP, visible ASCII but `"` and `\\`, obs-text. */
export const QDTEXT = table((c) => c === 0x09 || c === 0x20 || c === 0x21 || (c >= 0x23 && c <= 0x7e && c !== 0x5c) || c >= 0x80);

/** What may follow a backslash in a quoted-pair (RFC 9110 §5.6.4): HTAB, SP, VCHAR, obs-text. */
export const QUOTED_PAIR = table((c) => c === 0x09 || (c >= 0x20 && c !== 0x7f));

/** Visible ASCII allowed in a request-target (no controls, no SP, no DEL, no 8-bit). */
export const TARGET = table((c) => c > 0x20 && c < 0x7f);

/** Hex digit value plus one (0 = not a hex digit), for chunk sizes. */
export const HEX = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 10; c++) t[0x30 + c] = c + 1;
  for (let c = 0; c < 6; c++) {
    t[0x41 + c] = c + 11;
    t[0x61 + c] = c + 11;
  }
  return t;
})();

/** Byte values the parser compares against. */
export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;
