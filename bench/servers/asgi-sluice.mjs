// Benchmark server: sluice + @sluice/asgi-bridge serving an ASGI app (the built packages).
// Usage: node bench/servers/asgi-sluice.mjs <port> <module:attr> <cwd> <workers> [python]
import { Application } from '@sluice/core';
import { asgi } from '@sluice/asgi-bridge';

const [port, appSpec, cwd, workers, python = '/usr/bin/python3'] = process.argv.slice(2);
const app = new Application();
const bridge = asgi({ app: appSpec, cwd, workers: Number(workers), python, logger: app.logger });
app.use(bridge);
await bridge.ready();
app.listen(Number(port), '127.0.0.1');
const stop = () => void app.close(1000).then(() => bridge.close(1000)).then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
