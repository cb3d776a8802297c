/**
 * Development reload: watches directories for changed `.py` files and reports them,
 * debounced (an editor's save is several events). Must never restart anything itself:
 * the pool decides what a change means.
 */

import { watch, type FSWatcher } from 'node:fs';

const DEBOUNCE_MS = 200;

/** Watches `dirs` recursively; calls `onChange(file)` after a burst of `.py` changes settles. Returns a stop function. */
export function watchPythonFiles(dirs: string[], onChange: (file: string) => void): () => void {
  let timer: NodeJS.Timeout | null = null;
  let last = '';
  const watchers: FSWatcher[] = [];
  for (const dir of new Set(dirs)) {
    try {
      const watcher = watch(dir, { recursive: true }, (_event, file) => {
        if (file === null || !String(file).endsWith('.py')) return;
        last = String(file);
        if (timer !== null) clearTimeout(timer);
        timer = setTimeout(() => {
          timer = null;
          onChange(last);
        }, DEBOUNCE_MS);
      });
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // A missing directory in pythonPath is not worth failing for: nothing to watch there.
    }
  }
  return () => {
    if (timer !== null) clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
