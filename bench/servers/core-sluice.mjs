// sluice server for the core suite. PORT; SCENARIO = hello | chain | echo.
import { Application } from '@sluice/core';

const port = Number(process.env.PORT);
const scenario = process.env.SCENARIO ?? 'hello';
const app = new Application();
if (scenario === 'chain') {
  for (let i = 0; i < 10; i++) app.use((ctx, next) => next());
}
if (scenario === 'echo') {
  app.use(async (ctx) => {
    ctx.type = 'application/octet-stream';
    ctx.body = await ctx.request.buffer();
  });
} else {
  app.use((ctx) => {
    ctx.body = 'Hello, World!';
  });
}
app.listen(port, '127.0.0.1');
