// node:http2's core API (streams, no compatibility layer) for the http2 suite: the baseline.
// PORT; SCENARIO = hello | static (ROOT: the file is read per request, as a server without a cache
// would); TLS=1 for h2 over TLS (KEY, CERT), else h2c.
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';

const port = Number(process.env.PORT);
const server = process.env.TLS === '1'
  ? http2.createSecureServer({ key: readFileSync(process.env.KEY), cert: readFileSync(process.env.CERT) })
  : http2.createServer();
const hello = Buffer.from('Hello, World!');
server.on('stream', (stream, headers) => {
  if (process.env.SCENARIO === 'static') {
    readFile(path.join(process.env.ROOT, headers[':path'])).then(
      (data) => {
        stream.respond({ ':status': 200, 'content-type': 'text/plain; charset=utf-8', 'content-length': data.length });
        stream.end(data);
      },
      () => stream.respond({ ':status': 404 }, { endStream: true }),
    );
    return;
  }
  stream.respond({ ':status': 200, 'content-type': 'text/plain; charset=utf-8', 'content-length': hello.length });
  stream.end(hello);
});
server.listen(port, '127.0.0.1');
