/**
 * `serveStatic`: the middleware. Maps the request path under the root, applies the
 * dotfiles and symlink policies, resolves directories (redirect, index, listing) and
 * the extensions fallback, then answers for one file: representation (precompressed
 * variant), preconditions, ranges, body. Must never open a file for HEAD, 304, 412
 * or 416, and never answer for a path outside its mount prefix.
 */

import type { Readable } from 'node:stream';
import type { Context, Middleware } from '@sluice/core';
import { evaluatePreconditions, Outcome, type Validators } from './conditional.js';
import { readListing, renderListingHtml } from './directory-listing.js';
import { staticError } from './errors.js';
import { FileCache, type Entry, type FileEntry, type OtherEntry } from './file-cache.js';
import { multipartFromBuffer, multipartFromFile, planMultipart, type MultipartPlan } from './multipart.js';
import { resolveOptions, type Precompressed, type StaticConfig, type StaticOptions } from './options.js';
import { chooseEncoding, VARIANT_SUFFIX } from './precompressed.js';
import { decideRanges, type ByteRange, type RangeDecision } from './ranges.js';
import { mapUrlPath, type MappedPath } from './request-path.js';

type Next = () => Promise<void>;
/** A result now (the cached fast path) or later (when the file system must be asked). */
type Eventually<T> = T | Promise<T>;

const FULL: RangeDecision = { kind: 'full' };
const EMPTY = Buffer.alloc(0);
// A file that keeps changing between stat and read gets this many tries, then a 404.
const MAX_ATTEMPTS = 3;

/** A variant's tag differs from the identity one even if size and mtime coincide. */
function variantTag(tag: string | undefined, encoding: Precompressed): string | undefined {
  return tag === undefined ? undefined : `${tag.slice(0, -1)}-${encoding}"`;
}

/** The representation chosen for a request: the file itself or a precompressed variant. */
interface Representation {
  readonly entry: FileEntry;
  readonly validators: Validators;
  readonly encoding: Precompressed | undefined;
  /** Variants exist, so the answer depends on Accept-Encoding. */
  readonly vary: boolean;
}

/** What a GET/HEAD for a file will be answered with, decided before any byte is read. */
interface Reply {
  readonly file: FileEntry;
  readonly rep: Representation;
  status: number;
  contentType: string;
  length: number;
  range: ByteRange | undefined;
  plan: MultipartPlan | undefined;
}

/** The body of `reply` cut from a file held in memory. */
function fromMemory(contents: Buffer, reply: Reply): Buffer {
  if (reply.plan !== undefined) return multipartFromBuffer(reply.plan, contents);
  return reply.range === undefined ? contents : contents.subarray(reply.range.start, reply.range.end + 1);
}

class StaticHandler {
  readonly #config: StaticConfig;
  readonly #files: FileCache;

  constructor(config: StaticConfig) {
    this.#config = config;
    this.#files = new FileCache(config);
  }

  /**
   * Answers or passes on. Synchronous when the path's entry (and a small file's bytes) are
   * cached: no promise or microtask per request on the hot path.
   */
  handle(ctx: Context, next: Next): Eventually<void> {
    const config = this.#config;
    const path = ctx.path;
    if (path.charCodeAt(0) !== 0x2f) return next();
    let rest = path;
    if (config.prefix !== '') {
      if (!path.startsWith(config.prefix)) return next();
      rest = path.slice(config.prefix.length);
      if (rest !== '' && rest.charCodeAt(0) !== 0x2f) return next();
    }
    const method = ctx.method;
    if (method !== 'GET' && method !== 'HEAD') {
      if (config.fallthrough) return next();
      throw staticError('METHOD_NOT_ALLOWED', { Allow: 'GET, HEAD' });
    }
    if (rest === '') return config.redirect ? this.#redirectToDirectory(ctx, '') : this.#notFound(next);
    const mapped = mapUrlPath(rest);
    if (typeof mapped === 'string') {
      if (config.fallthrough) return next();
      throw staticError('BAD_PATH');
    }
    if (mapped.dotSegment && config.dotfiles !== 'allow') {
      if (config.dotfiles === 'deny') throw staticError('DOTFILE');
      return this.#notFound(next);
    }
    const entry = this.#files.get(mapped.relative);
    if (entry instanceof Promise) return entry.then((found) => this.#dispatch(ctx, next, mapped, found));
    return this.#dispatch(ctx, next, mapped, entry);
  }

  #dispatch(ctx: Context, next: Next, mapped: MappedPath, entry: Entry): Eventually<void> {
    const config = this.#config;
    switch (entry.kind) {
      case 'file':
        return mapped.trailingSlash ? this.#notFound(next) : this.#serveFile(ctx, next, entry);
      case 'directory':
        if (mapped.trailingSlash) return this.#serveDirectory(ctx, next, entry);
        return config.redirect ? this.#redirectToDirectory(ctx, mapped.relative) : this.#notFound(next);
      case 'outside':
        throw staticError('SYMLINK_OUTSIDE_ROOT');
      case 'hidden':
        return this.#notFound(next);
      case 'missing':
        return mapped.trailingSlash ? this.#notFound(next) : this.#tryExtensions(ctx, next, mapped.relative);
    }
  }

