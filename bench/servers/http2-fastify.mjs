// Fastify 5 with `http2: true` (its node:http2 compatibility-API path) for the http2 suite.
// PORT; SCENARIO = hello | static (ROOT: read per request); TLS=1 for h2 over TLS (KEY, CERT), else h2c.
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';

const port = Number(process.env.PORT);
const https = process.env.TLS === '1' ? { key: readFileSync(process.env.KEY), cert: readFileSync(process.env.CERT) } : undefined;
const app = Fastify({ logger: false, http2: true, ...(https ? { https } : {}) });
if (process.env.SCENARIO === 'static') {
  app.get('/*', async (request, reply) => {
    const data = await readFile(path.join(process.env.ROOT, request.url));
    reply.type('text/plain; charset=utf-8').send(data);
  });
} else {
  app.get('/', (request, reply) => {
    reply.type('text/plain; charset=utf-8').send('Hello, World!');
  });
}
await app.listen({ port, host: '127.0.0.1' });
