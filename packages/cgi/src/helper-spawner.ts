/**
 * Starts programs through a small Python helper (`spawn-helper.py`) that uses
 * posix_spawn: spawning costs the same whatever the server's heap size, and the
 * server's event loop never stalls in fork(). A program's stdout is a Unix socket
 * connection the server opened to the helper, and so is its stdin when the request has
 * a body (else /dev/null); the helper forwards its stderr in messages. The helper is
 * started on first use and again if it dies. Must never leave a program running when
 * its helper is gone.
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@sluice/core';
import { SpawnError, type ExitStatus, type RunningProgram, type SpawnSpec, type Spawner } from './spawner.js';

const HELPER_SOURCE = fileURLToPath(new URL('./spawn-helper.py', import.meta.url));
const HELPER_START_TIMEOUT_MS = 10_000;
const SIGNAL_NUMBERS = { SIGTERM: 15, SIGKILL: 9 } as const;
// Releases wait for the next spawn frame to ride on (one wake-up of the helper less per
// program); without one, they are sent on their own after this long.
const RELEASE_FLUSH_MS = 1000;

interface HelperMessage {
  ready?: boolean;
  id?: number;
  pid?: number;
  error?: string;
  message?: string;
  exit?: number;
  /** stderr bytes, as latin-1 text. */
  err?: string;
}

/** What the spawner remembers about one program until it is released. */
interface Pending {
  started(pid: number): void;
  failed(error: SpawnError): void;
  exited(status: ExitStatus): void;
  /** The program's stderr as forwarded by the helper; ends when the program has exited. */
  readonly stderr: Readable;
  pid: number;
}

function frame(message: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(message));
  const out = Buffer.allocUnsafe(4 + json.length);
  out.writeUInt32BE(json.length, 0);
  json.copy(out, 4);
  return out;
}

function signalName(n: number): string {
  for (const [name, number] of Object.entries(SIGNAL_NUMBERS)) if (number === n) return name;
  return `signal ${n}`;
}

/** One helper process and its socket directory. */
class Helper {
  readonly child: ChildProcessWithoutNullStreams;
  readonly socketPath: string;
  readonly ready: Promise<void>;
  readonly #dir: string;
  #alive = true;
  #stopping = false;
  #releases: number[] = [];
  #releaseTimer: NodeJS.Timeout | undefined = undefined;

