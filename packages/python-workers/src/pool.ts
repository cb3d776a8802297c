/**
 * The pool of Python workers: start-up and readiness, dispatch of requests to idle
 * workers, the bounded wait queue (then 503), timeouts (kill, 504), respawn with
 * backoff after crashes, recycling after `maxRequests`, reload, graceful close.
 * Must never look inside requests or responses: calls and workers do.
 */

import type { Logger, SluiceError } from '@sluice/core';
import type { PoolOptions } from './options.js';
import type { PoolCall } from './pool-call.js';
import { watchPythonFiles } from './reload.js';
import { WaitQueue } from './wait-queue.js';
import { WorkerProcess, type WorkerEvents } from './worker.js';

/** Where messages go before the pool has seen the application's logger. */
function consoleLogger(label: string): Logger {
  return {
    info: () => {},
    warn: (message, meta) => console.warn(`[sluice ${label}] ${message}`, meta ?? ''),
    error: (message, meta) => console.error(`[sluice ${label}] ${message}`, meta ?? ''),
  };
}

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;
const DEFAULT_GRACE_MS = 10_000;

type PoolState = 'starting' | 'running' | 'failed' | 'closing' | 'closed';

/**
 * What one worker is to the pool; kept here, never on the worker, which only reports facts
 * (ready, served, exited). `serving` workers hold the pool's `workers` seats and are replaced
 * when they exit; a `candidate` is starting to take over a seat (recycling, reload); a
 * `retired` worker gave its seat to its successor and finishes its requests.
 */
interface Membership<C extends PoolCall> {
  role: 'serving' | 'candidate' | 'retired';
  /** `worker.served` at which it is due for recycling (`maxRequests`); Infinity: never. */
  recycleAt: number;
  /** The candidate starting to take over this worker's seat, if any. */
  successor: WorkerProcess<C> | null;
}

/** Counts a caller may read (`bridge.stats()`). */
export interface PoolStats {
  /** Process ids of the workers serving now. */
  workers: number[];
  /** Requests running in workers. */
  active: number;
  /** Requests waiting for a worker. */
  queued: number;
  /** Workers restarted after crashes or timeouts. */
  respawns: number;
}

/**
 * A pool of Python worker processes running one application; a bridge gives it calls
 * (its own {@link PoolCall} class) and reads the answers from them.
 */
export class WorkerPool<C extends PoolCall> implements WorkerEvents<C> {
  readonly #options: PoolOptions;
  #workers: WorkerProcess<C>[] = [];
  readonly #members = new Map<WorkerProcess<C>, Membership<C>>();
  readonly #queue = new WaitQueue<C>();
  #state: PoolState = 'starting';
  #startError: SluiceError | null = null;
  readonly #ready: Promise<void>;
  #failures = 0;
  #respawns = 0;
  #appLogger: Logger | null = null;
  readonly #scanTimer: NodeJS.Timeout;
  #stopWatching: (() => void) | null = null;
  #idleWaiters: Array<() => void> = [];

  readonly #label: string;
  readonly #consoleLogger: Logger;

  constructor(options: PoolOptions) {
    this.#options = options;
    this.#label = options.protocol.toLowerCase();
    this.#consoleLogger = consoleLogger(this.#label);
    const first: WorkerProcess<C>[] = [];
    for (let i = 0; i < options.workers; i++) first.push(this.#spawn('serving'));
    this.#ready = Promise.all(first.map((w) => w.ready)).then(
      () => {
        if (this.#state === 'starting') this.#state = 'running';
        this.#pump();
      },
      (error: SluiceError) => {
        this.#startFailed(error);
        throw error;
      },
    );
    this.#ready.catch(() => {});
    const scanEveryMs = Math.max(10, Math.min(1000, Math.floor(Math.min(options.timeoutMs, options.queueTimeoutMs) / 4)));
    this.#scanTimer = setInterval(() => this.#scan(), scanEveryMs);
    this.#scanTimer.unref();
    if (options.reload) {
      this.#stopWatching = watchPythonFiles([options.cwd, ...options.pythonPath], (file) => {
        this.logger.info(`${this.#label}: ${file} changed, restarting the workers`);
        for (const worker of this.#workers) if (worker.state === 'ready' && this.#members.get(worker)?.role === 'serving') this.#replace(worker);
      });
    }
  }

  /** Where bridge events and worker output go. */
  get logger(): Logger {
    return this.#options.logger ?? this.#appLogger ?? this.#consoleLogger;
  }

