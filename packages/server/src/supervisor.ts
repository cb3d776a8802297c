/**
 * The supervisor (cluster primary): forks the workers, prints the one `listening on`
 * line once all are ready, replaces a worker that dies, reloads on SIGHUP (new
 * workers first, old ones retired gracefully, so no connection is dropped) and stops
 * everything gracefully on SIGTERM/SIGINT. Must never serve requests itself.
 */

import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from './cli-args.js';
import { resolveConfig } from './config.js';
import type { ResolvedConfig } from './config-types.js';
import { WORKER_ENV, isWorkerMessage, type SupervisorMessage, type WorkerCommand } from './worker-messages.js';

/** Extra time, beyond the grace period, before a worker that will not stop is killed. */
const killAfterGraceMs = 5000;
/** Restart delays after a worker dies unexpectedly: doubled per recent death, capped. */
const restartDelayMs = { first: 250, max: 8000, windowMs: 30_000 };

interface WorkerState {
  ready: boolean;
  retiring: boolean;
}

class StartupFailure extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/** `http://127.0.0.1:8080`, `https://[::1]:8443`. */
export function listeningUrl(config: ResolvedConfig, port: number): string {
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `${config.tls ? 'https' : 'http'}://${host}:${port}`;
}

type SupervisorState = 'starting' | 'running' | 'reloading' | 'stopping';

/**
 * The cluster primary of one `sluice` run: owns the worker processes and the signals.
 * `run()` starts it; SIGTERM/SIGINT call `stop()`, SIGHUP calls `reload()`.
 *
 * @example
 * ```ts
 * const config = await resolveConfig(parseCommandLine(argv), cwd);
 * process.exitCode = await new Supervisor(argv, cwd, config).run();
 * ```
 */
export class Supervisor {
  readonly #argv: string[];
  readonly #cwd: string;
  readonly #command: WorkerCommand;
  readonly #workers = new Map<Worker, WorkerState>();
  #config: ResolvedConfig;
  #port = -1;
  #state: SupervisorState = 'starting';
  /** When workers died unexpectedly lately (for the restart backoff). */
  readonly #deaths: number[] = [];
  // Workers share a listening socket by the address they ask for: with `port: 0` they all ask for
  // port 0 and get the one the supervisor opened. When the last worker is gone that socket closes,
  // so from then on workers ask for the port it had, and a restart keeps the address.
  #portChosen = false;
  #running = false;
  #finish: (code: number) => void = () => {};
  readonly #done = new Promise<number>((resolve) => (this.#finish = resolve));

  /** `config` is already resolved from `argv` in `cwd`; workers resolve it again from the same two. */
  constructor(argv: string[], cwd: string, config: ResolvedConfig) {
    this.#argv = argv;
    this.#cwd = cwd;
    this.#command = { argv, cwd };
    this.#config = config;
  }

