/** Runs the custom-method example: `PORT=8080 node --loader ts-node/esm examples/custom-method/server.ts`. */
import { createApp } from './app.js';

const port = Number(process.env.PORT ?? 8080);
const { app } = createApp();
app.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port} — try: curl -X PURGE http://127.0.0.1:${port}/report`));
