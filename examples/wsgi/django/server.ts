/**
 * Serves the example Django project (./mysite, ./notes) with sluice: the admin and a
 * CSRF-protected notes form. First create the database:
 *   cd examples/wsgi/django && /usr/bin/python3 manage.py migrate && /usr/bin/python3 manage.py createsuperuser
 * Run: node --loader ts-node/esm --conditions=sluice-source examples/wsgi/django/server.ts
 */
import { fileURLToPath } from 'node:url';
import { Application } from '@sluice/core';
import { wsgi } from '@sluice/wsgi-bridge';

const app = new Application();
const django = wsgi({
  app: 'mysite.wsgi:application',
  cwd: fileURLToPath(new URL('.', import.meta.url)),
  python: process.env.PYTHON ?? '/usr/bin/python3',
  workers: Number(process.env.WORKERS ?? 2),
  reload: process.env.RELOAD === '1',
  logger: app.logger,
});
app.use(django);
await django.ready();
const port = Number(process.env.PORT ?? 8000);
app.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
process.once('SIGTERM', () => void app.close().then(() => django.close()));
process.once('SIGINT', () => void app.close().then(() => django.close()));
