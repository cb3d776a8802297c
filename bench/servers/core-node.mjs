// node:http baseline for the core suite: a bare handler. PORT; SCENARIO = hello | chain | echo.
import http from 'node:http';

const port = Number(process.env.PORT);
const scenario = process.env.SCENARIO ?? 'hello';
const server = http.createServer(
  scenario === 'echo'
    ? (req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
          res.end(body);
        });
      }
    : (req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 13 });
        res.end('Hello, World!');
      },
);
server.keepAliveTimeout = 5000;
server.listen(port, '127.0.0.1');
