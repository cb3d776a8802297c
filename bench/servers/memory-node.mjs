// node:http server for the memory suite, same routes and timeouts as memory-sluice.mjs. PORT,
// HEADERS_TIMEOUT_MS. Must never differ from memory-sluice.mjs in what it answers or keeps.
import http from 'node:http';
import { Readable } from 'node:stream';

const port = Number(process.env.PORT);
const CHUNK = Buffer.alloc(16 * 1024, 0x61);
const server = http.createServer((req, res) => {
  if (req.url === '/__mem') {
    // Started with --expose-gc: a full collection first, so what is measured is what is retained.
    globalThis.gc?.();
    const body = JSON.stringify(process.memoryUsage());
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  } else if (req.url === '/echo') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
      res.end(body);
    });
  } else if (req.url === '/stream') {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    Readable.from((function* () {
      for (let i = 0; i < 64; i++) yield CHUNK;
    })()).pipe(res);
  } else {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 13 });
    res.end('Hello, World!');
  }
});
// The same keep-alive and header timeouts as memory-sluice.mjs. node:http never times out a
// connection that sends nothing (its header clock starts at the first byte); sluice's does
// (headersTimeoutMs from accept), so the suite sets HEADERS_TIMEOUT_MS above the run's length.
server.keepAliveTimeout = 5000;
server.headersTimeout = Number(process.env.HEADERS_TIMEOUT_MS ?? 10_000);
server.requestTimeout = Math.max(300_000, server.headersTimeout);
server.listen(port, '127.0.0.1');
// Exit normally on the suite's SIGTERM, so --heap-prof can write its profile.
process.on('SIGTERM', () => process.exit(0));
