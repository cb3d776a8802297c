// Koa 3 peer for the core suite. PORT; SCENARIO = hello | chain | echo.
import Koa from 'koa';

const port = Number(process.env.PORT);
const scenario = process.env.SCENARIO ?? 'hello';
const app = new Koa();
if (scenario === 'chain') {
  for (let i = 0; i < 10; i++) app.use((ctx, next) => next());
}
if (scenario === 'echo') {
  app.use(async (ctx) => {
    const chunks = [];
    for await (const c of ctx.req) chunks.push(c);
    ctx.type = 'application/octet-stream';
    ctx.body = Buffer.concat(chunks);
  });
} else {
  app.use((ctx) => {
    ctx.body = 'Hello, World!';
  });
}
app.listen(port, '127.0.0.1');
