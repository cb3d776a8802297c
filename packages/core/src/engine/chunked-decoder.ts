/**
 * Incremental decoder of the chunked transfer coding (RFC 9112 §7.1): chunk sizes
 * as bounded hex, extensions parsed to the §7.1.1 grammar (then ignored), trailers
 * parsed and bounded.
 * Resumable at any byte boundary. Must never buffer chunk data: it hands out
 * subarrays of the input as they arrive.
 */

import { protocolError } from '../errors.js';
import { COLON, CR, FIELD_VALUE, HEX, HTAB, LF, QDTEXT, QUOTED_PAIR, SP, TOKEN } from '../chars.js';

// The chunk-size line: chunk-size *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) CRLF
// with chunk-ext-val = token / quoted-string (RFC 9112 §7.1.1). Every byte of it is checked against
// the grammar: an extension another parser reads differently (an unterminated quoted-string that
// swallows the CRLF, say) would move the message boundary, which is request smuggling.
// The line states come first so one comparison tells whether a byte counts towards maxChunkLineBytes.
const enum State {
  /** Hex digits of the size. */
  Size,
  /** BWS after the size: only ";" may follow. */
  SizeWs,
  /** BWS after an extension: only ";" may follow. */
  ExtWs,
  /** After ";": BWS, then the first character of a name. */
  ExtNameStart,
  /** Inside a name: token characters. */
  ExtName,
  /** BWS after a name: "=" or ";". */
  ExtNameWs,
  /** After "=": BWS, then a token or a quoted-string. */
  ExtValueStart,
  /** Inside a token value. */
  ExtToken,
  /** Inside a quoted-string. */
  ExtQuoted,
  /** After a backslash in a quoted-string. */
  ExtEscape,
  /** Just after a quoted-string's closing quote. */
  ExtQuoteEnd,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerLine,
  TrailerLf,
  Done,
}

/** Limits the decoder enforces. */
export interface ChunkedLimits {
  maxChunkLineBytes: number;
  maxHeaderBytes: number;
  maxHeaders: number;
  maxBodyBytes: number;
}

// Largest size before one more hex digit could pass Number.MAX_SAFE_INTEGER.
const SIZE_LIMIT = Math.floor(Number.MAX_SAFE_INTEGER / 16);

/**
 * Decodes one chunked request body, resumable at any byte boundary.
 * @example
 * const decoder = new ChunkedDecoder(engineDefaults);
 * const end = decoder.decode(buf, offset, (chunk) => body.push(chunk)); // -1: needs more input
 */
export class ChunkedDecoder {
  #state = State.Size;
  #size = 0;
  #sizeDigits = 0;
  #lineBytes = 0;
  #remaining = 0;
  #total = 0;
  #trailerBytes = 0;
  #trailerLine: number[] = [];
  /** Trailer fields as [lowercased name, value] pairs, once the body is done. */
  trailers: Array<[string, string]> = [];
  readonly #limits: ChunkedLimits;

  constructor(limits: ChunkedLimits) {
    this.#limits = limits;
  }

  get done(): boolean {
    return this.#state === State.Done;
  }