  constructor(python: string, logger: Logger, onMessage: (m: HelperMessage) => void, onExit: () => void) {
    // A private 0700 directory: only this user can connect and ask for programs.
    this.#dir = mkdtempSync(join(process.env.TMPDIR ?? '/tmp', 'sluice-cgi-'));
    this.socketPath = join(this.#dir, 'spawn.sock');
    this.child = spawn(python, ['-I', '-S', HELPER_SOURCE, this.socketPath], { stdio: 'pipe', env: {} });
    let buffered = '';
    let resolveReady!: () => void;
    let rejectReady!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    const timer = setTimeout(() => rejectReady(new SpawnError('EHELPER', 'spawn helper did not start in time')), HELPER_START_TIMEOUT_MS);
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (text: string) => {
      buffered += text;
      let newline = buffered.indexOf('\n');
      while (newline !== -1) {
        const message = JSON.parse(buffered.slice(0, newline)) as HelperMessage;
        buffered = buffered.slice(newline + 1);
        if (message.ready) {
          clearTimeout(timer);
          resolveReady();
        } else {
          onMessage(message);
        }
        newline = buffered.indexOf('\n');
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => logger.error(`cgi spawn helper: ${text.trimEnd()}`));
    this.child.stdin.on('error', () => {});
    this.child.on('error', (error) => {
      // The helper could not be started at all: no 'exit' will follow.
      clearTimeout(timer);
      this.#alive = false;
      rejectReady(new SpawnError('EHELPER', `spawn helper could not start: ${error.message}`));
    });
    // 'close', not 'exit': every message the helper wrote (a pid just reported) is read by then.
    this.child.once('close', () => {
      clearTimeout(timer);
      this.#alive = false;
      rejectReady(new SpawnError('EHELPER', 'spawn helper exited'));
      rmSync(this.#dir, { recursive: true, force: true });
      onExit();
    });
    // The helper must not keep the server alive; it exits when our end of its stdin closes.
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) (stream as unknown as net.Socket).unref();
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** While programs are pending, their messages must keep the event loop alive; idle, the helper must not. */
  hold(busy: boolean): void {
    if (this.#stopping && !busy) return; // stop() holds the loop until the helper is gone
    for (const handle of [this.child, this.child.stdout, this.child.stderr] as Array<{ ref(): void; unref(): void }>) {
      if (busy) handle.ref();
      else handle.unref();
    }
  }

  command(message: unknown): void {
    if (this.#alive) this.child.stdin.write(JSON.stringify(message) + '\n');
  }

  /** Tells the helper it may forget program `id`: with the next spawn frame, or within RELEASE_FLUSH_MS. */
  release(id: number): void {
    if (!this.#alive) return;
    this.#releases.push(id);
    this.#releaseTimer ??= setTimeout(() => this.flushReleases(), RELEASE_FLUSH_MS).unref();
  }

  /** The releases not sent yet, for a spawn frame to carry (undefined when none). */
  takeReleases(): number[] | undefined {
    if (this.#releases.length === 0) return undefined;
    clearTimeout(this.#releaseTimer);
    this.#releaseTimer = undefined;
    const taken = this.#releases;
    this.#releases = [];
    return taken;
  }

  flushReleases(): void {
    const taken = this.takeReleases();
    if (taken !== undefined) for (const id of taken) this.command({ release: id });
  }

  async stop(): Promise<void> {
    if (!this.#alive) return;
    const exited = new Promise((resolve) => this.child.once('close', resolve));
    // Keep the event loop alive until the helper is gone and its output read (it is unref'd while idle).
    this.hold(true);
    this.#stopping = true;
    this.flushReleases();
    this.child.stdin.end();
    await exited;
  }
}

class HelperProgram implements RunningProgram {
  readonly pid: number;
  readonly stdin: net.Socket | null;
  readonly stdout: net.Socket;
  readonly stderr: Readable;
  readonly exited: Promise<ExitStatus>;
  readonly #kill: (signal: 'SIGTERM' | 'SIGKILL') => void;
  readonly #release: () => void;

  constructor(pid: number, stdin: net.Socket | null, stdout: net.Socket, stderr: Readable, exited: Promise<ExitStatus>, kill: (signal: 'SIGTERM' | 'SIGKILL') => void, release: () => void) {
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

/** Starts programs through the Python spawn helper. */
export class HelperSpawner implements Spawner {
  readonly #python: string;
  readonly #logger: Logger;
  readonly #pending = new Map<number, Pending>();
  #helper: Helper | undefined = undefined;
  #nextId = 1;
  #closed = false;

  constructor(python: string, logger: Logger) {
    this.#python = python;
    this.#logger = logger;
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
      const helper: Helper = new Helper(this.#python, this.#logger, (m) => this.#onMessage(m), () => this.#onHelperExit(helper));
      this.#helper = helper;
    }
    return this.#helper;
  }

  #onMessage(message: HelperMessage): void {
    const pending = message.id === undefined ? undefined : this.#pending.get(message.id);
    if (pending === undefined) return;
    if (message.err !== undefined) {
      if (!pending.stderr.readableEnded) pending.stderr.push(Buffer.from(message.err, 'latin1'));
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
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      if (pending.pid > 0) {
        try {
          process.kill(-pending.pid, 'SIGKILL');
        } catch {
          // already gone
        }
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
    // stdout always, stdin only for a request body. Until the program holds them, a failed connection fails the spawn.
    const stdout = net.connect(helper.socketPath);
    const stdin = spec.stdin ? net.connect(helper.socketPath) : null;
    let onSocketError!: (error: Error) => void;
    const socketFailed = new Promise<never>((_, reject) => {
      onSocketError = (error: Error) => reject(new SpawnError('EHELPER', `spawn helper connection failed: ${error.message}`));
    });
    socketFailed.catch(() => {});
    stdout.once('error', onSocketError);
    stdin?.once('error', onSocketError);
    let resolveExit!: (status: ExitStatus) => void;
    const exited = new Promise<ExitStatus>((resolve) => {
      resolveExit = resolve;
    });
    // Nothing pulls from it but the logger, which always reads: no backpressure to the helper.
    const stderr = new Readable({ read() {} });
    const started = new Promise<number>((resolve, reject) => {
      this.#pending.set(id, { started: resolve, failed: reject, exited: resolveExit, stderr, pid: 0 });
    });
    helper.hold(true);
    // Nothing is ever sent to a program on its stdout: the frame, then our side is closed.
    stdout.end(frame({ id, role: 'out', file: spec.file, argv: spec.argv, cwd: spec.cwd, env: spec.env, stdin: spec.stdin, release: helper.takeReleases() }));
    stdin?.write(frame({ id, role: 'in' }));
    let pid: number;
    try {
      pid = await Promise.race([started, socketFailed]);
    } catch (error) {
      this.#forget(id, helper);
      helper.release(id);
      stdout.destroy();
      stdin?.destroy();
      stderr.destroy();
      throw error;
    }
    stdout.off('error', onSocketError);
    stdin?.off('error', onSocketError);
    // Writing to a program that stopped reading its stdin fails (EPIPE, ECONNRESET): expected.
    stdin?.on('error', () => {});
    stdout.on('error', () => {});
    const release = (): void => {
      this.#forget(id, helper);
      helper.release(id);
    };
    const kill = (signal: 'SIGTERM' | 'SIGKILL'): void => helper.command({ kill: id, sig: SIGNAL_NUMBERS[signal] });
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
