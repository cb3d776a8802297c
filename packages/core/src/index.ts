/**
 * `@sluice/core` — public API. Everything a user or another package may rely on is
 * exported here; nothing else is public.
 *
 * @packageDocumentation
 * @module @sluice/core
 */

export { Application, type ApplicationOptions, type ListenOptions, type Middleware, type Next, type ParameterizedContext } from './application.js';
export type { Logger } from './logger.js';
export { Context, type HttpAssert, type HttpErrorArgument } from './context.js';
export type { ApplicationView, ContextView, DefaultState, RequestBasics } from './object-views.js';
export type { KoaContextView, KoaMiddleware } from './koa-middleware.js';
export { Request, type BodyReadOptions } from './request.js';
export { Response } from './response.js';
export { escapeHtml } from './html.js';
export type { HeaderValue } from './response-head.js';
export type { Body } from './body-types.js';
export { defaultErrorHandler, errorStatus, publicMessage, type ErrorHandler, type HttpErrorLike } from './error-handler.js';
export {
  SluiceError,
  ProtocolError,
  RequestAbortedError,
  brandErrorClass,
  defineErrors,
  isErrorRegistry,
  protocolErrors,
  protocolErrorRegistry,
  coreErrors,
  coreErrorRegistry,
  responseErrors,
  responseErrorRegistry,
  type SluiceErrorOptions,
  type ErrorRegistry,
  type ErrorRow,
  type ErrorTable,
  type ProtocolErrorName,
  type CoreErrorName,
  type ResponseErrorName,
} from './errors.js';
export { isHeaderName, isHeaderValue } from './header-validation.js';
export { ownedHeaders, forwardedFields, hasCloseToken, isEngineWritten, type HeaderOwnership, type ForwardedFields } from './owned-headers.js';
export { applyGatewayHead, type GatewayHead, type GatewayHeadFacts, type GatewayHeadOptions } from './gateway-head.js';
export type { NodeRequest, NodeResponse, SocketView } from './node-adapters.js';
export type { NodeServerRequest, NodeServerResponse } from './node-http-exchange.js';
export type { HttpExchange, ExchangeBody, RequestView, ConnectionInfo, OutgoingHeaders } from './http-exchange.js';
export { createErrorPagesHandler, type ErrorPage, type ErrorPageFunction, type ErrorPages } from './error-pages.js';
export { normalizePath } from './path-normalization.js';
export { STANDARD_METHODS } from './methods.js';
export { bufferBody, type BufferBodyOptions, type BufferedBody } from './body-buffer.js';
export { accessLog, type AccessLogFormat, type AccessLogOptions } from './access-log.js';
export { addressMatcher, forwardedAddresses, isAddressOrRange, type AddressMatcher } from './proxy-trust.js';
export { HttpEngine, type EngineHandler, type TlsOptions } from './engine/engine.js';
export { engineDefaults, protocolDefaults, type EngineOptions, type ProtocolOptions } from './engine/limits.js';