  /**
   * Decodes `buf[start..]`, calling `onData` with each run of body bytes. Returns the
   * offset just past the end of the chunked body, or -1 if all input was consumed
   * and the body goes on. Throws a ProtocolError on malformed input.
   */
  decode(buf: Buffer, start: number, onData: (chunk: Buffer) => void): number {
    let i = start;
    const end = buf.length;
    while (i < end) {
      const c = buf[i];
      // Every byte of the size line up to its CR counts towards maxChunkLineBytes (leading zeros
      // and extensions included), so the line is bounded whatever it holds. The run loops of
      // ExtName/ExtToken count their own bytes.
      if (this.#state <= State.ExtQuoteEnd && this.#state !== State.ExtName && this.#state !== State.ExtToken) {
        if (++this.#lineBytes > this.#limits.maxChunkLineBytes) throw protocolError('BAD_CHUNK');
      }
      switch (this.#state) {
        case State.Size: {
          const h = HEX[c];
          if (h !== 0) {
            if (this.#size > SIZE_LIMIT) throw protocolError('CHUNK_TOO_LARGE');
            this.#size = this.#size * 16 + (h - 1);
            this.#sizeDigits++;
            i++;
            break;
          }
          if (this.#sizeDigits === 0) throw protocolError('BAD_CHUNK');
          if (c === CR) this.#state = State.SizeLf;
          else if (c === 0x3b) this.#state = State.ExtNameStart;
          // BWS is allowed only before a chunk extension: "5 \r\n" is refused, since parsers
          // that disagree on it are a smuggling vector.
          else if (c === SP || c === HTAB) this.#state = State.SizeWs;
          else throw protocolError('BAD_CHUNK');
          i++;
          break;
        }
        case State.SizeWs:
        case State.ExtWs:
          if (c === 0x3b) this.#state = State.ExtNameStart;
          else if (c !== SP && c !== HTAB) throw protocolError(this.#state === State.SizeWs ? 'BAD_CHUNK' : 'BAD_CHUNK_EXTENSION');
          i++;
          break;
        case State.ExtNameStart:
          if (TOKEN[c] === 1) this.#state = State.ExtName;
          else if (c !== SP && c !== HTAB) throw protocolError('BAD_CHUNK_EXTENSION');
          i++;
          break;
        case State.ExtName: {
          i = this.#tokenRun(buf, i, end);
          if (i === end) break;
          const d = buf[i];
          if (++this.#lineBytes > this.#limits.maxChunkLineBytes) throw protocolError('BAD_CHUNK');
          if (d === CR) this.#state = State.SizeLf;
          else if (d === 0x3b) this.#state = State.ExtNameStart;
          else if (d === 0x3d) this.#state = State.ExtValueStart;
          else if (d === SP || d === HTAB) this.#state = State.ExtNameWs;
          else throw protocolError('BAD_CHUNK_EXTENSION');
          i++;
          break;
        }
        case State.ExtNameWs:
          if (c === 0x3d) this.#state = State.ExtValueStart;
          else if (c === 0x3b) this.#state = State.ExtNameStart;
          else if (c !== SP && c !== HTAB) throw protocolError('BAD_CHUNK_EXTENSION');
          i++;
          break;
        case State.ExtValueStart:
          if (TOKEN[c] === 1) this.#state = State.ExtToken;
          else if (c === 0x22) this.#state = State.ExtQuoted;
          else if (c !== SP && c !== HTAB) throw protocolError('BAD_CHUNK_EXTENSION');
          i++;
          break;
        case State.ExtToken: {
          i = this.#tokenRun(buf, i, end);
          if (i === end) break;
          const d = buf[i];
          if (++this.#lineBytes > this.#limits.maxChunkLineBytes) throw protocolError('BAD_CHUNK');
          if (d === CR) this.#state = State.SizeLf;
          else if (d === 0x3b) this.#state = State.ExtNameStart;
          else if (d === SP || d === HTAB) this.#state = State.ExtWs;
          else throw protocolError('BAD_CHUNK_EXTENSION');
          i++;
          break;
        }
        case State.ExtQuoted:
          // CR, LF, NUL and other controls never end or continue a quoted-string: refused, so the
          // line cannot end inside one.
          if (c === 0x22) this.#state = State.ExtQuoteEnd;
          else if (c === 0x5c) this.#state = State.ExtEscape;
          else if (QDTEXT[c] !== 1) throw protocolError('BAD_CHUNK_EXTENSION');
          i++;
          break;
        case State.ExtEscape:
          if (QUOTED_PAIR[c] !== 1) throw protocolError('BAD_CHUNK_EXTENSION');
          this.#state = State.ExtQuoted;
          i++;
          break;
        case State.ExtQuoteEnd:
          if (c === CR) this.#state = State.SizeLf;
          else if (c === 0x3b) this.#state = State.ExtNameStart;
          else if (c === SP || c === HTAB) this.#state = State.ExtWs;
          else throw protocolError('BAD_CHUNK_EXTENSION');
          i++;
          break;
        case State.SizeLf:
          if (c !== LF) throw protocolError('BAD_CHUNK');
          i++;
          if (this.#size === 0) {
            this.#state = State.TrailerLine;
          } else {
            this.#total += this.#size;
            if (this.#total > this.#limits.maxBodyBytes) throw protocolError('BODY_TOO_LARGE');
            this.#remaining = this.#size;
            this.#state = State.Data;
          }
          this.#size = 0;
          this.#sizeDigits = 0;
          this.#lineBytes = 0;
          break;
        case State.Data: {
          const n = Math.min(this.#remaining, end - i);
          onData(buf.subarray(i, i + n));
          i += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#state = State.DataCr;
          break;
        }
        case State.DataCr:
          if (c !== CR) throw protocolError('BAD_CHUNK');
          this.#state = State.DataLf;
          i++;
          break;
        case State.DataLf:
          if (c !== LF) throw protocolError('BAD_CHUNK');
          this.#state = State.Size;
          i++;
          break;
        case State.TrailerLine:
          if (c === CR) {
            this.#state = State.TrailerLf;
          } else {
            if (c === LF) throw protocolError('BARE_LF');
            this.#trailerLine.push(c);
          }
          if (++this.#trailerBytes > this.#limits.maxHeaderBytes) throw protocolError('TRAILERS_TOO_LARGE');
          i++;
          break;
        case State.TrailerLf:
          if (c !== LF) throw protocolError('BARE_CR');
          i++;
          if (this.#trailerLine.length === 0) {
            this.#state = State.Done;
            return i;
          }
          this.#addTrailer();
          this.#state = State.TrailerLine;
          break;
        case State.Done:
          return i;
      }
    }
    return this.#state === State.Done ? i : -1;
  }

  /**
   * Consumes a run of token characters (an extension name or token value) in a tight loop,
   * counting them toward the chunk line's limit; returns the index of the first other byte.
   */
  #tokenRun(buf: Buffer, i: number, end: number): number {
    const max = this.#limits.maxChunkLineBytes;
    while (i < end && TOKEN[buf[i]] === 1) {
      if (++this.#lineBytes > max) throw protocolError('BAD_CHUNK');
      i++;
    }
    return i;
  }

  #addTrailer(): void {
    const line = this.#trailerLine;
    this.#trailerLine = [];
    if (this.trailers.length >= this.#limits.maxHeaders) throw protocolError('TRAILERS_TOO_LARGE');
    let i = 0;
    while (i < line.length && TOKEN[line[i]]) i++;
    if (i === 0 || line[i] !== COLON) throw protocolError(i === 0 && (line[0] === SP || line[0] === HTAB) ? 'OBS_FOLD' : 'BAD_HEADER_NAME');
    const name = String.fromCharCode(...line.slice(0, i)).toLowerCase();
    i++;
    while (line[i] === SP || line[i] === HTAB) i++;
    let endValue = line.length;
    while (endValue > i && (line[endValue - 1] === SP || line[endValue - 1] === HTAB)) endValue--;
    for (let k = i; k < endValue; k++) if (!FIELD_VALUE[line[k]]) throw protocolError('BAD_HEADER_VALUE');
    this.trailers.push([name, Buffer.from(line.slice(i, endValue)).toString('latin1')]);
  }
}