  /**
   * Takes over this process as the cluster primary (signal handlers, the worker program) and
   * starts the workers; resolves with the process exit code once everything has stopped.
   */
  run(): Promise<number> {
    if (this.#running) return this.#done;
    this.#running = true;
    process.title = 'sluice: supervisor';
    cluster.schedulingPolicy = this.#config.workers === 1 ? cluster.SCHED_NONE : cluster.SCHED_RR;
    cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker-main.js', import.meta.url)), args: [] });
    process.on('SIGTERM', () => this.stop());
    process.on('SIGINT', () => this.stop());
    process.on('SIGHUP', () => void this.reload());
    this.#startGeneration(this.#config.workers).then(
      (readyPort) => {
        if (this.#state === 'stopping') return;
        this.#port = readyPort;
        this.#state = 'running';
        if (!this.#config.quiet) process.stdout.write(`listening on ${listeningUrl(this.#config, this.#port)}\n`);
        // What is not served, and roots that expose an app's source: said once the server is up.
        for (const notice of this.#config.notices) this.#note(notice);
      },
      (error: unknown) => {
        if (this.#state === 'stopping') return;
        this.#state = 'stopping';
        process.stderr.write(`sluice: ${describe(error)}\n`);
        this.#finish(error instanceof StartupFailure ? error.exitCode : 1);
      },
    );
    return this.#done;
  }

  /** Stops gracefully (requests in flight get `shutdownGraceMs`); a second call kills the workers at once. */
  stop(): void {
    if (this.#state === 'stopping') {
      for (const worker of this.#workers.keys()) worker.process.kill('SIGKILL');
      this.#finish(1);
      return;
    }
    this.#state = 'stopping';
    if (this.#workers.size === 0) this.#finish(0);
    else this.#shutdown(this.#config.shutdownGraceMs, [...this.#workers.keys()]);
  }

  /**
   * Reads the configuration again and replaces the workers: the new generation first, then the
   * old one retires gracefully. A configuration or generation that fails keeps the running one.
   */
  async reload(): Promise<void> {
    if (this.#state !== 'running') {
      this.#note(`reload ignored: the server is ${this.#state}`);
      return;
    }
    this.#state = 'reloading';
    let next: ResolvedConfig;
    try {
      next = await resolveConfig(parseCommandLine(this.#argv), this.#cwd);
    } catch (error) {
      process.stderr.write(`sluice: reload failed, keeping the running configuration: ${describe(error)}\n`);
      if (this.#state === 'reloading') this.#state = 'running';
      return;
    }
    const previous = [...this.#workers.entries()].filter(([, info]) => !info.retiring).map(([worker]) => worker);
    try {
      const nextPort = await this.#startGeneration(next.workers);
      if (this.#state !== 'reloading') return;
      for (const worker of previous) {
        const info = this.#workers.get(worker);
        if (info) info.retiring = true;
      }
      this.#shutdown(this.#config.shutdownGraceMs, previous);
      const changed = listeningUrl(next, nextPort) !== listeningUrl(this.#config, this.#port);
      this.#config = next;
      this.#port = nextPort;
      this.#state = 'running';
      if (changed && !next.quiet) process.stdout.write(`listening on ${listeningUrl(next, nextPort)}\n`);
      for (const notice of next.notices) this.#note(notice);
      this.#note(`configuration reloaded (${next.workers} worker${next.workers === 1 ? '' : 's'})`);
    } catch (error) {
      if (this.#state !== 'reloading') return;
      this.#state = 'running';
      process.stderr.write(`sluice: reload failed, keeping the running configuration: ${describe(error)}\n`);
    }
  }

  #note(message: string): void {
    if (!this.#config.quiet) process.stderr.write(`sluice: ${message}\n`);
  }

  #fork(): Worker {
    const chosen: WorkerCommand = this.#portChosen ? { ...this.#command, chosenPort: this.#port } : this.#command;
    const worker = cluster.fork({ [WORKER_ENV]: JSON.stringify(chosen) });
    this.#workers.set(worker, { ready: false, retiring: false });
    worker.on('message', (message) => {
      if (isWorkerMessage(message) && message.type === 'sluice:ready') this.#workers.get(worker)!.ready = true;
    });
    return worker;
  }

  /** Doubles per unexpected death within the window, capped. */
  #restartDelayMs(): number {
    const now = Date.now();
    this.#deaths.push(now);
    while (this.#deaths.length > 0 && this.#deaths[0] < now - restartDelayMs.windowMs) this.#deaths.shift();
    return Math.min(restartDelayMs.max, restartDelayMs.first * 2 ** (this.#deaths.length - 1));
  }

  /** Replaces a worker that died after it was ready; a replacement that cannot start is retried the same way. */
  #replace(worker: Worker, why: string): void {
    const delayMs = this.#restartDelayMs();
    process.stderr.write(`sluice: worker ${worker.process.pid} ${why}; starting a new one in ${delayMs} ms\n`);
    setTimeout(() => {
      if (this.#state === 'stopping') return;
      const replacement = this.#fork();
      let failure = '';
      replacement.on('message', (message) => {
        if (isWorkerMessage(message) && message.type === 'sluice:fatal') failure = message.message;
      });
      this.#watch(replacement, () => (failure ? `could not start: ${failure}` : 'exited before it was ready'));
    }, delayMs);
  }

  /**
   * On exit: the last worker of a stop finishes it; a worker that was serving is replaced, and so
   * is a replacement that failed to start (`replacementFailure` describes why). A worker of a
   * generation that fails to start is the generation's business (it marks it retiring first).
   */
  #watch(worker: Worker, replacementFailure?: () => string): void {
    worker.on('exit', (code, signal) => {
      const info = this.#workers.get(worker);
      this.#workers.delete(worker);
      if (this.#workers.size === 0 && this.#port > 0) this.#portChosen = true;
      if (this.#state === 'stopping') {
        if (this.#workers.size === 0) this.#finish(0);
        return;
      }
      if (!info || info.retiring) return;
      if (info.ready) this.#replace(worker, `exited (${signal ?? `code ${code}`})`);
      else if (replacementFailure) this.#replace(worker, replacementFailure());
    });
  }

  /** Forks `count` workers; resolves with the port once all are ready, rejects on the first failure. */
  #startGeneration(count: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const generation = Array.from({ length: count }, () => this.#fork());
      let readyCount = 0;
      let settled = false;
      const fail = (failure: StartupFailure) => {
        if (settled) return;
        settled = true;
        for (const worker of generation) {
          const info = this.#workers.get(worker);
          if (info) info.retiring = true;
          worker.process.kill('SIGKILL');
        }
        reject(failure);
      };
      for (const worker of generation) {
        // Registered before `#watch`, so a failing generation is marked retiring before its exits are judged.
        worker.on('exit', (code, signal) => {
          if (!settled) fail(new StartupFailure(`a worker exited before it was ready (${signal ?? `code ${code}`})`, 1));
        });
        this.#watch(worker);
        worker.on('message', (message) => {
          if (!isWorkerMessage(message) || settled) return;
          if (message.type === 'sluice:fatal') {
            fail(new StartupFailure(message.message, message.config ? 2 : 1));
          } else if (message.type === 'sluice:ready' && ++readyCount === count) {
            settled = true;
            resolve(message.port);
          }
        });
      }
    });
  }

  /**
   * Retires workers: the message starts their graceful close; `disconnect()` takes them out of
   * the round-robin at once, so the supervisor never hands a new connection to a worker that
   * is about to exit (one handed over just before is ahead of the message, and is served).
   */
  #shutdown(graceMs: number, targets: Iterable<Worker>): void {
    for (const worker of targets) {
      const message: SupervisorMessage = { type: 'sluice:shutdown', graceMs };
      if (worker.isConnected()) {
        worker.send(message);
        worker.disconnect();
      } else {
        worker.process.kill('SIGTERM');
      }
      setTimeout(() => worker.process.kill('SIGKILL'), graceMs + killAfterGraceMs).unref();
    }
  }
}

/**
 * Runs the server described by `config` (already resolved from `argv` in `cwd`) until
 * it is stopped; resolves with the process exit code. Shorthand for `new Supervisor(...).run()`.
 */
export function supervise(argv: string[], cwd: string, config: ResolvedConfig): Promise<number> {
  return new Supervisor(argv, cwd, config).run();
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
