/**
 * The `cgi()` middleware: finds the script, prepares the body, waits for a process
 * slot, starts the program, and turns its header block into one of the RFC 3875
 * §6.2 response types. Must never run anything the resolver did not approve, and
 * never touch core internals: only @sluice/core's public API.
 */

import { applyGatewayHead, type Context, type Logger, type Middleware } from '@sluice/core';
import { DirectSpawner } from './direct-spawner.js';
import { baseEnvironment, cgiEnvironment } from './environment.js';
import { CgiError } from './errors.js';
import { helperCommand } from './spawn-helper/helper-command.js';
import { HelperSpawner } from './spawn-helper/helper-spawner.js';
import { Invocation, type HeadResult } from './invocation.js';
import { resolveOptions, type CgiOptions, type ResolvedOptions } from './options.js';
import { ProcessLimiter } from './process-limiter.js';
import { requestInput } from './request-input.js';
import { ScriptResolver, type Script } from './script-resolver.js';
import { SpawnError, TRANSIENT_SPAWN_ERRORS, type RunningProgram, type Spawner } from './spawner.js';

/** The middleware `cgi()` returns, with a way to stop its spawn helper. */
export interface CgiMiddleware extends Middleware {
  /** Stops the spawn helper (running programs are killed). Call when the app closes. */
  close(): Promise<void>;
  /** How programs are started, once the first request decided it ('helper' or 'direct'). */
  readonly spawnerKind: 'helper' | 'direct' | undefined;
  /** Which spawn helper runs ('native' or 'python'), once the spawner is the helper. */
  readonly helperKind: 'native' | 'python' | undefined;
  /** Process id of the spawn helper while it runs. */
  readonly helperPid: number | undefined;
}

/** Per-request state that survives local redirects (which re-run the chain on the same ctx). */
interface RedirectState {
  redirects: number;
  bodyConsumed: boolean;
}

const redirectStates = new WeakMap<Context, RedirectState>();

function redirectState(ctx: Context): RedirectState {
  let state = redirectStates.get(ctx);
  if (state === undefined) {
    state = { redirects: 0, bodyConsumed: false };
    redirectStates.set(ctx, state);
  }
  return state;
}

function spawnFailure(error: unknown, script: Script): CgiError {
  const code = error instanceof SpawnError ? error.code : 'EIO';
  const reason = `${script.argv[0]}: ${(error as Error).message}`;
  if (TRANSIENT_SPAWN_ERRORS.has(code)) return new CgiError('SPAWN_UNAVAILABLE', `CGI program could not be started (resources): ${reason}`, { cause: error });
  return new CgiError('SPAWN_FAILED', `CGI program could not be started: ${reason}`, { cause: error });
}

/** Chooses the spawner on first use: the helper when asked (or `auto` and Python 3 works), else direct. */
class SpawnerChoice {
  readonly #options: ResolvedOptions;
  #spawner: Promise<Spawner> | undefined = undefined;
  kind: 'helper' | 'direct' | undefined = undefined;
  helper: HelperSpawner | undefined = undefined;

  constructor(options: ResolvedOptions) {
    this.#options = options;
  }

