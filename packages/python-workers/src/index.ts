/**
 * `@sluice/python-workers` — the Node side shared by sluice's Python bridges
 * (`@sluice/wsgi-bridge`, `@sluice/asgi-bridge`): a pool of Python worker processes
 * (spawn, readiness with the Python traceback on failure, dispatch and queue, timeouts,
 * respawn with backoff, recycling, reload, graceful close) and the binary frame codec
 * they speak. Bridges build their calls on it; applications use the bridges.
 *
 * @packageDocumentation
 * @module @sluice/python-workers
 */

export { encodeFrame, encodeU32Frame, FrameDecoder, FromWorker, HEADER_BYTES, MAX_FRAME_BYTES, ToWorker, type FrameHandler } from './framing.js';
export type { PoolErrorFactory, PoolFailure, PoolOptions } from './options.js';
export type { CallHost, PoolCall } from './pool-call.js';
export { WorkerPool, type PoolStats } from './pool.js';
export { WorkerProcess, type WorkerEvents, type WorkerState } from './worker.js';
export { ResponseStream, type StreamOwner } from './response-stream.js';
export { RequestBodyFeed, type BodyFeedOwner } from './request-body-feed.js';
export { logFrame } from './log-frame.js';
export { mountedMiddleware, type MountedRun } from './mount.js';
export { bridgeDefaults, oneOf, positiveInt, resolveBridgeOptions, type BadOption, type BridgeOptions } from './bridge-options.js';
