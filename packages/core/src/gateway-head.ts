/**
 * Applies the response head a gateway got from its application (a CGI program, a WSGI app)
 * to `ctx`: status, reason, the fields it may forward (owned-headers.ts decides), `Connection:
 * close` honoured, hop-by-hop fields dropped with one warning per name. Used by @sluice/cgi and
 * @sluice/wsgi-bridge alike. Must never send anything or set the body: the gateway does.
 */

import type { Logger } from './logger.js';
import type { Context } from './context.js';
import type { ForwardedFields } from './owned-headers.js';

/**
 * A response head as a gateway's application gave it, parsed from the gateway's own syntax and
 * split by {@link forwardedFields} (which the gateway calls, so it can also report what it dropped).
 */
export interface GatewayHead extends ForwardedFields {
  /** The final status (200-599; anything else is refused). */
  readonly status: number;
  /** The application's reason phrase, if it gave one; else the standard one is sent. */
  readonly reason?: string | undefined;
}

/** Who applies the head: names the gateway in messages, logs, and builds its errors. */
export interface GatewayHeadOptions {
  /** The gateway's name in messages: `'CGI'`, `'WSGI'`. */
  readonly gateway: string;
  /** Where the one warning per dropped hop-by-hop name goes. */
  readonly logger: Logger;
  /** Builds the gateway's own error for a head that cannot be sent (a bad Content-Length, a field core refuses). */
  readonly refuse: (message: string, cause?: unknown) => Error;
}

/** What the head said that the gateway's body forwarding must act on. */
export interface GatewayHeadFacts {
  /** The declared Content-Length, or -1 when none was sent. */
  readonly declaredLength: number;
  /** Whether the application sent a Content-Type (when not, none must be invented). */
  readonly hasType: boolean;
}

/** Names already warned about, per logger and gateway: once each, not once per response. */
const warned = new WeakMap<Logger, Set<string>>();

function warnDropped(options: GatewayHeadOptions, name: string): void {
  let names = warned.get(options.logger);
  if (names === undefined) warned.set(options.logger, (names = new Set()));
  const key = `${options.gateway}\0${name}`;
  if (names.has(key)) return;
  names.add(key);
  options.logger.warn(`${options.gateway.toLowerCase()}: the application set the hop-by-hop header "${name}"; dropped (the server manages the connection). Logged once.`);
}

/**
 * Sets `ctx`'s status, reason phrase and headers from a gateway application's head. The
 * hop-by-hop fields the split dropped get a warning, once per name, gateway and logger;
 * `Connection: close` makes the engine close after this response; `Content-Length` is checked
 * and returned, not set (the gateway sets it with the body). The first field of a name replaces
 * what earlier middleware set under it; repeats are added, in order. Throws `options.refuse(...)`
 * for a Content-Length that is not a decimal safe integer and for anything core's setters refuse
 * (CR/LF, a bad name, a status outside 200-599).
 * @example
 * const head = { status: 200, ...forwardedFields([['Content-Type', 'text/plain'], ['Connection', 'close']]) };
 * const facts = applyGatewayHead(ctx, head,
 *   { gateway: 'CGI', logger: ctx.app.logger, refuse: (message) => new SluiceError(502, 'X_BAD_HEAD', message) });
 * ctx.body = programOutput;
 * if (!facts.hasType) ctx.remove('Content-Type');
 */
export function applyGatewayHead(ctx: Context, head: GatewayHead, options: GatewayHeadOptions): GatewayHeadFacts {
  const { headers, contentLength, close, dropped } = head;
  let declaredLength = -1;
  if (contentLength !== undefined) {
    declaredLength = Number(contentLength);
    if (!/^\d+$/.test(contentLength) || !Number.isSafeInteger(declaredLength)) {
      throw options.refuse(`invalid Content-Length ${JSON.stringify(contentLength)}`);
    }
  }
  let hasType = false;
  try {
    ctx.status = head.status;
    if (head.reason !== undefined) ctx.message = head.reason;
    const seen = new Set<string>();
    for (const [name, value] of headers) {
      const lower = name.toLowerCase();
      if (lower === 'content-type') hasType = true;
      if (seen.has(lower)) ctx.append(name, value);
      else ctx.set(name, value);
      seen.add(lower);
    }
    if (close) ctx.set('Connection', 'close');
  } catch (error) {
    throw options.refuse(`invalid header from the ${options.gateway} application: ${(error as Error).message}`, error);
  }
  for (const name of dropped) warnDropped(options, name);
  return { declaredLength, hasType };
}
