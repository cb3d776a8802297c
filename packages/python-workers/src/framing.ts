/**
 * The binary framing between Node and a Python worker (documented in the README):
 * every frame is `[u32 payload length][u8 type][u32 request id][payload]`, big-endian.
 * This file holds the frame types of every bridge, the encoder and the incremental decoder.
 * Must never interpret payloads: the bridges' call modules do.
 */

/** Size of a frame header in bytes. */
export const HEADER_BYTES = 9;
/** Largest payload accepted from a worker (a bigger one means a broken worker). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

// Plain objects rather than `const enum`s: the bridges import them across packages, which
// isolated modules (and a published .d.ts) cannot inline.

/** Frame types sent by Node to a worker (one table for every bridge: the numbers never collide). */
export const ToWorker = {
  Request: 1,
  Body: 2,
  BodyEnd: 3,
  Credit: 4,
  Abort: 5,
  FileAck: 6,
  /** ASGI websocket: a text message from the client (UTF-8). */
  WsText: 7,
  /** ASGI websocket: a binary message from the client. */
  WsBytes: 8,
  /** ASGI websocket: the client's connection closed (`u16 code`, UTF-8 reason). */
  WsClosed: 9,
} as const;

/** A frame type sent by Node to a worker. */
export type ToWorker = (typeof ToWorker)[keyof typeof ToWorker];

/** Frame types sent by a worker to Node. */
export const FromWorker = {
  Ready: 16,
  StartupFailed: 17,
  Head: 18,
  Full: 19,
  Data: 20,
  End: 21,
  Pull: 22,
  Error: 23,
  Failed: 24,
  File: 25,
  Log: 26,
  /** ASGI websocket: the application accepted (`subprotocol\0name\0value...` latin-1). */
  WsAccept: 27,
  /** ASGI websocket: a text message for the client (UTF-8). */
  WsText: 28,
  /** ASGI websocket: a binary message for the client. */
  WsBytes: 29,
  /** ASGI websocket: the application closed (`u16 code`, UTF-8 reason); terminal. */
  WsClose: 30,
  /** ASGI websocket: `u32` client messages the application received (flow control). */
  WsCredit: 31,
} as const;

/** A frame type sent by a worker to Node. */
export type FromWorker = (typeof FromWorker)[keyof typeof FromWorker];

/** Encodes a frame whose payload is `payload` (may be empty). */
export function encodeFrame(type: ToWorker, id: number, payload?: Uint8Array): Buffer {
  const length = payload === undefined ? 0 : payload.byteLength;
  const frame = Buffer.allocUnsafe(HEADER_BYTES + length);
  frame.writeUInt32BE(length, 0);
  frame[4] = type;
  frame.writeUInt32BE(id, 5);
  if (payload !== undefined) frame.set(payload, HEADER_BYTES);
  return frame;
}

/** Encodes a frame carrying one unsigned 32-bit number (CREDIT). */
export function encodeU32Frame(type: ToWorker, id: number, value: number): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + 4);
  frame.writeUInt32BE(4, 0);
  frame[4] = type;
  frame.writeUInt32BE(id, 5);
  frame.writeUInt32BE(value, 9);
  return frame;
}

/** Receives decoded frames. `payload` is a view into the received bytes: copy it to keep it past the call. */
export type FrameHandler = (type: number, id: number, payload: Buffer) => void;

/**
 * Splits the worker's byte stream into frames. Whole frames are handed out as views
 * of the chunk they arrived in (no copy); a frame split across reads is collected as
 * a list and joined once, when complete (a large frame must not be re-copied per read).
 */
export class FrameDecoder {
  #parts: Buffer[] = [];
  #partBytes = 0;
  /** Bytes needed before the collected parts hold a whole frame (or a header). */
  #needed = 0;
  readonly #onFrame: FrameHandler;

  constructor(onFrame: FrameHandler) {
    this.#onFrame = onFrame;
  }

  /** Feeds received bytes; throws on a frame larger than {@link MAX_FRAME_BYTES}. */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.#parts.length > 0) {
      this.#parts.push(chunk);
      this.#partBytes += chunk.length;
      if (this.#partBytes < this.#needed) return;
      buf = Buffer.concat(this.#parts, this.#partBytes);
      this.#parts = [];
      this.#partBytes = 0;
    }
    let offset = 0;
    const size = buf.length;
    while (size - offset >= HEADER_BYTES) {
      const length = buf.readUInt32BE(offset);
      if (length > MAX_FRAME_BYTES) throw new RangeError(`frame of ${length} bytes from the worker`);
      const end = offset + HEADER_BYTES + length;
      if (end > size) break;
      this.#onFrame(buf[offset + 4], buf.readUInt32BE(offset + 5), buf.subarray(offset + HEADER_BYTES, end));
      offset = end;
    }
    if (offset < size) {
      const rest = buf.subarray(offset);
      this.#parts.push(rest);
      this.#partBytes = rest.length;
      this.#needed = rest.length >= HEADER_BYTES ? HEADER_BYTES + rest.readUInt32BE(0) : HEADER_BYTES;
    }
  }
}
