/**
 * What starting a CGI program means, whichever way it is done: a spec in, a running
 * program out (its stdio streams, a process-group kill, its exit status). The two
 * implementations are `direct-spawner.ts` and `spawn-helper/helper-spawner.ts`. Must never hold
 * request logic.
 */

import type { Readable, Writable } from 'node:stream';

/** What to run. `file` is absolute; nothing goes through a shell. */
export interface SpawnSpec {
  readonly file: string;
  readonly argv: readonly string[];
  readonly cwd: string;
  /** The environment as `NAME=value` entries, names unique. */
  readonly env: readonly string[];
  /** Whether the program gets a request body on stdin; without one its stdin is /dev/null. */
  readonly stdin: boolean;
}

/** How a program ended: `code` on a normal exit, else the `signal` that killed it. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: string | null;
}

/** A started program, leader of its own process group. */
export interface RunningProgram {
  readonly pid: number;
  /**
   * The program's standard input when the spec asked for one (null: /dev/null). Errors
   * after the program stops reading are expected and swallowed.
   */
  readonly stdin: Writable | null;
  /** The program's standard output; ends at EOF (a reset of the channel also counts as EOF). */
  readonly stdout: Readable;
  /** The program's standard error. */
  readonly stderr: Readable;
  /** Resolves once the program has exited and been reaped. */
  readonly exited: Promise<ExitStatus>;
  /** Signals the whole process group (the program and its children). */
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
  /** The caller is done: no more kills will come (lets the spawner forget the group). */
  release(): void;
}

/** Starts programs. */
export interface Spawner {
  /** Starts `spec`; rejects with an error whose `code` is the errno name when it cannot. */
  spawn(spec: SpawnSpec): Promise<RunningProgram>;
  /** Stops the spawner (and anything it still runs). */
  close(): Promise<void>;
}

/** An error starting a program, with the errno name as `code` (ENOENT, EAGAIN...). */
export class SpawnError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'SpawnError';
    this.code = code;
  }
}

/** errno names meaning "try again later" rather than "this cannot run". */
export const TRANSIENT_SPAWN_ERRORS = new Set(['EAGAIN', 'ENOMEM', 'EMFILE', 'ENFILE', 'EHELPER']);
