// Fastify 5 + @fastify/websocket peer for the websocket suite: a `websocket: true` route at /, every
// message echoed as it came (text or binary). PORT.
import Fastify from 'fastify';
import websocket from '@fastify/websocket';

const port = Number(process.env.PORT);
const app = Fastify({ logger: false });
await app.register(websocket);
app.get('/', { websocket: true }, (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
});
await app.listen({ port, host: '127.0.0.1' });
