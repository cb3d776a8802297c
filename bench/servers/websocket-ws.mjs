// `ws` on node:http, the baseline of the websocket suite: WebSocketServer attached to the server's
// 'upgrade' event, every message echoed as it came (text or binary). PORT.
import http from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.env.PORT);
const server = http.createServer((req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
  res.end('WebSocket only');
});
const wss = new WebSocketServer({ server, clientTracking: false });
wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
});
server.listen(port, '127.0.0.1');
