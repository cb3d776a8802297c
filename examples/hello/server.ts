/**
 * The smallest sluice app: answers every request with "Hello World". PORT picks the port
 * (0 = any free one); the actual address is printed. SIGTERM/SIGINT close it gracefully:
 * requests in flight finish, idle keep-alive connections are closed.
 */
import type { AddressInfo } from 'node:net';
import { Application } from '@sluice/core';

const app = new Application();
app.use((ctx) => {
  ctx.body = 'Hello World';
});
const server = app.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void app.close(5000).then(() => process.exit(0));
  });
}
