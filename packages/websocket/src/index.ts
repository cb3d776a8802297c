/**
 * `@sluice/websocket` — WebSocket endpoints for sluice on `ws`: `websocket(path?, handler,
 * options?)` returns middleware. Public API only.
 *
 * @packageDocumentation
 * @module @sluice/websocket
 */

export { websocket, type WebSocketHandler, type WebSocketMiddleware, type WebSocket, type RawData } from './websocket.js';
export { websocketDefaults, type WebSocketOptions, type ProtocolSelector } from './options.js';
export { WebSocketError, websocketErrors, websocketErrorRegistry, type WebSocketErrorName } from './errors.js';
