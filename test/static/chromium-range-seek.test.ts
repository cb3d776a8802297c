/**
 * Headless Chromium plays an audio file served by @sluice/static and seeks in it: the seeks reach their positions and
 * the bytes behind them come through Range requests answered 206 with the right Content-Range. The file is a 60 s PCM
 * WAV made here (11 MB: more than Chromium buffers ahead, so a far seek needs a new range; no encoder to install).
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Application } from '@sluice/core';
import { serveStatic } from '@sluice/static';
import { launchChromium, openPage } from '../browser/chromium.js';

const SECONDS = 60;
const SAMPLE_RATE = 48_000;
const CHANNELS = 2;
const BYTES_PER_SAMPLE = 2;
const BYTE_RATE = SAMPLE_RATE * CHANNELS * BYTES_PER_SAMPLE;
const HEADER_BYTES = 44;

/** A canonical 16-bit PCM WAV (RIFF header, then samples): a 440 Hz tone, louder each second, so no two seconds are alike. */
function wav(): Buffer {
  const frames = SECONDS * SAMPLE_RATE;
  const file = Buffer.alloc(HEADER_BYTES + frames * CHANNELS * BYTES_PER_SAMPLE);
  file.write('RIFF', 0, 'latin1');
  file.writeUInt32LE(file.length - 8, 4);
  file.write('WAVEfmt ', 8, 'latin1');
  file.writeUInt32LE(16, 16); // fmt chunk size
  file.writeUInt16LE(1, 20); // PCM
  file.writeUInt16LE(CHANNELS, 22);
  file.writeUInt32LE(SAMPLE_RATE, 24);
  file.writeUInt32LE(BYTE_RATE, 28);
  file.writeUInt16LE(CHANNELS * BYTES_PER_SAMPLE, 32);
  file.writeUInt16LE(BYTES_PER_SAMPLE * 8, 34);
  file.write('data', 36, 'latin1');
  file.writeUInt32LE(frames * CHANNELS * BYTES_PER_SAMPLE, 40);
  for (let i = 0, at = HEADER_BYTES; i < frames; i++) {
    const sample = Math.round(Math.sin((2 * Math.PI * 440 * i) / SAMPLE_RATE) * 500 * (1 + Math.floor(i / SAMPLE_RATE)));
    for (let c = 0; c < CHANNELS; c++, at += BYTES_PER_SAMPLE) file.writeInt16LE(sample, at);
  }
  return file;
}

// The page gives the test three steps to call: wait for metadata, seek and report where the element is, play past a time.
const PAGE = `<!DOCTYPE html><html><body><audio id="a" src="tone.wav" preload="metadata"></audio><script>
const a = document.getElementById('a');
const failed = new Promise((_, reject) => a.addEventListener('error', () => reject(new Error('media error: ' + (a.error && a.error.message)))));
const event = (name) => Promise.race([failed, new Promise((resolve) => a.addEventListener(name, resolve, { once: true }))]);
window.metadata = async () => { if (a.readyState < 1) await event('loadedmetadata'); return a.duration; };
window.seekTo = async (seconds) => { const seeked = event('seeked'); a.currentTime = seconds; await seeked; return a.currentTime; };
window.playPast = async (seconds) => {
  await a.play();
  while (a.currentTime < seconds) await event('timeupdate');
  a.pause();
  return a.currentTime;
};
</script></body></html>`;

/** One answer for the media: what Chromium asked (Range and its cache validators) and what the server said. */
interface Served {
  range: string;
  conditions: string;
  status: number;
  etag: string;
  contentRange: string;
  contentLength: string;
}

test('Chromium plays a WAV from serveStatic and seeks forward and back through 206 byte ranges', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-seek-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const media = wav();
  writeFileSync(join(dir, 'tone.wav'), media);
  writeFileSync(join(dir, 'index.html'), PAGE);

  const served: Served[] = [];
  const app = new Application();
  app.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/tone.wav') {
      served.push({
        range: ctx.get('Range'),
        conditions: ['If-None-Match', 'If-Modified-Since', 'If-Range'].filter((name) => ctx.get(name)).map((name) => `${name}: ${ctx.get(name)}`).join(', '),
        status: ctx.status,
        etag: ctx.response.get('ETag'),
        contentRange: ctx.response.get('Content-Range'),
        contentLength: ctx.response.get('Content-Length'),
      });
    }
  });
  app.use(serveStatic({ root: dir }));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => app.close(1000));

  const browser = await launchChromium(t, { args: ['--autoplay-policy=no-user-gesture-required'] });
  const { page } = await openPage(t, browser, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  t.teardown(() => {
    if (!t.passed) t.log(`tone.wav requests:\n${served.map((s) => `Range: ${s.range || '-'} (${s.conditions || 'unconditional'}) → ${s.status} ${s.contentRange}`).join('\n')}`);
  });

  t.is(await page.evaluate('metadata()'), SECONDS);
  const forward = Number(await page.evaluate('seekTo(45)'));
  t.true(Math.abs(forward - 45) < 0.1, `after seeking to 45 s the element is at ${forward}`);
  t.true(Number(await page.evaluate('playPast(45.5)')) >= 45.5);
  const back = Number(await page.evaluate('seekTo(10)'));
  t.true(Math.abs(back - 10) < 0.1, `after seeking to 10 s the element is at ${back}`);
  t.true(Number(await page.evaluate('playPast(10.5)')) >= 10.5);

  // Every answer for the media was a 206 whose Content-Range is exactly the range asked for (open ranges end at the last
  // byte), or a 304 when Chromium revalidated a range it had cached, with the ETag it had been given (RFC 9110 §13.2.2:
  // If-None-Match is evaluated before Range).
  const etag = served.find(({ status }) => status === 206)?.etag;
  t.regex(etag ?? '', /^"[^"]+"$/);
  t.true(served.length >= 2, `${served.length} requests for the media`);
  for (const { range, conditions, status, contentRange, contentLength } of served) {
    const asked = /^bytes=(\d+)-(\d*)$/.exec(range);
    t.truthy(asked, `Chromium asked with Range: ${range}`);
    if (!asked) continue;
    if (status === 304) {
      t.true(conditions.includes(`If-None-Match: ${etag}`), `304 to a request with ${conditions || 'no validators'}`);
      continue;
    }
    const first = Number(asked[1]);
    const last = asked[2] === '' ? media.length - 1 : Math.min(Number(asked[2]), media.length - 1);
    t.is(status, 206);
    t.is(contentRange, `bytes ${first}-${last}/${media.length}`);
    t.is(contentLength, String(last - first + 1));
  }
  // The forward seek was served by a 206 of its own, starting past what the first read covered and holding 45 s.
  const at45 = HEADER_BYTES + 45 * BYTE_RATE;
  t.true(served.some(({ range, status }) => {
    const first = Number(/^bytes=(\d+)-/.exec(range)?.[1]);
    return status === 206 && first > 0 && first <= at45 && at45 - first < 10 * BYTE_RATE;
  }), `no 206 started shortly before byte ${at45} (45 s)`);
});
