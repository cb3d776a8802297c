/**
 * CGI example: /cgi-bin runs the sh, Python and Perl programs in ./cgi-bin; *.php under
 * ./public runs through php-cgi (when installed); /git serves the bare repositories under
 * GIT_PROJECT_ROOT through `git http-backend` (when set). PORT picks the port (0 = any).
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Application } from '@sluice/core';
import { cgi, type CgiOptions } from '@sluice/cgi';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const options: CgiOptions = { mounts: { '/cgi-bin': here('./cgi-bin') }, env: {} };
if (existsSync('/usr/bin/php-cgi')) {
  options.root = here('./public');
  options.interpreters = { '.php': '/usr/bin/php-cgi' };
}
const gitBackend = '/usr/lib/git-core/git-http-backend';
if (process.env.GIT_PROJECT_ROOT && existsSync(gitBackend)) {
  options.programs = { '/git': gitBackend };
  options.env = { GIT_PROJECT_ROOT: process.env.GIT_PROJECT_ROOT, GIT_HTTP_EXPORT_ALL: '1' };
}

const app = new Application();
const middleware = cgi(options);
app.use(middleware);
const server = app.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void app.close(5000).then(() => middleware.close()).then(() => process.exit(0));
  });
}
