/**
 * One running helper process: started with its private socket directory, told the frames,
 * read for messages, held or unreferenced in the event loop as programs come and go, stopped.
 * Must never outlive the server (it exits when its stdin closes) nor keep it alive while idle.
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type net from 'node:net';
import { join } from 'node:path';
import type { Logger } from '@sluice/core';
import { SpawnError } from '../spawner.js';
import { frame } from './frames.js';
import type { HelperCommand } from './helper-command.js';
import { OUTPUT_WINDOW } from './helper-output.js';
import { MessageReader, type HelperMessage } from './message-reader.js';

const HELPER_START_TIMEOUT_MS = 10_000;
// Releases wait for the next spawn frame to ride on (one wake-up of the helper less per
// program); without one, they are sent on their own after this long.
const RELEASE_FLUSH_MS = 1000;

/** What the helper is told at its start, for every program. */
export interface HelperSettings {
  /** The scheduler slice asked for each program, in ms (0: the kernel's default; see `CgiOptions`). */
  readonly programSliceMs: number;
  /** Kill a program's process group (its session) as soon as the program exits. */
  readonly killProcessGroupOnExit: boolean;
}

/** One helper process and its socket directory. */
export class Helper {
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

  /** Sends a command frame to the helper's stdin (PROTOCOL.md). */
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
