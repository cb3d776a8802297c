/**
 * One ASGI `websocket` connection's trip through a worker: the handshake request sent as a
 * flagged REQUEST, the application's `websocket.accept` completing the handshake (only then is
 * the connection taken over and handed to `ws`), messages both ways with a bounded number in
 * flight each way, and the closes (`websocket.close` before accept is a 403; the client going
 * away is `websocket.disconnect` with its code). Must never choose a worker or spawn processes
 * (the pool does), nor parse WebSocket frames itself (`ws` does).
 */

import type { IncomingMessage } from 'node:http';
import type { Context, Logger } from '@sluice/core';
import { encodeFrame, encodeU32Frame, FromWorker, logFrame, ToWorker, type CallHost, type PoolCall } from '@sluice/python-workers';
import type { WebSocket } from 'ws';
import { AsgiError, pythonError } from './errors.js';
import { encodeScope, FLAG_WEBSOCKET } from './scope.js';
import type { WebSocketUpgrader } from './websocket-upgrader.js';

/** Client messages handed to the worker and not yet received by the application; past it the socket is paused. */
export const WS_WINDOW_MESSAGES = 16;

type State = 'connecting' | 'open' | 'closed';

export class AsgiWebSocketCall implements PoolCall {
  readonly ctx: Context;
  readonly rootPath: string;
  readonly rest: string;
  readonly logger: Logger;
  readonly promise: Promise<void>;
  id = 0;
  host: CallHost | null = null;
  started = false;
  cancelling = false;
  /** The worker sent its terminal frame (or the call was failed): nothing more comes. */
  finished = false;
  #upgrader: WebSocketUpgrader;
  #last: number;
  #state: State = 'connecting';
  #answered = false;
  #resolve!: () => void;
  #reject!: (error: Error) => void;
  #ws: WebSocket | null = null;
  #inFlight = 0;
  #paused = false;
  #disconnectSent = false;

  constructor(ctx: Context, rootPath: string, rest: string, logger: Logger, upgrader: WebSocketUpgrader) {
    this.ctx = ctx;
    this.rootPath = rootPath;
    this.rest = rest;
    this.logger = logger;
    this.#upgrader = upgrader;
    this.#last = Date.now();
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // The client left during the handshake: the application hears `websocket.disconnect`.
    ctx.onAbort(() => {
      if (this.#state === 'connecting') this.#clientClosed(1006, '');
    });
  }

  /**
   * When something last happened (the pool's timeout counts from here). An open connection
   * may stay quiet as long as its peers like: the timeout covers only the wait for the
   * application's accept and, after the client left, for the application to return.
   */
  get lastActivity(): number {
    return this.#state === 'open' ? Number.POSITIVE_INFINITY : this.#last;
  }

  set lastActivity(value: number) {
    this.#last = value;
  }

  requestFrame(): Buffer {
    return encodeScope(this.ctx, this.id, this.rootPath, this.rest, FLAG_WEBSOCKET);
  }

  onFrame(type: number, payload: Buffer): boolean {
    this.#last = Date.now();
    this.started = true;
    switch (type) {
      case FromWorker.WsAccept:
        this.#accept(payload);
        return false;
      case FromWorker.WsText:
      case FromWorker.WsBytes:
        this.#send(payload, type === FromWorker.WsBytes);
        return false;
      case FromWorker.WsCredit:
        this.#credit(payload.readUInt32BE(0));
        return false;
      case FromWorker.WsClose:
        this.finished = true;
        this.#appClosed(payload.readUInt16BE(0), payload.toString('utf8', 2));
        return true;
      case FromWorker.End:
        // The application returned after the client left.
        this.finished = true;
        this.#appClosed(1000, '');
        return true;
      case FromWorker.Error:
      case FromWorker.Failed:
        this.fail(pythonError('APP_ERROR', payload.toString('utf8')));
        return true;
      case FromWorker.Log:
        logFrame(this.logger, 'asgi', this.ctx, payload);
        return false;
      default:
        this.logger.error(`asgi: unexpected frame type ${type} from the worker on a websocket`);
        return false;
    }
  }

  /** Before the accept: `error` is the HTTP answer. After it: the connection closes with 1011 and the error is logged. */
  fail(error: AsgiError): void {
    this.finished = true;
    if (this.#state === 'connecting') {
      this.#state = 'closed';
      this.#settle(error);
      return;
    }
    if (this.#state === 'open') {
      this.logger.error(`asgi: websocket ${this.ctx.path} failed: ${error.stack ?? error.message}`);
      this.#ws?.close(1011);
    }
  }

  detach(): void {
    this.host = null;
    this.id = 0;
    this.cancelling = false;
  }

  #settle(error?: Error): void {
    if (this.#answered) return;
    this.#answered = true;
    if (error === undefined) this.#resolve();
    else this.#reject(error);
  }

  #toWorker(frame: Buffer): void {
    if (!this.finished && this.host !== null) this.host.send(frame);
  }

