// The Koa middleware under test ship no types and their @types packages are not installed:
// the tests use them exactly as a JavaScript Koa app would.
declare module '@koa/router';
declare module '@koa/cors';
declare module 'koa-bodyparser';
declare module 'koa-compress';
declare module 'koa-conditional-get';
declare module 'koa-etag';
