/**
 * Which responses carry content (RFC 9110 §6.4.1, §9.3.2): none for 1xx, 204 and 304, and none
 * for HEAD, which announces GET's length instead. The one place the engine, app.callback()'s
 * exchange and respond() ask. Must never decide framing or headers: only whether content goes out.
 */

/** Whether a response with `status` may carry content at all (not 1xx, 204, 304). */
export function statusAllowsContent(status: number): boolean {
  return status >= 200 && status !== 204 && status !== 304;
}

/** Whether the response to a `method` request with `status` carries content (not for HEAD). */
export function responseCarriesContent(method: string, status: number): boolean {
  return method !== 'HEAD' && statusAllowsContent(status);
}
