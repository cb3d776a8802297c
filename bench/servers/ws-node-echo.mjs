// Benchmark baseline: a WebSocket echo in Node alone (sluice + ctx.takeover() + ws), no Python,
// to show what the ASGI bridge's worker round trip costs. Usage: node bench/servers/ws-node-echo.mjs <port>
import { Application } from '@sluice/core';
import { WebSocketServer } from 'ws';

const app = new Application();
const wss = new WebSocketServer({ noServer: true });
app.use(async (ctx) => {
  const { socket, head } = ctx.takeover();
  wss.handleUpgrade(ctx.req, socket, head, (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
});
app.listen(Number(process.argv[2]), '127.0.0.1');
const stop = () => void app.close(1000).then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
