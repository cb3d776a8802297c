/** The smallest sluice app: answers every request with "Hello World". */
import { Application } from '@sluice/core';

const app = new Application();
app.use((ctx) => {
  ctx.body = 'Hello World';
});
const port = Number(process.env.PORT ?? 8080);
app.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
