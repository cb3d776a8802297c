/**
 * Serves the Flask application in ./app.py with sluice (needs Flask for the Python used:
 * Debian's python3-flask with /usr/bin/python3).
 * Run: node --loader ts-node/esm --conditions=sluice-source examples/wsgi/flask/server.ts
 */
import { fileURLToPath } from 'node:url';
import { Application } from '@sluice/core';
import { wsgi } from '@sluice/wsgi-bridge';

const app = new Application();
const flask = wsgi({
  app: 'app:app',
  cwd: fileURLToPath(new URL('.', import.meta.url)),
  python: process.env.PYTHON ?? '/usr/bin/python3',
  workers: Number(process.env.WORKERS ?? 2),
  logger: app.logger,
});
app.use(flask);
await flask.ready();
const port = Number(process.env.PORT ?? 8080);
app.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
process.once('SIGTERM', () => void app.close().then(() => flask.close()));
process.once('SIGINT', () => void app.close().then(() => flask.close()));
