/**
 * Reads the helper's stdout (PROTOCOL.md, "Messages"): lines, except that `d <id> <n>` and
 * `e <id> <n>` are followed by n raw bytes of a program's stdout or stderr. Must never
 * act on a message: it only splits them.
 */

/** One message from the helper; which fields are set says which kind it is. */
export interface HelperMessage {
  ready?: boolean;
  id?: number;
  pid?: number;
  error?: string;
  message?: string;
  exit?: number;
  /** Bytes the program wrote on stderr. */
  err?: Buffer;
  /** Bytes the program wrote on stdout. */
  out?: Buffer;
  /** The program's stdout is at its end. */
  eof?: boolean;
}

/**
 * Splits the helper's stdout into messages: lines, except that "d <id> <n>" and
 * "e <id> <n>" are followed by n raw bytes of the program's stdout or stderr.
 */
export class MessageReader {
  readonly #onMessage: (message: HelperMessage) => void;
  #pending: Buffer | undefined = undefined;
  #rawId = 0;
  #rawLeft = 0;
  #rawIsStdout = false;

  constructor(onMessage: (message: HelperMessage) => void) {
    this.#onMessage = onMessage;
  }

  push(chunk: Buffer): void {
    const data = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#pending = undefined;
    let at = 0;
    while (at < data.length) {
      if (this.#rawLeft > 0) {
        const end = Math.min(data.length, at + this.#rawLeft);
        this.#rawLeft -= end - at;
        const bytes = data.subarray(at, end);
        this.#onMessage(this.#rawIsStdout ? { id: this.#rawId, out: bytes } : { id: this.#rawId, err: bytes });
        at = end;
        continue;
      }
      const newline = data.indexOf(10, at);
      if (newline === -1) break;
      const line = data.toString('latin1', at, newline);
      at = newline + 1;
      this.#line(line);
    }
    if (at < data.length) this.#pending = data.subarray(at);
  }

  #line(line: string): void {
    if (line === 'ready') {
      this.#onMessage({ ready: true });
      return;
    }
    // "<kind> <id>[ <value>]", the kind one letter.
    const second = line.indexOf(' ', 2);
    const id = Number(line.slice(2, second === -1 ? undefined : second));
    const value = second === -1 ? '' : line.slice(second + 1);
    switch (line[0]) {
      case 'p':
        this.#onMessage({ id, pid: Number(value) });
        break;
      case 'x':
        this.#onMessage({ id, exit: Number(value) });
        break;
      case 'd':
      case 'e':
        this.#rawId = id;
        this.#rawLeft = Number(value);
        this.#rawIsStdout = line[0] === 'd';
        break;
      case 'z':
        this.#onMessage({ id, eof: true });
        break;
      case 'f': {
        const space = value.indexOf(' ');
        this.#onMessage({ id, error: space === -1 ? value : value.slice(0, space), message: space === -1 ? value : value.slice(space + 1) });
        break;
      }
    }
  }
}
