// Fastify 5 peer for the core suite. PORT; SCENARIO = hello | chain | echo.
import Fastify from 'fastify';

const port = Number(process.env.PORT);
const scenario = process.env.SCENARIO ?? 'hello';
const app = Fastify({ logger: false });
if (scenario === 'chain') {
  for (let i = 0; i < 10; i++) app.addHook('onRequest', (request, reply, done) => done());
}
if (scenario === 'echo') {
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (request, body, done) => done(null, body));
  app.post('/', (request, reply) => {
    reply.type('application/octet-stream').send(request.body);
  });
} else {
  app.get('/', (request, reply) => {
    reply.type('text/plain; charset=utf-8').send('Hello, World!');
  });
}
await app.listen({ port, host: '127.0.0.1' });
