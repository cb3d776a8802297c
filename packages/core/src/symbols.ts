/**
 * Private keys shared by the framework's own files (context, request, response,
 * respond). Not exported from the package: public objects expose documented API only.
 */

/** The engine exchange behind a context. */
export const kExchange = Symbol('sluice.exchange');
/** A Response's raw header table (lowercased names). */
export const kHeaders = Symbol('sluice.headers');
/** Methods a middleware declared for the current resource (`ctx.allow()`), or undefined. */
export const kAllowed = Symbol('sluice.allowed');
/**
 * Brand of a middleware that must also see requests answered without running the chain
 * (TRACE refused, `OPTIONS *`, malformed requests): the access log. It only registers
 * listeners before `await next()`.
 */
export const kSeesEveryRequest = Symbol('sluice.seesEveryRequest');
/** An application's own Request subclass (what `app.request` is the prototype of). */
export const kRequestClass = Symbol('sluice.requestClass');
/** An application's own Response subclass (what `app.response` is the prototype of). */
export const kResponseClass = Symbol('sluice.responseClass');
/** An application's `trustedProxies` matcher (read by `ctx.ips` to know where a forwarded chain stops). */
export const kTrustedProxy = Symbol('sluice.trustedProxy');
