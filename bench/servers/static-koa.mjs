// Benchmark server: koa-static (Koa 3) serving STATIC_ROOT on PORT (127.0.0.1), default options.
import Koa from 'koa';
import serve from 'koa-static';

const app = new Koa();
app.use(serve(process.env.STATIC_ROOT ?? '.'));
app.listen(Number(process.env.PORT), '127.0.0.1');
