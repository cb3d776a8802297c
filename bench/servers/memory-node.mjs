// node:http server for the memory suite, same routes as memory-sluice.mjs. PORT.
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
// The same idle and keep-alive timeouts as sluice's defaults.
server.keepAliveTimeout = 5000;
server.headersTimeout = 10_000;
server.listen(port, '127.0.0.1');