  #accept(payload: Buffer): void {
    if (this.#state !== 'connecting') return;
    const fields = payload.toString('latin1').split('\0');
    const subprotocol = fields[0];
    const headers: string[] = [];
    for (let i = 1; i + 1 < fields.length; i += 2) headers.push(`${fields[i]}: ${fields[i + 1]}`);
    let taken;
    try {
      taken = this.ctx.takeover();
    } catch (error) {
      this.#clientClosed(1006, '');
      this.#settle(error as Error);
      return;
    }
    const { socket, head } = taken;
    this.#state = 'open';
    // ws drops a socket that is no longer usable without calling back: the application must still hear of it.
    socket.once('close', () => {
      if (this.#ws === null) this.#clientClosed(1006, '');
    });
    this.#upgrader.upgrade(this.ctx.req as unknown as IncomingMessage, socket, head, subprotocol, headers, (ws) => this.#opened(ws));
    this.#settle();
  }

  #opened(ws: WebSocket): void {
    this.#ws = ws;
    if (this.#state !== 'open') {
      ws.terminate();
      return;
    }
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.#toWorker(encodeFrame(isBinary ? ToWorker.WsBytes : ToWorker.WsText, this.id, data));
      if (++this.#inFlight >= WS_WINDOW_MESSAGES && !this.#paused) {
        this.#paused = true;
        ws.pause();
      }
    });
    // A protocol error (a bad frame, a message over maxPayload) closes the connection with its
    // code; ws then reports the close as 1006 (the client's answer is not read): tell the application the real one.
    let errorCode = 0;
    ws.on('error', (error: Error & { code?: string }) => {
      errorCode = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : error.code === 'WS_ERR_INVALID_UTF8' ? 1007 : 1002;
    });
    ws.once('close', (code: number, reason: Buffer) => this.#clientClosed(errorCode || code, errorCode ? '' : reason.toString('utf8')));
  }

  #send(payload: Buffer, binary: boolean): void {
    const ws = this.#ws;
    const credit = (): void => this.#toWorker(encodeU32Frame(ToWorker.Credit, this.id, 1));
    if (ws === null || ws.readyState !== ws.OPEN) {
      credit();
      return;
    }
    // Copied: the payload is a view of the channel's read buffer. The credit returns once the socket took the message.
    ws.send(Buffer.from(payload), { binary }, credit);
  }

  #credit(count: number): void {
    this.#inFlight -= count;
    if (this.#paused && this.#inFlight < WS_WINDOW_MESSAGES) {
      this.#paused = false;
      this.#ws?.resume();
    }
  }

  #appClosed(code: number, reason: string): void {
    if (this.#state === 'connecting') {
      // websocket.close before accept: the handshake is refused with 403.
      this.#state = 'closed';
      this.#settle(new AsgiError('WS_REJECTED'));
      return;
    }
    const ws = this.#ws;
    this.#state = 'closed';
    if (ws !== null && ws.readyState === ws.OPEN) ws.close(code, reason);
  }

  /** The client's side closed (or never opened): the application hears `websocket.disconnect` once. */
  #clientClosed(code: number, reason: string): void {
    if (this.#disconnectSent) return;
    this.#disconnectSent = true;
    const wasConnecting = this.#state === 'connecting';
    this.#state = 'closed';
    this.#last = Date.now();
    const reasonBytes = Buffer.from(reason, 'utf8');
    const payload = Buffer.allocUnsafe(2 + reasonBytes.length);
    payload.writeUInt16BE(code, 0);
    reasonBytes.copy(payload, 2);
    this.#toWorker(encodeFrame(ToWorker.WsClosed, this.id, payload));
    if (wasConnecting) this.#settle();
  }
}
