/**
 * Entry point of a worker process (the file `node:cluster` runs). Must never do
 * anything but start the worker.
 */

import { runWorker } from './worker.js';

await runWorker();
