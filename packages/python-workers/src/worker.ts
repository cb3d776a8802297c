/**
 * One Python worker process: spawns the bridge's worker program with the channel socket on
 * fd 3, reports readiness (or the Python start-up error), routes the frames it sends
 * to the requests it runs, forwards its stdout/stderr to the logger, and fails its
 * requests if it dies. Must never pick requests itself (the pool gives them), nor read
 * a request's frames (its call does).
 */

import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Logger } from '@sluice/core';
import { FrameDecoder, FromWorker } from './framing.js';
import type { PoolOptions } from './options.js';
import { forwardLines } from './output-lines.js';
import type { PoolCall } from './pool-call.js';
import { RunningCalls } from './running-calls.js';

/** What the pool learns from a worker. */
export interface WorkerEvents<C extends PoolCall> {
  /** A request finished on `worker`: it can take another. */
  released(worker: WorkerProcess<C>, call: C): void;
  /** Requests `worker` gave back without starting them (cancelled, or it died first): dispatch them again. */
  requeue(calls: C[]): void;
  /** The process is gone (all its output read); `killed` when the pool killed it on purpose. */
  exited(worker: WorkerProcess<C>, killed: boolean, reason: string): void;
}

/** Lifecycle of a worker. */
export type WorkerState = 'starting' | 'ready' | 'retiring' | 'dead';

const STDERR_TAIL_LINES = 30;
const EXIT_WAIT_MS = 2000;

/** One Python worker process of a {@link WorkerPool}; the pool owns it, bridges never make one. */
export class WorkerProcess<C extends PoolCall> {
  state: WorkerState = 'starting';
  /** Requests running on it now. */
  active = 0;
  /** Resolves when the application is imported; rejects with the Python error. */
  readonly ready: Promise<void>;
  readonly #child: ChildProcess;
  readonly #channel: Socket;
  /** fd 4: ids of requests to take back, and the worker's answers (see Canceller in the worker). */
  readonly #control: Socket;
  #controlPending: Buffer | null = null;
  readonly #calls = new RunningCalls<C>();
  readonly #events: WorkerEvents<C>;
  readonly #options: PoolOptions;
  readonly #logger: () => Logger;
  #nextId = 1;
  #served = 0;
  /** The application was imported (READY arrived). */
  #imported = false;
  #killed = false;
  #exited = false;
  #goneListeners: Array<() => void> = [];
  #exitReason = '';
  #stderrTail: string[] = [];
  #settleReady!: (error?: Error) => void;
  #startupTimer: NodeJS.Timeout | null;

