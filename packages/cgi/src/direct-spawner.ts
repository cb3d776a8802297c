/**
 * Starts programs with `child_process.spawn` from the server process itself, each in
 * a new session (so its own process group), killed when the program exits (unless
 * asked not to) and when the spawner closes. Simple, but libuv forks the whole
 * server: the cost grows with the server's memory and blocks the event loop (see
 * the README's spawn measurements). Must never use a shell.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { SpawnError, type ExitStatus, type RunningProgram, type SpawnSpec, type Spawner } from './spawner.js';

function killGroup(pid: number, signal: 'SIGTERM' | 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

class DirectProgram implements RunningProgram {
  readonly #child: ChildProcess;
  readonly exited: Promise<ExitStatus>;
  readonly #onForget: (program: DirectProgram) => void;
  #exited = false;
  #released = false;

  constructor(child: ChildProcess, killGroupOnExit: boolean, onForget: (program: DirectProgram) => void) {
    this.#child = child;
    this.#onForget = onForget;
    // Writes after the program stopped reading fail with EPIPE: expected, not an error.
    child.stdin?.on('error', () => {});
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exited = true;
        // Node has reaped the program already: killed in the same turn, before this process can
        // start another program that could reuse the pid as its group id.
        if (killGroupOnExit) killGroup(this.pid, 'SIGKILL');
        if (this.#released) onForget(this);
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  get stdin() {
    return this.#child.stdin;
  }

  get stdout() {
    return this.#child.stdout as Readable;
  }

  get stderr() {
    return this.#child.stderr as Readable;
  }

  kill(signal: 'SIGTERM' | 'SIGKILL'): void {
    if (this.#exited && this.#released) return;
    killGroup(this.pid, signal);
  }

  release(): void {
    this.#released = true;
    if (this.#exited) this.#onForget(this);
  }
}

/**
 * libuv execs with execvp, which runs a file the kernel refuses (ENOEXEC: no "#!" line)
 * through /bin/sh. Programs are never run by a shell: such files fail here first.
 */
async function checkExecutableFormat(file: string): Promise<void> {
  const magic = Buffer.alloc(4);
  const handle = await open(file, 'r');
  try {
    await handle.read(magic, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (!(magic[0] === 0x23 && magic[1] === 0x21) && !magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
    throw new SpawnError('ENOEXEC', `${file}: neither a "#!" script nor an ELF executable`);
  }
}

function environmentObject(entries: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  return env;
}

/** Spawns with `child_process.spawn`, `detached` (setsid) so kills reach the whole group. */
export class DirectSpawner implements Spawner {
  readonly #killGroupOnExit: boolean;
  /** Programs not yet both exited and released: their groups are killed at close. */
  readonly #programs = new Set<DirectProgram>();

  /** `killProcessGroupOnExit`: kill a program's process group (its session) as soon as the program exits. */
  constructor(killProcessGroupOnExit = true) {
    this.#killGroupOnExit = killProcessGroupOnExit;
  }

  async spawn(spec: SpawnSpec): Promise<RunningProgram> {
    try {
      await checkExecutableFormat(spec.file);
    } catch (error) {
      if (error instanceof SpawnError) throw error;
      throw new SpawnError((error as NodeJS.ErrnoException).code ?? 'EIO', (error as Error).message);
    }
    let child: ChildProcess;
    try {
      child = spawn(spec.file, spec.argv.slice(1), {
        argv0: spec.argv[0],
        cwd: spec.cwd,
        env: environmentObject(spec.env),
        detached: true,
        stdio: [spec.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        shell: false,
      });
    } catch (error) {
      throw new SpawnError((error as NodeJS.ErrnoException).code ?? 'EIO', (error as Error).message);
    }
    if (child.pid === undefined) {
      const [error] = (await once(child, 'error')) as [NodeJS.ErrnoException];
      throw new SpawnError(error.code ?? 'EIO', error.message);
    }
    const program = new DirectProgram(child, this.#killGroupOnExit, (done) => this.#programs.delete(done));
    this.#programs.add(program);
    return program;
  }

  async close(): Promise<void> {
    for (const program of this.#programs) program.kill('SIGKILL');
    this.#programs.clear();
  }
}
