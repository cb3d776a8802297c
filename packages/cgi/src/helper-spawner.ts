/**
 * Starts programs through a small helper process that uses posix_spawn: spawning
 * costs the same whatever the server's heap size, and the server's event loop never
 * stalls in fork(). The helper is `spawn-helper` (built from spawn-helper.c when a C
 * compiler was there at build time) or else `spawn-helper.py`; both speak the protocol
 * described at the top of spawn-helper.py. Requests go to the helper's stdin; the
 * program's stdout and stderr come back multiplexed on the helper's stdout (stdout
 * within the credit granted here, which is how backpressure reaches the program); a
 * request body goes through a Unix socket connection that becomes the program's stdin
 * (else it reads /dev/null). The helper is started on first use and again if it dies.
 * Must never leave a program running when its helper is gone.
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@sluice/core';
import { SpawnError, type ExitStatus, type RunningProgram, type SpawnSpec, type Spawner } from './spawner.js';

const PYTHON_HELPER = fileURLToPath(new URL('./spawn-helper.py', import.meta.url));
// The native helper is built into dist/; running from src (tests), it is found there too.
const NATIVE_HELPER_PLACES = [new URL('./spawn-helper', import.meta.url), new URL('../dist/spawn-helper', import.meta.url)].map((url) => fileURLToPath(url));
const HELPER_START_TIMEOUT_MS = 10_000;
const SIGNAL_NUMBERS = { SIGTERM: 15, SIGKILL: 9 } as const;
// Releases wait for the next spawn frame to ride on (one wake-up of the helper less per
// program); without one, they are sent on their own after this long.
const RELEASE_FLUSH_MS = 1000;
// Bytes of a program's stdout the helper may send before the server grants more. Credit is
// granted back once half of it was consumed, so a small response needs no grant at all.
const OUTPUT_WINDOW = 64 * 1024;

/** Which helper program runs, and how it is started. */
export interface HelperCommand {
  readonly kind: 'native' | 'python';
  readonly file: string;
  /** Arguments before the socket path. */
  readonly args: readonly string[];
}

