/**
 * Completes accepted WebSocket handshakes with `ws` (one `WebSocketServer` in `noServer`
 * mode per `asgi()` middleware): the `101` carries the subprotocol and extra headers the
 * application's `websocket.accept` named. Must never decide whether to accept (the
 * application does) nor take connections over (the call does).
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

interface Answer {
  subprotocol: string;
  headers: string[];
}

export class WebSocketUpgrader {
  readonly #server: WebSocketServer;
  readonly #answers = new WeakMap<IncomingMessage, Answer>();

  /** `maxPayload`: the largest message a client may send (larger closes with 1009). */
  constructor(maxPayload: number) {
    this.#server = new WebSocketServer({
      noServer: true,
      maxPayload,
      clientTracking: true,
      perMessageDeflate: false,
      handleProtocols: (protocols, req) => {
        const chosen = this.#answers.get(req)?.subprotocol ?? '';
        return chosen !== '' && protocols.has(chosen) ? chosen : false;
      },
    });
    this.#server.on('headers', (headers, req) => {
      const extra = this.#answers.get(req)?.headers;
      if (extra !== undefined) headers.push(...extra);
    });
  }

  /** Starts the closing handshake of every open WebSocket (the server is shutting down: 1001). */
  closeAll(code: number, reason: string): void {
    for (const ws of this.#server.clients) ws.close(code, reason);
  }

  /** Sends the `101` and calls `opened` with the WebSocket (not at all if the socket already closed). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, subprotocol: string, headers: string[], opened: (ws: WebSocket) => void): void {
    this.#answers.set(req, { subprotocol, headers });
    this.#server.handleUpgrade(req, socket, head, opened);
  }
}
