/**
 * Applies an ASGI response head (`status\0name\0value...`, latin-1, from
 * `http.response.start`) to `ctx`: checks the status, then hands status and headers to
 * core's applyGatewayHead (hop-by-hop fields dropped with a warning, `Connection: close`
 * honoured, CR/LF and malformed names refused, Content-Length recorded so the body can be
 * held to it). Must never send anything.
 */

import { applyGatewayHead, forwardedFields, type Context, type GatewayHeadFacts, type Logger } from '@sluice/core';
import { AsgiError } from './errors.js';

/** What the head said that the body forwarding must enforce (core's gateway head facts). */
export type HeadFacts = GatewayHeadFacts;

const refuse = (message: string, cause?: unknown): AsgiError => new AsgiError('BAD_RESPONSE', message, { expose: false, cause });

/** Parses `head` into `ctx`; throws an AsgiError (500) on an invalid status or header. */
export function applyHead(ctx: Context, head: string, logger: Logger): HeadFacts {
  const parts = head.split('\0');
  const status = parts[0];
  const code = Number(status);
  // A final status only: an informational one would tell the client the answer is still to come.
  if (!/^\d{3}$/.test(status) || code < 200 || code > 599) {
    throw refuse(`invalid ASGI status ${JSON.stringify(status.slice(0, 80))} (a final status is 200-599)`);
  }
  const headers: Array<readonly [string, string]> = [];
  for (let i = 1; i + 1 < parts.length; i += 2) headers.push([parts[i], parts[i + 1]]);
  return applyGatewayHead(ctx, { status: code, ...forwardedFields(headers) }, { gateway: 'ASGI', logger, refuse });
}