  get(logger: Logger): Promise<Spawner> {
    return (this.#spawner ??= this.#choose(logger));
  }

  async #choose(logger: Logger): Promise<Spawner> {
    if (this.#options.spawner === 'direct') {
      this.kind = 'direct';
      return new DirectSpawner(this.#options.killProcessGroup);
    }
    const helper = new HelperSpawner(helperCommand(this.#options.helper, this.#options.helperPython), logger, {
      programSliceMs: this.#options.programSliceMs,
      killProcessGroupOnExit: this.#options.killProcessGroup,
    });
    if (this.#options.helper === 'auto' && helper.kind === 'python') {
      logger.info('cgi: the native spawn helper was not built (no working C compiler when the package was installed); using the Python helper');
    }
    if (this.#options.spawner === 'helper') {
      this.kind = 'helper';
      this.helper = helper;
      return helper;
    }
    try {
      await helper.start();
      this.kind = 'helper';
      this.helper = helper;
      return helper;
    } catch (error) {
      logger.warn(`cgi: spawn helper unavailable (${(error as Error).message}); spawning from the server process`);
      await helper.close();
      this.kind = 'direct';
      return new DirectSpawner(this.#options.killProcessGroup);
    }
  }

  async close(): Promise<void> {
    if (this.#spawner !== undefined) await (await this.#spawner).close();
  }
}

/**
 * Runs CGI/1.1 programs (RFC 3875): scripts in mounted directories and files with
 * interpreter-mapped extensions under a document root.
 *
 * @example
 * const app = new Application();
 * app.use(cgi({
 *   mounts: { '/cgi-bin': './cgi-bin' },
 *   root: './public',
 *   interpreters: { '.php': '/usr/bin/php-cgi' },
 * }));
 */
export function cgi(options: CgiOptions): CgiMiddleware {
  const resolved = resolveOptions(options);
  const resolver = new ScriptResolver(resolved);
  const limiter = new ProcessLimiter(resolved.maxProcesses, resolved.maxQueue, resolved.queueTimeoutMs);
  const base = baseEnvironment(resolved);
  const spawners = new SpawnerChoice(resolved);

  async function run(ctx: Context, next: () => Promise<void>): Promise<void> {
    const script = await resolver.resolve(ctx.path);
    if (script === undefined) return next();
    const state = redirectState(ctx);
    const logger = ctx.app.logger;
    const spawner = await spawners.get(logger);
    const input = await requestInput(ctx, resolved, state.bodyConsumed);
    let release: () => void;
    try {
      release = await limiter.acquire((listener) => ctx.onAbort(listener));
    } catch (error) {
      input.dispose();
      throw error;
    }
    let program: RunningProgram;
    try {
      const env = cgiEnvironment(ctx, script, input, base, resolved);
      program = await spawner.spawn({ file: script.argv[0], argv: script.argv, cwd: script.dir, env, stdin: input.length >= 0 });
    } catch (error) {
      release();
      input.dispose();
      throw spawnFailure(error, script);
    }
    state.bodyConsumed ||= input.length >= 0;
    const meta = { script: script.scriptName, pid: program.pid };
    const invocation = new Invocation(ctx, program, input, resolved, logger, meta, () => {
      release();
      input.dispose();
    });
    if (script.nph) {
      // Non-parsed headers: the program's output is the whole HTTP response.
      ctx.respondRaw(invocation.output(Buffer.alloc(0)));
      return;
    }
    const { head, rest } = await invocation.readHead();
    // RFC 3875 §6.2.2: a local path in Location, no Status → the server answers that path instead.
    const location = head.location;
    if (location !== undefined && location.startsWith('/') && !location.startsWith('//') && (head.status === undefined || head.status === 200)) {
      invocation.discard();
      if (++state.redirects > resolved.maxRedirects) throw new CgiError('REDIRECT_LOOP', `Too many CGI local redirects: more than ${resolved.maxRedirects} to ${location}`);
      ctx.method = 'GET';
      ctx.url = location;
      await ctx.app.dispatch(ctx);
      return;
    }
    respondWith(ctx, { head, rest }, invocation);
  }

  const middleware = run as CgiMiddleware;
  Object.defineProperties(middleware, {
    close: { value: () => spawners.close() },
    spawnerKind: { get: () => spawners.kind },
    helperPid: { get: () => spawners.helper?.helperPid },
    helperKind: { get: () => spawners.helper?.kind },
  });
  return middleware;
}

/**
 * RFC 3875 §6.2.1 document, §6.2.3 client redirect (Location with a scheme → 302),
 * §6.2.4 client redirect with document (Status 3xx and a body): headers as sent,
 * the body streamed as the program writes it.
 */
function respondWith(ctx: Context, { head, rest }: HeadResult, invocation: Invocation): void {
  const status = head.status ?? (head.location !== undefined ? 302 : 200);
  const headers = head.location === undefined ? head.headers : [...head.headers, ['Location', head.location] as const];
  const facts = applyGatewayHead(ctx, { ...head, status, headers }, { gateway: 'CGI', logger: ctx.app.logger, refuse: badHead });
  // All of it arrived already: sent with a Content-Length in one write, no stream to pipe.
  const complete = invocation.completeBody(rest);
  if (complete !== undefined && (facts.declaredLength === -1 || facts.declaredLength === complete.length)) {
    ctx.body = complete;
    if (!facts.hasType) ctx.remove('Content-Type');
    return;
  }
  ctx.body = invocation.output(rest);
  // The body setter types streams as octet-stream; a program that sent no type gets none.
  if (!facts.hasType) ctx.remove('Content-Type');
  if (facts.declaredLength !== -1) ctx.set('Content-Length', String(facts.declaredLength));
}

const badHead = (message: string, cause?: unknown): CgiError => new CgiError('BAD_HEADER', `CGI program sent an invalid response: ${message}`, { cause });
