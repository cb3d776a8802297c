/**
 * A worker process: rebuilds the configuration from the command line it was given,
 * builds the application, listens on the shared port, tells the supervisor it is
 * ready, and shuts down gracefully when told to (or on SIGTERM/SIGINT, or when the
 * supervisor goes away). Must never print to stdout except access-log lines.
 */

import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseCommandLine } from './cli-args.js';
import { resolveConfig } from './config.js';
import type { ResolvedConfig } from './config-types.js';
import { ConfigError } from './errors.js';
import { buildServerApp, type ServerApp } from './server-app.js';
import { WORKER_ENV, type SupervisorMessage, type WorkerCommand, type WorkerMessage } from './worker-messages.js';

const listenErrors: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name not found',
};

/** Sends `message` to the supervisor; resolves once it is written (so an exit right after cannot lose it). */
function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send) process.send(message, undefined, {}, () => resolve());
    else resolve();
  });
}

/** Runs this process as a worker; never returns while serving. */
export async function runWorker(): Promise<void> {
  process.title = 'sluice: worker';
  // A closing terminal sends SIGHUP to the whole group: reloading is the supervisor's job.
  process.on('SIGHUP', () => {});
  let server: ServerApp;
  let config: ResolvedConfig;
  try {
    const command = JSON.parse(process.env[WORKER_ENV] ?? '') as WorkerCommand;
    config = await resolveConfig(parseCommandLine(command.argv), command.cwd);
    server = await buildServerApp(config);
    const listener = server.app.listen({
      port: config.port === 0 && command.chosenPort !== undefined ? command.chosenPort : config.port,
      host: config.host,
      tls: config.tls ? { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) } : undefined,
      http2: config.http2,
      h2c: config.h2c,
    });
    await listening(listener, config);
    await send({ type: 'sluice:ready', port: (listener.address() as AddressInfo).port });
  } catch (error) {
    await send({ type: 'sluice:fatal', message: (error as Error)?.message ?? String(error), config: error instanceof ConfigError });
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  let stopping = false;
  const stop = (graceMs: number) => {
    if (stopping) return;
    stopping = true;
    server.close(graceMs).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('message', (message: SupervisorMessage) => {
    if (message?.type === 'sluice:shutdown') stop(message.graceMs);
  });
  process.on('SIGTERM', () => stop(config.shutdownGraceMs));
  process.on('SIGINT', () => stop(config.shutdownGraceMs));
  process.on('disconnect', () => stop(config.shutdownGraceMs));
}

async function listening(listener: net.Server, config: ResolvedConfig): Promise<void> {
  try {
    await once(listener, 'listening');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new ConfigError(`cannot listen on ${config.host}:${config.port}: ${listenErrors[code] ?? (error as Error).message}`, { cause: error });
  }
}
