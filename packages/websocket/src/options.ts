/**
 * The options of `websocket()`, their defaults in one object, and their validation at
 * construction (the message names the bad key). Must never open sockets or keep state.
 */

import type { IncomingMessage } from 'node:http';
import type { PerMessageDeflateOptions } from 'ws';
import { badOption } from './errors.js';

/**
 * Picks the subprotocol from those the client offered (`Sec-WebSocket-Protocol`), or `false`
 * for none: `ws`'s `handleProtocols`. `request` is `ctx.req`.
 */
export type ProtocolSelector = (protocols: Set<string>, request: IncomingMessage) => string | false;

/** Options of {@link websocket}: passed to `ws` where they are `ws`'s, plus heartbeat and shutdown. */
export interface WebSocketOptions {
  /** Largest message (after reassembly of fragments) accepted, in bytes; a larger one closes the socket with 1009. Default 1 MiB. */
  maxPayload?: number;
  /** permessage-deflate (RFC 7692): `false` (default), `true`, or `ws`'s options object. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Subprotocol selection (`ws`'s `handleProtocols`). Default: the first offered, as `ws` does. */
  handleProtocols?: ProtocolSelector;
  /**
   * Ping every open socket this often, in ms; a socket that has not answered the previous ping
   * with a pong by then is terminated (a dead peer, a vanished NAT entry). 0 disables. Default 30 s.
   */
  heartbeatIntervalMs?: number;
  /** Close code sent to every open socket when the app closes (`app.close()`). Default 1001 (going away). */
  shutdownCode?: number;
  /** Close reason sent with `shutdownCode`. Default 'server shutting down'. */
  shutdownReason?: string;
  /** Skip UTF-8 validation of text messages (`ws`'s `skipUTF8Validation`): faster, for trusted peers only. Default false. */
  skipUTF8Validation?: boolean;
}

/** The options after defaults. */
export type ResolvedWebSocketOptions = Required<Omit<WebSocketOptions, 'handleProtocols'>> & Pick<WebSocketOptions, 'handleProtocols'>;

/** The defaults, in one place. */
export const websocketDefaults: Readonly<ResolvedWebSocketOptions> = Object.freeze({
  maxPayload: 1024 * 1024,
  perMessageDeflate: false,
  handleProtocols: undefined,
  heartbeatIntervalMs: 30_000,
  shutdownCode: 1001,
  shutdownReason: 'server shutting down',
  skipUTF8Validation: false,
});

// What each option must be (the message names the key).
const CHECKS: Record<keyof WebSocketOptions, [(value: unknown) => boolean, string]> = {
  maxPayload: [(v) => Number.isInteger(v) && (v as number) > 0, 'a positive integer (bytes)'],
  perMessageDeflate: [(v) => typeof v === 'boolean' || (typeof v === 'object' && v !== null), 'a boolean or ws permessage-deflate options'],
  handleProtocols: [(v) => typeof v === 'function', 'a function (protocols, req) => string | false'],
  heartbeatIntervalMs: [(v) => Number.isInteger(v) && (v as number) >= 0, 'a non-negative integer (ms)'],
  // RFC 6455 §7.4: 1000-2999 are defined by the protocol (1004-1006, 1015 never sent); 3000-4999 for apps.
  shutdownCode: [(v) => Number.isInteger(v) && (((v as number) >= 1000 && (v as number) <= 1014 && ![1004, 1005, 1006].includes(v as number)) || ((v as number) >= 3000 && (v as number) <= 4999)), 'a close code that may be sent (1000-1014 but 1004-1006, or 3000-4999)'],
  shutdownReason: [(v) => typeof v === 'string' && Buffer.byteLength(v) <= 123, 'a string of at most 123 bytes'],
  skipUTF8Validation: [(v) => typeof v === 'boolean', 'a boolean'],
};

/** Merges `options` over the defaults once; throws `SLUICE_ERR_WS_BAD_OPTION` naming a bad or unknown key. */
export function resolveOptions(options: WebSocketOptions = {}): ResolvedWebSocketOptions {
  if (typeof options !== 'object' || options === null) throw badOption('options', 'an object');
  for (const [key, value] of Object.entries(options)) {
    const check = CHECKS[key as keyof WebSocketOptions];
    if (check === undefined) throw badOption(key, 'one of ' + Object.keys(CHECKS).join(', ') + ' (unknown option)');
    if (value !== undefined && !check[0](value)) throw badOption(key, check[1]);
  }
  const resolved = { ...websocketDefaults };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) (resolved as Record<string, unknown>)[key] = value;
  return resolved;
}