/** The native helper's path if it was built, else undefined. */
export function nativeHelper(): string | undefined {
  return NATIVE_HELPER_PLACES.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The helper to run for `choice` ('auto': the native one when built, else Python). */
export function helperCommand(choice: 'auto' | 'native' | 'python', python: string): HelperCommand {
  const native = choice === 'python' ? undefined : nativeHelper();
  if (native !== undefined) return { kind: 'native', file: native, args: [] };
  // Asked for explicitly but not built: starting it fails with ENOENT, reported like any start failure.
  if (choice === 'native') return { kind: 'native', file: NATIVE_HELPER_PLACES[0], args: [] };
  return { kind: 'python', file: python, args: ['-I', '-S', PYTHON_HELPER] };
}

interface HelperMessage {
  ready?: boolean;
  id?: number;
  pid?: number;
  error?: string;
  message?: string;
  exit?: number;
  /** Bytes the program wrote on stderr. */
  err?: Buffer;
  /** Bytes the program wrote on stdout. */
  out?: Buffer;
  /** The program's stdout is at its end. */
  eof?: boolean;
}

/**
 * Splits the helper's stdout into messages: lines, except that "d <id> <n>" and
 * "e <id> <n>" are followed by n raw bytes of the program's stdout or stderr.
 */
class MessageReader {
  readonly #onMessage: (message: HelperMessage) => void;
  #pending: Buffer | undefined = undefined;
  #rawId = 0;
  #rawLeft = 0;
  #rawIsStdout = false;

  constructor(onMessage: (message: HelperMessage) => void) {
    this.#onMessage = onMessage;
  }

  push(chunk: Buffer): void {
    const data = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#pending = undefined;
    let at = 0;
    while (at < data.length) {
      if (this.#rawLeft > 0) {
        const end = Math.min(data.length, at + this.#rawLeft);
        this.#rawLeft -= end - at;
        const bytes = data.subarray(at, end);
        this.#onMessage(this.#rawIsStdout ? { id: this.#rawId, out: bytes } : { id: this.#rawId, err: bytes });
        at = end;
        continue;
      }
      const newline = data.indexOf(10, at);
      if (newline === -1) break;
      const line = data.toString('latin1', at, newline);
      at = newline + 1;
      this.#line(line);
    }
    if (at < data.length) this.#pending = data.subarray(at);
  }

  #line(line: string): void {
    if (line === 'ready') {
      this.#onMessage({ ready: true });
      return;
    }
    // "<kind> <id>[ <value>]", the kind one letter.
    const second = line.indexOf(' ', 2);
    const id = Number(line.slice(2, second === -1 ? undefined : second));
    const value = second === -1 ? '' : line.slice(second + 1);
    switch (line[0]) {
      case 'p':
        this.#onMessage({ id, pid: Number(value) });
        break;
      case 'x':
        this.#onMessage({ id, exit: Number(value) });
        break;
      case 'd':
      case 'e':
        this.#rawId = id;
        this.#rawLeft = Number(value);
        this.#rawIsStdout = line[0] === 'd';
        break;
      case 'z':
        this.#onMessage({ id, eof: true });
        break;
      case 'f': {
        const space = value.indexOf(' ');
        this.#onMessage({ id, error: space === -1 ? value : value.slice(0, space), message: space === -1 ? value : value.slice(space + 1) });
        break;
      }
    }
  }
}

/** What the spawner remembers about one program until it is released. */
interface Pending {
  started(pid: number): void;
  failed(error: SpawnError): void;
  exited(status: ExitStatus): void;
  /** The program's stderr as forwarded by the helper; ends when the program has exited. */
  readonly stderr: Readable;
  /** The program's stdout as forwarded by the helper. */
  readonly stdout: HelperOutput;
  pid: number;
}

/**
 * A program's stdout as relayed by the helper. The helper sends at most OUTPUT_WINDOW
 * bytes ahead; credit goes back when the consumer has taken at least half of that, so
 * a paused consumer stops the helper reading, and the program blocks on its pipe.
 */
class HelperOutput extends Readable {
  readonly #grant: (bytes: number) => void;
  #unacknowledged = 0;
  #ended = false;

  constructor(grant: (bytes: number) => void) {
    super({ highWaterMark: OUTPUT_WINDOW });
    this.#grant = grant;
  }

  /** Bytes from the helper. */
  deliver(chunk: Buffer): void {
    if (this.destroyed) return;
    this.#unacknowledged += chunk.length;
    this.push(chunk);
  }

  /** The helper said the program's stdout is at its end (or the helper is gone). */
  finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.push(null);
  }

  override _read(): void {
    if (this.#unacknowledged >= OUTPUT_WINDOW / 2) {
      this.#grant(this.#unacknowledged);
      this.#unacknowledged = 0;
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Nobody reads any more: let the helper drain the program's output without asking.
    if (!this.#ended) this.#grant(2 ** 40);
    callback(error);
  }
}

/** A frame for the helper: a 4-byte length, then each field followed by a NUL byte. */
function frame(fields: readonly string[]): Buffer {
  const text = fields.join('\0') + '\0';
  const length = Buffer.byteLength(text);
  const out = Buffer.allocUnsafe(4 + length);
  out.writeUInt32BE(length, 0);
  out.write(text, 4);
  return out;
}

/**
 * The fields of the "o" frame that asks for `spec` to be started as program `id`
 * (field 3, the releases, is filled in when the frame is sent).
 */
function spawnFields(id: number, spec: SpawnSpec): string[] {
  const fields = ['o', String(id), spec.stdin ? '1' : '0', '', spec.file, spec.cwd, String(spec.argv.length), ...spec.argv];
  for (const entry of spec.env) fields.push(entry);
  // A NUL cannot be in a path, an argument or an environment value (execve would cut it there).
  for (const text of fields) if (text.includes('\0')) throw new SpawnError('EINVAL', 'a NUL byte in the program, its arguments or its environment');
  return fields;
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

  constructor(command: HelperCommand, settings: HelperSettings, logger: Logger, onMessage: (m: HelperMessage) => void, onExit: () => void) {
    // A private 0700 directory: only this user can connect and ask for programs.
    this.#dir = mkdtempSync(join(process.env.TMPDIR ?? '/tmp', 'sluice-cgi-'));
    this.socketPath = join(this.#dir, 'spawn.sock');
    const sliceMicroseconds = String(Math.round(settings.programSliceMs * 1000));
    const killGroups = settings.killProcessGroupOnExit ? '1' : '0';
    this.child = spawn(command.file, [...command.args, this.socketPath, String(OUTPUT_WINDOW), sliceMicroseconds, killGroups], { stdio: 'pipe', env: {} });
    let resolveReady!: () => void;
    let rejectReady!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    const timer = setTimeout(() => rejectReady(new SpawnError('EHELPER', 'spawn helper did not start in time')), HELPER_START_TIMEOUT_MS);
    const reader = new MessageReader((message) => {
      if (message.ready) {
        clearTimeout(timer);
        resolveReady();
      } else {
        onMessage(message);
      }
    });
    this.child.stdout.on('data', (chunk: Buffer) => reader.push(chunk));
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

  /** Sends a command frame to the helper's stdin (see the protocol in spawn-helper.py). */
  send(fields: readonly string[]): void {
    if (this.#alive) this.child.stdin.write(frame(fields));
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
    if (taken !== undefined) for (const id of taken) this.send(['r', String(id)]);
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

/** What the helper is told at its start, for every program. */
export interface HelperSettings {
  /** The scheduler slice asked for each program, in ms (0: the kernel's default; see `CgiOptions`). */
  readonly programSliceMs: number;
  /** Kill a program's process group (its session) as soon as the program exits. */
  readonly killProcessGroupOnExit: boolean;
}

/** Starts programs through a spawn helper (native or Python). */
export class HelperSpawner implements Spawner {
  readonly #command: HelperCommand;
  readonly #logger: Logger;
  readonly #settings: HelperSettings;
  readonly #pending = new Map<number, Pending>();
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
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
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
      this.#pending.set(id, { started: resolve, failed: reject, exited: resolveExit, stderr, stdout, pid: 0 });
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
