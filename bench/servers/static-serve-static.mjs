// Benchmark server: serve-static on node:http serving STATIC_ROOT on PORT (127.0.0.1), default options.
import http from 'node:http';
import serveStatic from 'serve-static';

const serve = serveStatic(process.env.STATIC_ROOT ?? '.');
http
  .createServer((req, res) => {
    serve(req, res, () => {
      res.statusCode = 404;
      res.end('Not Found');
    });
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
