/**
 * Starts programs through a small helper process that uses posix_spawn: spawning
 * costs the same whatever the server's heap size, and the server's event loop never
 * stalls in fork(). The helper is `spawn-helper` (built from spawn-helper.c when a C
 * compiler was there at build time) or else `spawn-helper.py`; both speak the protocol
 * of PROTOCOL.md, beside this file. Requests go to the helper's stdin; the program's
 * stdout and stderr come back multiplexed on the helper's stdout (stdout within the
 * credit granted here, which is how backpressure reaches the program); a request body
 * goes through a Unix socket connection that becomes the program's stdin (else it reads
 * /dev/null). The helper is started on first use and again if it dies.
 * Must never leave a program running when its helper is gone.
 */

import net from 'node:net';
import { Readable } from 'node:stream';
import type { Logger } from '@sluice/core';
import { SpawnError, type ExitStatus, type RunningProgram, type SpawnSpec, type Spawner } from '../spawner.js';
import { frame, SIGNAL_NUMBERS, signalName, spawnFields } from './frames.js';
import type { HelperCommand } from './helper-command.js';
import { HelperOutput } from './helper-output.js';
import { Helper, type HelperSettings } from './helper-process.js';
import type { HelperMessage } from './message-reader.js';
import { PendingPrograms } from './pending-programs.js';

/** What the spawner remembers about one program until it is released. */
interface Pending {
  readonly id: number;
  started(pid: number): void;
  failed(error: SpawnError): void;
  exited(status: ExitStatus): void;
  /** The program's stderr as forwarded by the helper; ends when the program has exited. */
  readonly stderr: Readable;
  /** The program's stdout as forwarded by the helper. */
  readonly stdout: HelperOutput;
  pid: number;
}

/** A program the helper started, as the invocation sees it. */
class HelperProgram implements RunningProgram {
  readonly pid: number;
  readonly stdin: net.Socket | null;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exited: Promise<ExitStatus>;
  readonly #kill: (signal: 'SIGTERM' | 'SIGKILL') => void;
  readonly #release: () => void;

  constructor(pid: number, stdin: net.Socket | null, stdout: Readable, stderr: Readable, exited: Promise<ExitStatus>, kill: (signal: 'SIGTERM' | 'SIGKILL') => void, release: () => void) {
    this.pid = pid;
    this.stdin = stdin;
    this.stdout = stdout;
    this.stderr = stderr;
    this.exited = exited;
    this.#kill = kill;
    this.#release = release;
  }

  kill(signal: 'SIGTERM' | 'SIGKILL'): void {
    this.#kill(signal);
  }

  release(): void {
    this.#release();
  }
}

/** Starts programs through a spawn helper (native or Python). */
export class HelperSpawner implements Spawner {
  readonly #command: HelperCommand;
  readonly #logger: Logger;
  readonly #settings: HelperSettings;
  readonly #pending = new PendingPrograms<Pending>();
  #helper: Helper | undefined = undefined;
  #nextId = 1;
  #closed = false;

  constructor(command: HelperCommand, logger: Logger, settings: HelperSettings = { programSliceMs: 0, killProcessGroupOnExit: true }) {
    this.#command = command;
    this.#logger = logger;
    this.#settings = settings;
  }

  /** Which helper program this spawner runs. */
  get kind(): 'native' | 'python' {
    return this.#command.kind;
  }

  /** Process id of the running helper (for diagnostics and tests), if any. */
  get helperPid(): number | undefined {
    return this.#helper?.alive ? this.#helper.child.pid : undefined;
  }

  /** Starts the helper now (normally it starts on first use); rejects if it cannot. */
  async start(): Promise<void> {
    await this.#ensureHelper().ready;
  }

  #ensureHelper(): Helper {
    if (this.#helper === undefined || !this.#helper.alive) {
      const helper: Helper = new Helper(this.#command, this.#settings, this.#logger, (m) => this.#onMessage(m), () => this.#onHelperExit(helper));
      this.#helper = helper;
    }
    return this.#helper;
  }

