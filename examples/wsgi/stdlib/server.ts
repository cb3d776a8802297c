/**
 * Serves the standard-library WSGI application in ./app.py with sluice.
 * Run: node --loader ts-node/esm --conditions=sluice-source examples/wsgi/stdlib/server.ts
 * (PORT, PYTHON and WORKERS may be set in the environment).
 */
import { fileURLToPath } from 'node:url';
import { Application } from '@sluice/core';
import { wsgi } from '@sluice/wsgi-bridge';

const app = new Application();
const python = wsgi({
  app: 'app:application',
  cwd: fileURLToPath(new URL('.', import.meta.url)),
  python: process.env.PYTHON ?? 'python3',
  workers: Number(process.env.WORKERS ?? 2),
  logger: app.logger,
});
app.use(python);
await python.ready();
const port = Number(process.env.PORT ?? 8080);
app.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
process.once('SIGTERM', () => void app.close().then(() => python.close()));
process.once('SIGINT', () => void app.close().then(() => python.close()));
