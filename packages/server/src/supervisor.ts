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

/**
 * Runs the server described by `config` (already resolved from `argv` in `cwd`) until
 * it is stopped; resolves with the process exit code.
 */
export function supervise(argv: string[], cwd: string, initial: ResolvedConfig): Promise<number> {
  const command: WorkerCommand = { argv, cwd };
  const workers = new Map<Worker, WorkerState>();
  let config = initial;
  let port = -1;
  let state: 'starting' | 'running' | 'reloading' | 'stopping' = 'starting';
  const deaths: number[] = [];
  // Workers share a listening socket by the address they ask for: with `port: 0` they all ask for
  // port 0 and get the one the supervisor opened. When the last worker is gone that socket closes,
  // so from then on workers ask for the port it had, and a restart keeps the address.
  let portChosen = false;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));

  process.title = 'sluice: supervisor';
  cluster.schedulingPolicy = initial.workers === 1 ? cluster.SCHED_NONE : cluster.SCHED_RR;
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker-main.js', import.meta.url)), args: [] });

  const note = (message: string) => {
    if (!config.quiet) process.stderr.write(`sluice: ${message}\n`);
  };

  const fork = (): Worker => {
    const chosen: WorkerCommand = portChosen ? { ...command, chosenPort: port } : command;
    const worker = cluster.fork({ [WORKER_ENV]: JSON.stringify(chosen) });
    workers.set(worker, { ready: false, retiring: false });
    worker.on('message', (message) => {
      if (isWorkerMessage(message) && message.type === 'sluice:ready') workers.get(worker)!.ready = true;
    });
    return worker;
  };

  /** Replaces a worker that died after it was ready; a replacement that cannot start is retried the same way. */
  const replace = (worker: Worker, why: string) => {
    deaths.push(Date.now());
    while (deaths.length > 0 && deaths[0] < Date.now() - restartDelayMs.windowMs) deaths.shift();
    const delayMs = Math.min(restartDelayMs.max, restartDelayMs.first * 2 ** (deaths.length - 1));
    process.stderr.write(`sluice: worker ${worker.process.pid} ${why}; starting a new one in ${delayMs} ms\n`);
    setTimeout(() => {
      if (state === 'stopping') return;
      const replacement = fork();
      let failure = '';
      replacement.on('message', (message) => {
        if (isWorkerMessage(message) && message.type === 'sluice:fatal') failure = message.message;
      });
      watch(replacement, () => (failure ? `could not start: ${failure}` : 'exited before it was ready'));
    }, delayMs);
  };

  /**
   * On exit: the last worker of a stop finishes it; a worker that was serving is replaced, and so
   * is a replacement that failed to start (`replacementFailure` describes why). A worker of a
   * generation that fails to start is the generation's business (it marks it retiring first).
   */
  const watch = (worker: Worker, replacementFailure?: () => string) => {
    worker.on('exit', (code, signal) => {
      const info = workers.get(worker);
      workers.delete(worker);
      if (workers.size === 0 && port > 0) portChosen = true;
      if (state === 'stopping') {
        if (workers.size === 0) finish(0);
        return;
      }
      if (!info || info.retiring) return;
      if (info.ready) replace(worker, `exited (${signal ?? `code ${code}`})`);
      else if (replacementFailure) replace(worker, replacementFailure());
    });
  };

  /** Forks `count` workers; resolves with the port once all are ready, rejects on the first failure. */
  const startGeneration = (count: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const generation = Array.from({ length: count }, fork);
      let readyCount = 0;
      let settled = false;
      const fail = (failure: StartupFailure) => {
        if (settled) return;
        settled = true;
        for (const worker of generation) {
          const info = workers.get(worker);
          if (info) info.retiring = true;
          worker.process.kill('SIGKILL');
        }
        reject(failure);
      };
      for (const worker of generation) {
        // Registered before `watch`, so a failing generation is marked retiring before its exits are judged.
        worker.on('exit', (code, signal) => {
          if (!settled) fail(new StartupFailure(`a worker exited before it was ready (${signal ?? `code ${code}`})`, 1));
        });
        watch(worker);
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

  /**
   * Retires workers: the message starts their graceful close; `disconnect()` takes them out of
   * the round-robin at once, so the supervisor never hands a new connection to a worker that
   * is about to exit (one handed over just before is ahead of the message, and is served).
   */
  const shutdown = (graceMs: number, targets: Iterable<Worker>) => {
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
  };

  const stop = () => {
    if (state === 'stopping') {
      // A second signal: no more waiting.
      for (const worker of workers.keys()) worker.process.kill('SIGKILL');
      finish(1);
      return;
    }
    state = 'stopping';
    if (workers.size === 0) finish(0);
    else shutdown(config.shutdownGraceMs, [...workers.keys()]);
  };

  const reload = async () => {
    if (state !== 'running') {
      note(`reload ignored: the server is ${state}`);
      return;
    }
    state = 'reloading';
    let next: ResolvedConfig;
    try {
      next = await resolveConfig(parseCommandLine(argv), cwd);
    } catch (error) {
      process.stderr.write(`sluice: reload failed, keeping the running configuration: ${describe(error)}\n`);
      if (state === 'reloading') state = 'running';
      return;
    }
    const previous = [...workers.entries()].filter(([, info]) => !info.retiring).map(([worker]) => worker);
    try {
      const nextPort = await startGeneration(next.workers);
      if (state !== 'reloading') return;
      for (const worker of previous) {
        const info = workers.get(worker);
        if (info) info.retiring = true;
      }
      shutdown(config.shutdownGraceMs, previous);
      const changed = listeningUrl(next, nextPort) !== listeningUrl(config, port);
      config = next;
      port = nextPort;
      state = 'running';
      if (changed && !config.quiet) process.stdout.write(`listening on ${listeningUrl(config, port)}\n`);
      note(`configuration reloaded (${config.workers} worker${config.workers === 1 ? '' : 's'})`);
    } catch (error) {
      if (state !== 'reloading') return;
      state = 'running';
      process.stderr.write(`sluice: reload failed, keeping the running configuration: ${describe(error)}\n`);
    }
  };

  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => void reload());

  startGeneration(config.workers).then(
    (readyPort) => {
      if (state === 'stopping') return;
      port = readyPort;
      state = 'running';
      if (!config.quiet) process.stdout.write(`listening on ${listeningUrl(config, port)}\n`);
    },
    (error: unknown) => {
      if (state === 'stopping') return;
      state = 'stopping';
      process.stderr.write(`sluice: ${describe(error)}\n`);
      finish(error instanceof StartupFailure ? error.exitCode : 1);
    },
  );
  return done;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