  #onMessage(message: HelperMessage): void {
    const pending = message.id === undefined ? undefined : this.#pending.get(message.id);
    if (pending === undefined) return;
    if (message.out !== undefined) {
      pending.stdout.deliver(message.out);
    } else if (message.eof) {
      pending.stdout.finish();
    } else if (message.err !== undefined) {
      if (!pending.stderr.readableEnded) pending.stderr.push(message.err);
    } else if (message.pid !== undefined) {
      pending.pid = message.pid;
      pending.started(message.pid);
    } else if (message.error !== undefined) {
      pending.failed(new SpawnError(message.error, message.message ?? message.error));
    } else if (message.exit !== undefined) {
      const code = message.exit;
      // The helper sent all the program wrote on stderr before this message.
      pending.stderr.push(null);
      pending.exited(code >= 0 ? { code, signal: null } : { code: null, signal: signalName(-code) });
    }
  }

  #onHelperExit(helper: Helper): void {
    if (this.#helper === helper) this.#helper = undefined;
    if (!this.#closed) this.#logger.error('cgi spawn helper exited; it will be restarted on the next request');
    // Programs it started are orphans now: kill their groups ourselves and report them gone.
    for (const pending of this.#pending.takeAll()) {
      if (pending.pid > 0) {
        try {
          process.kill(-pending.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        pending.stdout.finish();
        pending.stderr.push(null);
        pending.exited({ code: null, signal: 'SIGKILL' });
      } else {
        pending.failed(new SpawnError('EHELPER', 'spawn helper exited'));
      }
    }
  }

  async spawn(spec: SpawnSpec): Promise<RunningProgram> {
    if (this.#closed) throw new SpawnError('EHELPER', 'spawner closed');
    const helper = this.#ensureHelper();
    helper.hold(true);
    try {
      await helper.ready;
    } finally {
      if (this.#pending.size === 0) helper.hold(false);
    }
    const id = this.#nextId++;
    const fields = spawnFields(id, spec);
    // Only a request body needs a connection (it becomes the program's stdin); until the program holds it, its failure fails the spawn.
    const stdin = spec.stdin ? net.connect(helper.socketPath) : null;
    let onSocketError!: (error: Error) => void;
    const socketFailed = new Promise<never>((_, reject) => {
      onSocketError = (error: Error) => reject(new SpawnError('EHELPER', `spawn helper connection failed: ${error.message}`));
    });
    socketFailed.catch(() => {});
    stdin?.once('error', onSocketError);
    let resolveExit!: (status: ExitStatus) => void;
    const exited = new Promise<ExitStatus>((resolve) => {
      resolveExit = resolve;
    });
    // Nothing pulls from it but the logger, which always reads: no backpressure to the helper.
    const stderr = new Readable({ read() {} });
    const stdout = new HelperOutput((bytes) => helper.send(['c', String(id), String(bytes)]));
    const started = new Promise<number>((resolve, reject) => {
      this.#pending.add({ id, started: resolve, failed: reject, exited: resolveExit, stderr, stdout, pid: 0 });
    });
    helper.hold(true);
    fields[3] = helper.takeReleases()?.join(',') ?? '';
    helper.send(fields);
    stdin?.write(frame(['i', String(id)]));
    let pid: number;
    try {
      pid = await (stdin === null ? started : Promise.race([started, socketFailed]));
    } catch (error) {
      this.#forget(id, helper);
      helper.release(id);
      stdin?.destroy();
      stderr.destroy();
      stdout.destroy();
      throw error;
    }
    stdin?.off('error', onSocketError);
    // Writing to a program that stopped reading its stdin fails (EPIPE, ECONNRESET): expected.
    stdin?.on('error', () => {});
    const release = (): void => {
      this.#forget(id, helper);
      helper.release(id);
    };
    const kill = (signal: 'SIGTERM' | 'SIGKILL'): void => helper.send(['k', String(id), String(SIGNAL_NUMBERS[signal])]);
    return new HelperProgram(pid, stdin, stdout, stderr, exited, kill, release);
  }

  #forget(id: number, helper: Helper): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0 && helper.alive) helper.hold(false);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#helper?.stop();
  }
}
