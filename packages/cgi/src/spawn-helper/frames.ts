/**
 * The frames the server sends the helper (PROTOCOL.md): a 4-byte length, then fields each
 * ended by a NUL byte; the spawn frame's fields; signal numbers. Pure functions on strings
 * and buffers: must never write anywhere.
 */

import { SpawnError, type SpawnSpec } from '../spawner.js';

/** Signal numbers the `k` frame carries (the same on every platform the helper builds on). */
export const SIGNAL_NUMBERS = { SIGTERM: 15, SIGKILL: 9 } as const;

/** A frame for the helper: a 4-byte length, then each field followed by a NUL byte. */
export function frame(fields: readonly string[]): Buffer {
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
export function spawnFields(id: number, spec: SpawnSpec): string[] {
  const fields = ['o', String(id), spec.stdin ? '1' : '0', '', spec.file, spec.cwd, String(spec.argv.length), ...spec.argv];
  for (const entry of spec.env) fields.push(entry);
  // A NUL cannot be in a path, an argument or an environment value (execve would cut it there).
  for (const text of fields) if (text.includes('\0')) throw new SpawnError('EINVAL', 'a NUL byte in the program, its arguments or its environment');
  return fields;
}

/** The name of a signal number from an `x` message (`SIGKILL`), or `signal <n>`. */
export function signalName(n: number): string {
  for (const [name, number] of Object.entries(SIGNAL_NUMBERS)) if (number === n) return name;
  return `signal ${n}`;
}
