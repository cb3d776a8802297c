/**
 * Which spawn helper runs and how it is started: the native one (`spawn-helper`, built
 * beside this file in dist/ by scripts/build-helper.mjs when a C compiler was there) or
 * `spawn-helper.py` under the configured Python. Must never start anything itself.
 */

import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PYTHON_HELPER = fileURLToPath(new URL('./spawn-helper.py', import.meta.url));
// The native helper is built into dist/spawn-helper/; running from src (tests), it is found there too.
const NATIVE_HELPER_PLACES = [new URL('./spawn-helper', import.meta.url), new URL('../../dist/spawn-helper/spawn-helper', import.meta.url)].map((url) => fileURLToPath(url));

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
