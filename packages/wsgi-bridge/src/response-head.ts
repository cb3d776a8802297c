/**
 * Applies a WSGI response head (`status\0name\0value...`, latin-1) to `ctx`: checks the
 * PEP 3333 status string, then hands status, reason and headers to core's applyGatewayHead
 * (hop-by-hop fields dropped with a warning, `Connection: close` honoured, CR/LF and malformed
 * names refused, Content-Length recorded so the body can be held to it). Must never send anything.
 */

import { applyGatewayHead, forwardedFields, type Context, type GatewayHead, type GatewayHeadFacts, type GatewayHeadOptions, type Logger } from '@sluice/core';
import { WsgiError } from './errors.js';

/** What the head said that the body forwarding must enforce (core's gateway head facts). */
export type HeadFacts = GatewayHeadFacts;

const refuse = (message: string, cause?: unknown): WsgiError => new WsgiError('BAD_RESPONSE', message, { expose: false, cause });

/**
 * Heads already parsed, by their exact text. An application answers most requests with a
 * handful of heads (same status, same headers), so the split, the status check and the
 * hop-by-hop sorting run once per distinct head rather than once per response. Parsing is a
 * pure function of the text, so a cached result is the result. Bounded: when full it starts
 * over (an application whose every head differs, say by a cookie, only pays the insertion).
 * Heads that fail the status check are not cached (they throw); fields core refuses are still
 * refused per response, by applyGatewayHead.
 */
const parsedHeads = new Map<string, GatewayHead>();
const PARSED_HEADS_LIMIT = 128;
/** Longer heads are parsed each time: the cache must not hold large strings. */
const CACHED_HEAD_CHARS = 1024;

/** The gateway options per logger (one object, not one per response). */
let lastOptions: GatewayHeadOptions | null = null;

/** Splits and checks `head`; throws a WsgiError (500) on an invalid status. */
function parseHead(head: string): GatewayHead {
  const parts = head.split('\0');
  const status = parts[0];
  const code = status.length >= 3 ? Number(status.slice(0, 3)) : NaN;
  // A final status only: a 1xx (`101 Switching Protocols`) would tell a client or a front
  // proxy that the connection changed protocol or that the answer is still to come.
  if (!/^\d{3}$/.test(status.slice(0, 3)) || code < 200 || code > 599 || (status.length > 3 && status.charCodeAt(3) !== 0x20)) {
    throw refuse(`invalid WSGI status ${JSON.stringify(status.slice(0, 80))} (a final status is 200-599)`);
  }
  const headers: Array<readonly [string, string]> = [];
  for (let i = 1; i + 1 < parts.length; i += 2) headers.push([parts[i], parts[i + 1]]);
  // PEP 3333's status carries the reason phrase: sent as the application gave it.
  const reason = status.length > 4 ? status.slice(4) : undefined;
  return { status: code, reason, ...forwardedFields(headers) };
}

/** Parses `head` into `ctx`; throws a WsgiError (500) on an invalid status or header. */
export function applyHead(ctx: Context, head: string, logger: Logger): HeadFacts {
  let parsed = parsedHeads.get(head);
  if (parsed === undefined) {
    parsed = parseHead(head);
    if (head.length <= CACHED_HEAD_CHARS) {
      if (parsedHeads.size >= PARSED_HEADS_LIMIT) parsedHeads.clear();
      parsedHeads.set(head, parsed);
    }
  }
  let options = lastOptions;
  if (options === null || options.logger !== logger) options = lastOptions = { gateway: 'WSGI', logger, refuse };
  return applyGatewayHead(ctx, parsed, options);
}
