/**
 * The one backpressure loop every exchange uses for `pipeFrom`: a source's chunks written to the
 * exchange, the source paused while the exchange says it is full and resumed on drain, the
 * response ended with the source, aborted if it fails, the source destroyed if the client leaves.
 * Must never write a head or decide framing: the exchange has done that before calling it.
 */

import type { Readable } from 'node:stream';
import type { HttpExchange } from './http-exchange.js';

/** The exchange calls the loop needs. */
export type PumpTarget = Pick<HttpExchange, 'write' | 'onDrain' | 'end' | 'abort' | 'onClose' | 'finished'>;

/** Streams `source` into `exchange` (whose head is written) with backpressure. */
export function pumpBody(source: Readable, exchange: PumpTarget): void {
  const resume = (): void => {
    source.resume();
  };
  source.on('data', (chunk: Uint8Array | string) => {
    if (!exchange.write(chunk)) {
      if (exchange.finished) {
        source.destroy();
        return;
      }
      source.pause();
      exchange.onDrain(resume);
    }
  });
  source.once('end', () => exchange.end());
  source.once('error', () => exchange.abort());
  exchange.onClose(() => source.destroy());
}
