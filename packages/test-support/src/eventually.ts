/**
 * Polling for a condition another process or connection makes true. Must never be used for
 * timing assertions: the timeout is a safety net, not a measurement.
 */

/**
 * Polls `check` every 20 ms until it gives a value other than false, null or undefined, and
 * resolves with that value; fails after `timeoutMs` naming `what`.
 * @example await eventually(() => logs.length > 0, 5000, 'a log line');
 */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 20_000, what = 'condition'): Promise<Exclude<T, false | null | undefined>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false && value !== null && value !== undefined) return value as Exclude<T, false | null | undefined>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
