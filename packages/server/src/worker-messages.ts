/**
 * The messages a supervisor and its workers exchange over the cluster IPC channel,
 * and the environment variable carrying a worker's command line. Must never carry
 * anything that cannot be rebuilt from the command line (functions stay in workers).
 */

/** Environment variable holding `{ argv, cwd }` for a worker, as JSON. */
export const WORKER_ENV = 'SLUICE_WORKER_COMMAND';

/** What a worker needs to rebuild the configuration itself. */
export interface WorkerCommand {
  argv: string[];
  cwd: string;
  /** The port a configured `port: 0` resolved to, once known: later workers keep it. */
  chosenPort?: number;
}

/** Worker → supervisor. */
export type WorkerMessage =
  | { type: 'sluice:ready'; port: number }
  | { type: 'sluice:fatal'; message: string; config: boolean };

/** Supervisor → worker. */
export type SupervisorMessage = { type: 'sluice:shutdown'; graceMs: number };

/** True if `value` is one of sluice's worker messages (user code may use the channel too). */
export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string' &&
    (value as { type: string }).type.startsWith('sluice:');
}