  #notFound(next: Next): Promise<void> {
    if (this.#config.fallthrough) return next();
    throw staticError('NOT_FOUND');
  }

  #redirectToDirectory(ctx: Context, relative: string): void {
    const encoded = relative === '' ? '' : relative.split('/').map(encodeURIComponent).join('/') + '/';
    ctx.status = 301;
    ctx.redirect(`${this.#config.prefix}/${encoded}${ctx.search}`);
  }

  /** `/about` → `about.html` (first extension that names a file). */
  async #tryExtensions(ctx: Context, next: Next, relative: string): Promise<void> {
    for (const extension of this.#config.extensions) {
      const entry = await this.#files.get(`${relative}.${extension}`);
      if (entry.kind === 'file') return this.#serveFile(ctx, next, entry);
      if (entry.kind === 'outside') throw staticError('SYMLINK_OUTSIDE_ROOT');
    }
    return this.#notFound(next);
  }

  async #serveDirectory(ctx: Context, next: Next, directory: OtherEntry): Promise<void> {
    const relative = directory.relative;
    for (const name of this.#config.index) {
      const entry = await this.#files.get(relative === '' ? name : `${relative}/${name}`);
      if (entry.kind === 'file') return this.#serveFile(ctx, next, entry);
      if (entry.kind === 'outside') throw staticError('SYMLINK_OUTSIDE_ROOT');
      if (entry.kind === 'hidden' && this.#files.isScript(name)) return this.#runIndex(ctx, relative, name);
    }
    if (!this.#config.listing) return this.#notFound(next);
    return this.#list(ctx, next, directory);
  }

  /**
   * An index that is a script (`index.php`) is run, never sent: an internal redirect to its
   * path through the whole chain, as nginx's `index` and Apache's `DirectoryIndex` do, so
   * its handler sees `/dir/index.php` (SCRIPT_NAME). Back here, it is hidden: no loop.
   */
  #runIndex(ctx: Context, relative: string, name: string): Promise<void> {
    const segments = relative === '' ? [name] : [...relative.split('/'), name];
    ctx.path = `${this.#config.prefix}/${segments.map(encodeURIComponent).join('/')}`;
    return ctx.app.dispatch(ctx);
  }

  async #list(ctx: Context, next: Next, directory: OtherEntry): Promise<void> {
    const config = this.#config;
    let listing;
    try {
      listing = await readListing(directory.path, {
        showDotfiles: config.dotfiles === 'allow',
        insideRoot: (path) => this.#files.insideRoot(path),
        maxEntries: config.listingMaxEntries,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw error;
      this.#files.invalidate(directory.relative);
      return this.#notFound(next);
    }
    const urlPath = `${config.prefix}/${directory.relative === '' ? '' : directory.relative + '/'}`;
    ctx.vary('Accept');
    ctx.set('Cache-Control', 'no-cache');
    if (config.nosniff) ctx.set('X-Content-Type-Options', 'nosniff');
    if (ctx.accepts('html', 'json') === 'json') {
      ctx.body = { path: urlPath, entries: listing.entries, truncated: listing.truncated };
    } else {
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = renderListingHtml(urlPath, listing.entries, listing.truncated);
    }
  }

  #serveFile(ctx: Context, next: Next, file: FileEntry): Eventually<void> {
    const answered = this.#answer(ctx, file);
    if (answered === true) return;
    return this.#serveFileAgain(ctx, next, file, answered);
  }

  /** The slow path of #serveFile: wait for the answer, and look the file up again if it changed meanwhile. */
  async #serveFileAgain(ctx: Context, next: Next, file: FileEntry, first: Eventually<boolean>): Promise<void> {
    if (await first) return;
    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
      // The file changed or vanished between stat and read: look again.
      let again: Entry | Promise<Entry> = this.#files.get(file.relative);
      if (again instanceof Promise) again = await again;
      if (again.kind !== 'file') break;
      file = again;
      if (await this.#answer(ctx, file)) return;
    }
    return this.#notFound(next);
  }

  /** The file itself, or the precompressed variant Accept-Encoding prefers. */
  #representation(ctx: Context, file: FileEntry): Eventually<Representation> {
    const variants = this.#config.precompressed.map((encoding) => this.#files.get(file.relative + VARIANT_SUFFIX[encoding]));
    if (variants.some((variant) => variant instanceof Promise)) return Promise.all(variants).then((found) => this.#chooseVariant(ctx, file, found));
    return this.#chooseVariant(ctx, file, variants as Entry[]);
  }

  #chooseVariant(ctx: Context, file: FileEntry, variants: readonly Entry[]): Representation {
    const preferred = this.#config.precompressed;
    const available = preferred.filter((_, i) => variants[i].kind === 'file');
    if (available.length === 0) return { entry: file, validators: file, encoding: undefined, vary: false };
    const chosen = chooseEncoding(ctx.get('accept-encoding') || undefined, available, preferred);
    if (chosen === 'identity') return { entry: file, validators: file, encoding: undefined, vary: true };
    const variant = variants[preferred.indexOf(chosen)] as FileEntry;
    const validators = { etag: variantTag(variant.etag, chosen), lastModified: variant.lastModified, lastModifiedMs: variant.lastModifiedMs };
    return { entry: variant, validators, encoding: chosen, vary: true };
  }

  /**
   * Answers a GET/HEAD for `file`. Yields false, having set nothing, when the file
   * changed or vanished before its bytes could be read (the caller looks again).
   */
  #answer(ctx: Context, file: FileEntry): Eventually<boolean> {
    if (this.#config.precompressed.length === 0) return this.#answerWith(ctx, file, { entry: file, validators: file, encoding: undefined, vary: false });
    const rep = this.#representation(ctx, file);
    return rep instanceof Promise ? rep.then((chosen) => this.#answerWith(ctx, file, chosen)) : this.#answerWith(ctx, file, rep);
  }

  #answerWith(ctx: Context, file: FileEntry, rep: Representation): Eventually<boolean> {
    const config = this.#config;
    const { entry, validators } = rep;

    // ctx.get scans the parsed head; building ctx.headers is left to the rare conditional request.
    const conditional = ctx.get('if-none-match') !== '' || ctx.get('if-modified-since') !== '' || ctx.get('if-match') !== '' || ctx.get('if-unmodified-since') !== '';
    const outcome = conditional ? evaluatePreconditions(ctx.headers, validators) : Outcome.Proceed;
    if (outcome === Outcome.PreconditionFailed) throw staticError('PRECONDITION_FAILED');
    if (outcome === Outcome.NotModified) {
      this.#setValidators(ctx, file, rep);
      ctx.status = 304;
      return true;
    }

    const size = entry.size;
    const decision = config.acceptRanges
      ? decideRanges(ctx.get('range') || undefined, ctx.get('if-range') || undefined, size, validators, config.maxRanges)
      : FULL;
    if (decision.kind === 'unsatisfiable') throw staticError('RANGE_NOT_SATISFIABLE', { 'Content-Range': `bytes */${size}` });

    const reply: Reply = { file, rep, status: 200, contentType: file.contentType, length: size, range: undefined, plan: undefined };
    if (decision.kind === 'partial') {
      reply.status = 206;
      if (decision.ranges.length === 1) {
        reply.range = decision.ranges[0];
        reply.length = reply.range.end - reply.range.start + 1;
      } else {
        reply.plan = planMultipart(decision.ranges, size, file.contentType);
        reply.length = reply.plan.length;
        reply.contentType = reply.plan.contentType;
      }
    }
    if (ctx.method !== 'GET') return this.#send(ctx, reply, undefined);
    const body = this.#body(ctx, reply);
    if (body instanceof Promise) return body.then((read) => read !== undefined && this.#send(ctx, reply, read));
    return body !== undefined && this.#send(ctx, reply, body);
  }

  /** Sets the response for `reply` with `body` (undefined for HEAD). */
  #send(ctx: Context, reply: Reply, body: Buffer | Readable | undefined): true {
    const config = this.#config;
    const { rep, range } = reply;
    this.#setValidators(ctx, reply.file, rep);
    ctx.status = reply.status;
    ctx.set('Content-Type', reply.contentType);
    if (config.acceptRanges) ctx.set('Accept-Ranges', 'bytes');
    if (rep.encoding !== undefined) ctx.set('Content-Encoding', rep.encoding);
    if (range !== undefined) ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${rep.entry.size}`);
    if (config.nosniff) ctx.set('X-Content-Type-Options', 'nosniff');
    if (body !== undefined) ctx.body = body;
    if (!Buffer.isBuffer(body)) ctx.length = reply.length;
    return true;
  }

  /**
   * The bytes to send: from memory for small files (synchronously once cached), else a
   * stream over an open file. Undefined if the file changed before it could be read.
   */
  #body(ctx: Context, reply: Reply): Eventually<Buffer | Readable | undefined> {
    const entry = reply.rep.entry;
    if (entry.size === 0) return EMPTY;
    if (entry.size > this.#config.memoryCacheMaxFileBytes) return this.#stream(ctx, entry, reply);
    if (entry.contents !== null) return fromMemory(entry.contents, reply);
    return this.#files.contents(entry).then((contents) => (contents === null ? undefined : fromMemory(contents, reply)));
  }

  async #stream(ctx: Context, entry: FileEntry, reply: Reply): Promise<Readable | undefined> {
    const opened = await this.#files.open(entry);
    if (opened === null) return undefined;
    if (opened.entry !== entry) {
      await opened.handle.close();
      return undefined;
    }
    const chunkBytes = this.#config.streamChunkBytes;
    const { range, plan } = reply;
    const stream = plan !== undefined
      ? multipartFromFile(plan, opened.handle, chunkBytes)
      : opened.handle.createReadStream({ start: range?.start ?? 0, end: range?.end ?? entry.size - 1, highWaterMark: chunkBytes });
    // If the client is gone before the body is piped, nothing else would close the file.
    ctx.onAbort(() => stream.destroy());
    return stream;
  }

  #setValidators(ctx: Context, file: FileEntry, rep: Representation): void {
    const { etag, lastModified } = rep.validators;
    if (etag !== undefined) ctx.set('ETag', etag);
    if (lastModified !== undefined) ctx.set('Last-Modified', lastModified);
    ctx.set('Cache-Control', file.cacheControl);
    if (rep.vary) ctx.vary('Accept-Encoding');
  }
}

/**
 * A middleware serving the files under `options.root` for GET and HEAD, with
 * validators and conditional requests, byte ranges, precompressed variants,
 * directory index/redirect/listing, and a short-lived stat and content cache.
 * Anything it does not serve goes to the next middleware (unless `fallthrough: false`),
 * so the application's own 404 page answers.
 *
 * @example
 * const app = new Application();
 * app.use(serveStatic({ root: 'public', maxAgeSeconds: 3600, precompressed: true }));
 * app.listen(8080);
 */
export function serveStatic(options: StaticOptions): Middleware {
  const handler = new StaticHandler(resolveOptions(options));
  return function serveStaticMiddleware(ctx, next) {
    return handler.handle(ctx, next);
  };
}
