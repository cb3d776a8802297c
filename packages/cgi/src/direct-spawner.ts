/**
 * Starts programs with `child_process.spawn` from the server process itself, each in
 * a new session (so its own process group). Simple, but libuv forks the whole
 * server: the cost grows with the server's memory and blocks the event loop (see
 * the README's spawn measurements). Must never use a shell.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { SpawnError, type ExitStatus, type RunningProgram, type SpawnSpec, type Spawner } from './spawner.js';

class DirectProgram implements RunningProgram {
  readonly #child: ChildProcess;
  readonly exited: Promise<ExitStatus>;
  #exitedAndReleased = false;

  constructor(child: ChildProcess) {
    this.#child = child;
    // Writes after the program stopped reading fail with EPIPE: expected, not an error.
    child.stdin?.on('error', () => {});
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
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
    if (this.#exitedAndReleased) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // The group is already gone.
    }
  }

  release(): void {
    this.#exitedAndReleased = true;
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
    return new DirectProgram(child);
  }

  async close(): Promise<void> {
    // Nothing of its own to stop: running programs are killed by their requests.
  }
}