  /** Resolves when every worker has imported the application; rejects with the Python error. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Current counts. */
  stats(): PoolStats {
    let active = 0;
    const pids: number[] = [];
    for (const worker of this.#workers) {
      active += worker.active;
      if (worker.state === 'ready' || worker.state === 'retiring') pids.push(worker.pid);
    }
    return { workers: pids, active, queued: this.#queue.length, respawns: this.#respawns };
  }

  /** Throws what {@link run} would throw for a pool that failed to start, is closing or closed. */
  #check(ctx: { app: { logger: Logger } }): void {
    if (this.#appLogger === null) this.#appLogger = ctx.app.logger;
    if (this.#state === 'failed') throw this.#notStarted();
    if (this.#state === 'closing' || this.#state === 'closed') throw this.#options.error('CLOSED');
  }

  /** Runs `call` on a worker (now, or queued); returns `call.promise`, which settles when its `ctx` holds the response. */
  run(call: C): Promise<void> {
    this.#check(call.ctx);
    const worker = this.#state === 'running' && this.#queue.length === 0 ? this.#target() : null;
    if (worker !== null) {
      worker.start(call);
    } else {
      if (this.#queue.length >= this.#options.maxQueue) {
        throw this.#options.error('QUEUE_FULL', undefined, { headers: { 'Retry-After': '1' } });
      }
      this.#queue.push(call, Date.now());
    }
    return call.promise;
  }

  /** The worker for the next request: an idle one (least busy first), else one with room in its pipeline. */
  #target(): WorkerProcess<C> | null {
    let best: WorkerProcess<C> | null = null;
    for (const worker of this.#workers) {
      if (!worker.idle) continue;
      if (worker.active === 0) return worker;
      if (best === null || worker.active < best.active) best = worker;
    }
    if (best !== null || this.#options.pipeline === 0) return best;
    for (const worker of this.#workers) {
      if (worker.canPipeline && (best === null || worker.active < best.active)) best = worker;
    }
    return best;
  }

  #spawn(role: Membership<C>['role']): WorkerProcess<C> {
    const worker = new WorkerProcess<C>(this.#options, this, () => this.logger);
    this.#workers.push(worker);
    this.#members.set(worker, { role, recycleAt: this.#recycleAfter(0), successor: null });
    return worker;
  }

  /** The `served` count at which a worker that has served `served` requests is next due for recycling. */
  #recycleAfter(served: number): number {
    return this.#options.maxRequests > 0 ? served + this.#options.maxRequests : Infinity;
  }

  /** Gives queued requests to idle workers. */
  #pump(): void {
    while (this.#queue.length > 0) {
      const worker = this.#target();
      if (worker === null) return;
      const call = this.#queue.shift()!;
      if (call.ctx.aborted) {
        call.fail(this.#options.error('CLOSED', 'client went away while queued'));
        continue;
      }
      worker.start(call);
    }
  }

  released(worker: WorkerProcess<C>, call: C): void {
    if (!call.ctx.aborted) this.#failures = 0;
    const member = this.#members.get(worker);
    if (member?.role === 'serving' && member.successor === null && worker.served >= member.recycleAt && worker.state === 'ready') {
      this.#replace(worker);
    }
    this.#pump();
    if (worker.idle && this.#queue.length === 0) this.#takeBack();
    if (this.#idleWaiters.length > 0 && this.#isIdle()) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  requeue(calls: C[]): void {
    this.#queue.unshift(calls, Date.now());
    if (this.#state === 'closed') {
      for (const call of calls) call.fail(this.#options.error('CLOSED'));
      this.#queue.clear();
      return;
    }
    this.#pump();
  }

  /** An idle worker and nothing queued: take back a request sent ahead to a busy worker. */
  #takeBack(): void {
    let busiest: WorkerProcess<C> | null = null;
    for (const worker of this.#workers) {
      if (worker.state === 'ready' && worker.active >= 2 && (busiest === null || worker.active > busiest.active)) busiest = worker;
    }
    busiest?.cancelOne();
  }

  exited(worker: WorkerProcess<C>, killed: boolean, reason: string): void {
    this.#workers = this.#workers.filter((w) => w !== worker);
    const member = this.#members.get(worker);
    this.#members.delete(worker);
    if (!this.#serving()) return;
    // A candidate's failure is its #replace's business (the old worker stays); a retired worker has no seat.
    if (member?.role !== 'serving') return;
    if (!killed) this.#failures++;
    this.#respawns++;
    if (member.successor !== null) {
      // The candidate already starting takes the seat; if it fails, #replace starts another.
      this.logger.error(`${this.#label}: worker ${worker.pid} ${reason}; its replacement is starting`);
      return;
    }
    this.#respawnLater(killed ? 0 : this.#backoffMs(), `worker ${worker.pid} ${reason}`);
  }

  #backoffMs(): number {
    return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, this.#failures - 1));
  }

  /** Fills an empty seat after `delayMs`; `why` starts the log line. */
  #respawnLater(delayMs: number, why: string): void {
    this.logger.error(`${this.#label}: ${why}; starting a new one${delayMs > 0 ? ` in ${delayMs} ms` : ''}`);
    setTimeout(() => this.#respawn(), delayMs).unref();
  }

  /** Whether the pool still fills its seats (not failed, closing or closed). */
  #serving(): boolean {
    return this.#state === 'running' || this.#state === 'starting';
  }

  #respawn(): void {
    if (!this.#serving()) return;
    const worker = this.#spawn('serving');
    // A failed start-up ends in `exited`, which tries again with a longer delay.
    worker.ready.then(() => this.#pump(), (error: SluiceError) => {
      if (this.#serving()) this.logger.error(error.stack ?? error.message);
    });
  }

  /**
   * Starts a candidate for `old`'s seat and retires `old` once the candidate is ready
   * (recycling, reload); if it fails, `old` keeps the seat and is due again after
   * `maxRequests` more. A newer candidate (a reload during a recycling) supersedes an older one.
   */
  #replace(old: WorkerProcess<C>): void {
    const seat = this.#members.get(old)!;
    const superseded = seat.successor;
    const fresh = this.#spawn('candidate');
    seat.successor = fresh;
    superseded?.kill('superseded by a newer replacement');
    fresh.ready.then(
      () => {
        if (seat.successor !== fresh) return;
        seat.successor = null;
        const member = this.#members.get(fresh);
        if (member === undefined) {
          this.#candidateFailed(old, seat, `${this.#label}: worker ${fresh.pid} exited right after it started`);
          return;
        }
        member.role = 'serving';
        if (this.#members.get(old) === seat) {
          seat.role = 'retired';
          old.retire();
        }
        this.#pump();
      },
      (error: SluiceError) => {
        if (seat.successor !== fresh) return;
        seat.successor = null;
        this.#candidateFailed(old, seat, error.stack ?? error.message);
      },
    );
  }

  /** `old`'s candidate failed (`what`): `old` keeps its seat, or, if it died meanwhile, the seat is filled anew. */
  #candidateFailed(old: WorkerProcess<C>, seat: Membership<C>, what: string): void {
    if (!this.#serving()) return;
    if (this.#members.get(old) === seat) {
      this.logger.error(`${what}\n${this.#label}: keeping the running worker ${old.pid}`);
      seat.recycleAt = this.#recycleAfter(old.served);
    } else {
      this.logger.error(what);
      this.#respawnLater(this.#backoffMs(), `the replacement for worker ${old.pid} failed`);
    }
  }

  #startFailed(error: SluiceError): void {
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#state = 'failed';
    this.#startError = error;
    this.logger.error(error.stack ?? error.message);
    for (const worker of this.#workers) worker.kill('start-up failed');
    for (const call of this.#queue.drain()) call.fail(this.#notStarted());
  }

  #notStarted(): SluiceError {
    return this.#options.error('NOT_STARTED', undefined, { expose: false, cause: this.#startError });
  }

  /** Timeouts: requests silent for `timeoutMs` (worker killed) and requests queued too long. */
  #scan(): void {
    const now = Date.now();
    const { timeoutMs, queueTimeoutMs } = this.#options;
    for (let oldest = this.#queue.oldestTime(); oldest !== undefined && now - oldest > queueTimeoutMs; oldest = this.#queue.oldestTime()) {
      this.#queue.shift()!.fail(this.#options.error('QUEUE_TIMEOUT', undefined, { headers: { 'Retry-After': '1' } }));
    }
    const single = this.#options.concurrency === 1;
    for (const worker of this.#workers) {
      if (worker.active === 0 || worker.state === 'dead') continue;
      // Single-threaded: only the running request can be silent; those sent ahead are waiting.
      for (const call of single ? [worker.runningCall!] : worker.calls) {
        if (now - call.lastActivity <= timeoutMs) continue;
        this.logger.error(`${this.#label}: ${call.ctx.method} ${call.ctx.url} silent for more than ${timeoutMs} ms; killing worker ${worker.pid}`);
        call.fail(this.#options.error('TIMEOUT'));
        worker.kill('timeout');
        break;
      }
    }
  }

  #isIdle(): boolean {
    return this.#queue.length === 0 && this.#workers.every((w) => w.active === 0);
  }

  /**
   * Graceful shutdown: new requests get 503, running and queued ones may finish for up
   * to `graceMs`, then the workers are stopped (EOF, then SIGKILL if they linger).
   */
  async close(graceMs = DEFAULT_GRACE_MS): Promise<void> {
    if (this.#state === 'closed') return;
    const wasFailed = this.#state === 'failed';
    this.#state = 'closing';
    clearInterval(this.#scanTimer);
    this.#stopWatching?.();
    if (!wasFailed && !this.#isIdle()) {
      const scan = setInterval(() => this.#scan(), 100);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.#idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      clearInterval(scan);
    }
    for (const call of this.#queue.drain()) call.fail(this.#options.error('CLOSED'));
    const workers = this.#workers;
    await Promise.all(workers.map((worker) => new Promise<void>((resolve) => {
      worker.onGone(resolve);
      if (worker.active > 0) worker.kill('shutdown grace period over');
      else worker.retire();
    })));
    this.#state = 'closed';
  }
}
