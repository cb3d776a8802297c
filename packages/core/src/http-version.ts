/**
 * The HTTP version of a request as the access log, `ctx.req.httpVersion` and a TRACE echo show it:
 * "1.0", "1.1" or "2.0". Must never decide behaviour (keep-alive, framing): only the label.
 */

import type { RequestView } from './http-exchange.js';

/** "1.0", "1.1" or "2.0" for the request's protocol. */
export function httpVersionOf(request: Pick<RequestView, 'versionMajor' | 'versionMinor'>): string {
  if (request.versionMajor === 2) return '2.0';
  return request.versionMinor === 0 ? '1.0' : '1.1';
}
