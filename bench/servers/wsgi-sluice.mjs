// Benchmark server: sluice + @sluice/wsgi-bridge serving a WSGI app (the built packages).
// Usage: node bench/servers/wsgi-sluice.mjs <port> <module:callable> <cwd> <workers> [python]
import { Application } from '@sluice/core';
import { wsgi } from '@sluice/wsgi-bridge';

const [port, appSpec, cwd, workers, python = '/usr/bin/python3'] = process.argv.slice(2);
const app = new Application();
const bridge = wsgi({ app: appSpec, cwd, workers: Number(workers), python, logger: app.logger });
app.use(bridge);
await bridge.ready();
app.listen(Number(port), '127.0.0.1');
const stop = () => void app.close(1000).then(() => bridge.close(1000)).then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
