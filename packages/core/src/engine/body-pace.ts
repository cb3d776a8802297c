/**
 * The pace of a request body: a minimum average data rate (after a grace period) and an idle
 * timeout between bytes, measured only while the engine is waiting for the client, never while
 * the app is not reading. Pure arithmetic on times passed in: must never read the clock, touch
 * sockets or decide what happens to a slow client (the connection does).
 */

/** The limits a body's pace is held to (see EngineOptions). */
export interface BodyPaceLimits {
  minBodyBytesPerSecond: number;
  bodyRateGraceMs: number;
  bodyIdleTimeoutMs: number;
}

/** Why a body was found too slow: the names of the matching protocol errors. */
export type BodyPaceFailure = 'BODY_TOO_SLOW' | 'BODY_IDLE_TIMEOUT';

/**
 * Tracks one request body's pace. `start`/`stop` bracket the spans in which the engine waits for
 * client bytes; `received` counts them; `deadline` says when the client falls short if nothing
 * more arrives, `check` whether it has. Kestrel's MinRequestBodyDataRate and nginx's
 * client_body_timeout, in one object.
 */
export class BodyPace {
  /** Start of the current waiting span (ms since epoch), 0 when not waiting. */
  #since = 0;
  /** Time waited in earlier spans. */
  #waited = 0;
  #bytes = 0;
  #lastByte = 0;
  readonly #limits: BodyPaceLimits;

  constructor(limits: BodyPaceLimits) {
    this.#limits = limits;
  }

  /** Whether the engine is waiting for client bytes now. */
  get waiting(): boolean {
    return this.#since !== 0;
  }

  /** Body bytes counted so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Forgets everything: a new body. */
  reset(): void {
    this.#since = 0;
    this.#waited = 0;
    this.#bytes = 0;
    this.#lastByte = 0;
  }

  /** The engine starts waiting for client bytes (no-op if it already is). */
  start(now: number): void {
    if (this.#since !== 0) return;
    this.#since = now;
    // Time the app spent not reading is not the client's idleness.
    this.#lastByte = now;
  }

  /** The engine stops waiting: the app is not reading, or the body is over. */
  stop(now: number): void {
    if (this.#since === 0) return;
    this.#waited += now - this.#since;
    this.#since = 0;
  }

  /** `n` body bytes arrived at `now`. */
  received(n: number, now: number): void {
    this.#bytes += n;
    this.#lastByte = now;
  }

  /**
   * When the body falls short of its limits if no more bytes arrive (ms since epoch), or 0
   * when it cannot (not waiting, or both limits off). Bytes only push it later.
   */
  deadline(): number {
    if (this.#since === 0) return 0;
    const { minBodyBytesPerSecond: rate, bodyRateGraceMs: grace, bodyIdleTimeoutMs: idle } = this.#limits;
    let at = 0;
    if (idle > 0) at = this.#lastByte + idle;
    if (rate > 0) {
      // The average since the first wait must stay at `rate` once `grace` has been waited:
      // bytes >= rate * waited, i.e. waited <= bytes / rate.
      const allowed = Math.max(grace, (this.#bytes * 1000) / rate);
      const rateAt = this.#since - this.#waited + allowed;
      at = at === 0 ? rateAt : Math.min(at, rateAt);
    }
    return at === 0 ? 0 : Math.ceil(at);
  }

  /** The limit the body has fallen short of at `now`, or null while it keeps pace. */
  check(now: number): BodyPaceFailure | null {
    if (this.#since === 0) return null;
    const { minBodyBytesPerSecond: rate, bodyRateGraceMs: grace, bodyIdleTimeoutMs: idle } = this.#limits;
    if (idle > 0 && now - this.#lastByte >= idle) return 'BODY_IDLE_TIMEOUT';
    const waited = this.#waited + (now - this.#since);
    // The waiting time the bytes pay for is used up (the same bound deadline() uses).
    if (rate > 0 && waited >= Math.max(grace, (this.#bytes * 1000) / rate)) return 'BODY_TOO_SLOW';
    return null;
  }
}