  constructor(options: PoolOptions, events: WorkerEvents<C>, logger: () => Logger) {
    this.#options = options;
    this.#events = events;
    this.#logger = logger;
    const env: Record<string, string | undefined> = { ...process.env, ...options.env, PYTHONUNBUFFERED: '1' };
    if (options.pythonPath.length > 0) {
      env.PYTHONPATH = [...options.pythonPath, ...(env.PYTHONPATH ? [env.PYTHONPATH] : [])].join(':');
    }
    this.#child = spawn(options.python, [options.script, ...options.args], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    this.#channel = this.#child.stdio[3] as Socket;
    this.#control = this.#child.stdio[4] as Socket;
    this.#control.on('data', (chunk: Buffer) => this.#onTakenBack(chunk));
    this.#control.on('error', () => {});
    this.ready = new Promise<void>((resolve, reject) => {
      this.#settleReady = (error) => {
        this.#settleReady = () => {};
        if (this.#startupTimer !== null) clearTimeout(this.#startupTimer);
        if (error === undefined) resolve();
        else reject(error);
      };
    });
    this.ready.catch(() => {});
    this.#startupTimer = setTimeout(() => {
      this.#startupFailed(`did not start within ${options.startupTimeoutMs} ms`, '');
      this.kill('start-up timeout');
    }, options.startupTimeoutMs);
    const decoder = new FrameDecoder((type, id, payload) => this.#onFrame(type, id, payload));
    this.#channel.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk);
      } catch (error) {
        this.#logger().error(`${this.#label}: broken frame from worker ${this.pid}: ${(error as Error).message}`);
        this.kill('protocol error');
      }
    });
    this.#channel.on('error', () => {});
    this.#child.on('error', (error) => {
      this.#startupFailed(`could not be started: ${error.message}`, '');
    });
    this.#forwardOutput();
    this.#child.on('close', (code, signal) => this.#onClose(code, signal));
  }

  /** The protocol in lower case, starting log lines (`wsgi: ...`). */
  get #label(): string {
    return this.#options.protocol.toLowerCase();
  }

  /** The process id (0 if it could not be spawned). */
  get pid(): number {
    return this.#child.pid ?? 0;
  }

  /** Whether it can start one more request now. */
  get idle(): boolean {
    return this.state === 'ready' && this.active < this.#options.concurrency;
  }

  /** Whether one more request may be sent ahead to it (single-threaded and busy, room in its pipeline). */
  get canPipeline(): boolean {
    return this.state === 'ready' && this.#options.concurrency === 1 && this.active <= this.#options.pipeline;
  }

  /** The request it is running now when single-threaded (the others wait behind it). */
  get runningCall(): C | undefined {
    return this.#calls.first();
  }

  /**
   * Asks it to give back the request sent ahead last, if it has not started it; the pool
   * then gives it to an idle worker. Returns whether a request was asked for.
   */
  cancelOne(): boolean {
    if (this.#options.concurrency !== 1 || this.active < 2) return false;
    const last = this.#calls.last();
    if (last === undefined || last.started || last.cancelling || this.#control.destroyed) return false;
    last.cancelling = true;
    const id = Buffer.allocUnsafe(4);
    id.writeUInt32BE(last.id, 0);
    this.#control.write(id);
    // The signal makes the worker read fd 4 even while it runs application code.
    this.#child.kill('SIGWINCH');
    return true;
  }

  #onTakenBack(chunk: Buffer): void {
    const data = this.#controlPending === null ? chunk : Buffer.concat([this.#controlPending, chunk]);
    const whole = data.length - (data.length % 4);
    this.#controlPending = whole < data.length ? data.subarray(whole) : null;
    const taken: C[] = [];
    for (let at = 0; at < whole; at += 4) {
      const id = data.readUInt32BE(at);
      const call = this.#calls.get(id);
      if (call === undefined || !call.cancelling) continue;
      this.#calls.delete(id);
      this.active--;
      call.detach();
      taken.push(call);
    }
    if (taken.length === 0) return;
    this.#events.requeue(taken);
    if (this.state === 'retiring' && this.active === 0) this.#closeChannel();
  }

  /** Requests it has been given in its life. */
  get served(): number {
    return this.#served;
  }

  /** The requests running on it. */
  get calls(): C[] {
    return this.#calls.list();
  }

  /** Starts `call` on this worker. */
  start(call: C): void {
    const id = this.#nextId;
    this.#nextId = id === 0xffffffff ? 1 : id + 1;
    call.id = id;
    call.host = this;
    call.lastActivity = Date.now();
    this.#calls.add(call);
    this.active++;
    this.#served++;
    this.send(call.requestFrame());
  }

  /**
   * Writes a frame to the worker. Frames sent in one event-loop turn leave in one write at
   * its end: the worker shares the CPU with us, and a write per frame would wake it (and
   * switch to it) once per request instead of once per batch. Joined here rather than corked:
   * one buffer to one `write` is cheaper than the stream's cork buffer and `writev`.
   */
  send(frame: Buffer): void {
    if (this.#channel.destroyed) return;
    if (this.#outgoing.length === 0) setImmediate(this.#flush);
    this.#outgoing.push(frame);
    this.#outgoingBytes += frame.length;
  }

  #outgoing: Buffer[] = [];
  #outgoingBytes = 0;
  readonly #flush = (): void => {
    const frames = this.#outgoing;
    const bytes = this.#outgoingBytes;
    this.#outgoing = [];
    this.#outgoingBytes = 0;
    if (this.#channel.destroyed) return;
    this.#channel.write(frames.length === 1 ? frames[0] : Buffer.concat(frames, bytes));
  };

  /** Stops giving it work; it exits once its running requests are done. */
  retire(): void {
    if (this.state === 'dead') return;
    this.state = 'retiring';
    if (this.active === 0) this.#closeChannel();
  }

  /** Kills it now (SIGKILL); its running requests fail. Whether another starts is the pool's business. */
  kill(reason: string): void {
    if (this.state === 'dead') return;
    this.#killed = true;
    this.#exitReason = reason;
    this.state = 'dead';
    this.#child.kill('SIGKILL');
  }

  /** Calls `listener` once the process has exited and its output was read. */
  onGone(listener: () => void): void {
    if (this.#exited) listener();
    else this.#goneListeners.push(listener);
  }

  #closeChannel(): void {
    // Frames still waiting for the end of the turn leave first.
    if (this.#outgoing.length > 0) this.#flush();
    this.#channel.end();
    this.#control.end();
    // A worker that ignores EOF (stuck in application code) is killed after a while.
    setTimeout(() => {
      if (this.state !== 'dead') this.kill('did not exit after its channel closed');
    }, EXIT_WAIT_MS).unref();
  }

  #onFrame(type: number, id: number, payload: Buffer): void {
    if (type === FromWorker.Ready) {
      this.#imported = true;
      if (this.state === 'starting') this.state = 'ready';
      this.#settleReady();
      return;
    }
    if (type === FromWorker.StartupFailed) {
      this.#startupFailed('failed to load the application', payload.toString('utf8'));
      return;
    }
    const call = this.#calls.get(id);
    if (call === undefined) {
      // A finished request can still have something to report (excess body, close() failing).
      if (type === FromWorker.Log) this.#logger().error(`${this.#label}: ${payload.toString('utf8', 1)}`, { [`${this.#label}Worker`]: this.pid });
      return;
    }
    if (call.onFrame(type, payload)) {
      this.#calls.delete(id);
      this.active--;
      // Single-threaded: the next request sent ahead starts now; its silence counts from here.
      const next = this.#options.concurrency === 1 ? this.runningCall : undefined;
      if (next !== undefined) next.lastActivity = Date.now();
      this.#events.released(this, call);
      if (this.state === 'retiring' && this.active === 0) this.#closeChannel();
    }
  }

  #startupFailed(what: string, traceback: string): void {
    const detail = traceback || this.#stderrTail.join('\n');
    const lastLine = detail.trimEnd().split('\n').pop() ?? '';
    const error = this.#options.error('STARTUP', `${this.#options.protocol} application "${this.#options.app}" ${what}${lastLine ? `: ${lastLine}` : ''}`, { expose: false });
    if (detail) error.stack = `${error.name} [${error.code}]: ${error.message}\n${detail.trimEnd()}`;
    this.#exitReason = `start-up failed: ${lastLine || what}`;
    this.#settleReady(error);
  }

  #forwardOutput(): void {
    const child = this.#child;
    const pid = this.pid;
    const logger = this.#logger;
    const key = `${this.#label}Worker`;
    if (child.stdout !== null) {
      forwardLines(child.stdout, (line) => logger().info(line, { [key]: pid, stream: 'stdout' }));
    }
    if (child.stderr !== null) {
      forwardLines(child.stderr, (line) => {
        this.#stderrTail.push(line);
        if (this.#stderrTail.length > STDERR_TAIL_LINES) this.#stderrTail.shift();
        logger().warn(line, { [key]: pid, stream: 'stderr' });
      });
    }
  }

  #onClose(code: number | null, signal: NodeJS.Signals | null): void {
    this.state = 'dead';
    const reason = this.#exitReason || (signal !== null ? `killed by ${signal}` : `exited with code ${code}`);
    // Also when killed while starting: `ready` must settle (and its start-up timer stop).
    if (!this.#imported) this.#startupFailed(reason, '');
    const error = this.#options.error('WORKER_CRASHED', undefined, { expose: false });
    // Requests sent ahead that it never started are safe to run elsewhere; the rest fail.
    const unstarted: C[] = [];
    let first = true;
    for (const call of this.#calls.list()) {
      if (!first && !call.started && this.#options.concurrency === 1) {
        call.detach();
        unstarted.push(call);
      } else {
        call.fail(error);
      }
      first = false;
    }
    this.#calls.clear();
    this.active = 0;
    this.#exited = true;
    this.#events.exited(this, this.#killed, reason);
    if (unstarted.length > 0) this.#events.requeue(unstarted);
    for (const listener of this.#goneListeners) listener();
    this.#goneListeners = [];
  }
}
