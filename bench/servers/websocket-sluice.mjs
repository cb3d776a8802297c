// sluice peers for the websocket suite, every message echoed as it came (text or binary). PORT;
// SERVER = middleware (@sluice/websocket's `websocket('/', handler)`, the default) | takeover
// (`ws`'s handleUpgrade on `ctx.takeover()`, the convention other libraries build on);
// MAX_CONNECTIONS raises the engine's limit (default 10,000) for the idle scenario.
import { Application } from '@sluice/core';

const port = Number(process.env.PORT);
const echo = (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
const app = new Application(process.env.MAX_CONNECTIONS ? { limits: { maxConnections: Number(process.env.MAX_CONNECTIONS) } } : {});
if (process.env.SERVER === 'takeover') {
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ noServer: true, clientTracking: false });
  app.use((ctx) => {
    if (ctx.get('Upgrade').toLowerCase() !== 'websocket') {
      ctx.status = 426;
      ctx.set('Upgrade', 'websocket');
      return;
    }
    const { socket, head } = ctx.takeover();
    wss.handleUpgrade(ctx.req, socket, head, echo);
  });
} else {
  const { websocket } = await import('@sluice/websocket');
  app.use(websocket('/', echo));
}
app.listen(port, '127.0.0.1');
