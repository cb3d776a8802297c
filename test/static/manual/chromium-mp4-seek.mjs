// Manual check (not part of `pnpm test`: it needs chromium and ffmpeg, ~400 MB of Debian packages):
// Chromium plays an MP4 served by @sluice/static and seeks in it, through byte ranges.
//
//   apt-get install -y --no-install-recommends chromium ffmpeg
//   pnpm -r build && node test/static/manual/chromium-mp4-seek.mjs
//
// Makes a 60 s H.264 test video with ffmpeg (moov box at the end, so the player must ask for
// the tail first), serves it with serveStatic, loads a page in headless Chromium that seeks to
// 45 s, plays, seeks back to 10 s and plays again, then prints what the page saw and every
// request the server answered (Range → status, Content-Range). Exits 1 if a seek failed or no
// 206 was served.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Application } from '@sluice/core';
import { serveStatic } from '@sluice/static';

const dir = mkdtempSync(join(tmpdir(), 'sluice-mp4-'));
const made = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=60:size=640x360:rate=25',
  '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '2M', '-g', '25', '-pix_fmt', 'yuv420p', '-y', join(dir, 'video.mp4')]);
if (made.status !== 0) {
  console.error(`ffmpeg failed (is it installed?): ${made.stderr}`);
  process.exit(2);
}
writeFileSync(join(dir, 'index.html'), `<!DOCTYPE html><html><body><video id="v" src="video.mp4" muted preload="metadata"></video>
<pre id="result">pending</pre><script>
const v = document.getElementById('v'); const log = [];
const wait = (event) => new Promise((resolve) => v.addEventListener(event, resolve, { once: true }));
const say = (line) => { log.push(line); document.getElementById('result').textContent = log.join('\\n'); };
(async () => {
  try {
    if (v.readyState < 1) await wait('loadedmetadata');
    say('duration ' + v.duration.toFixed(2));
    for (const target of [45, 10]) {
      v.currentTime = target; await wait('seeked');
      say('seeked to ' + target + ': currentTime ' + v.currentTime.toFixed(2));
      await v.play(); await new Promise((r) => setTimeout(r, 1000)); v.pause();
      say('played to ' + v.currentTime.toFixed(2) + ' readyState ' + v.readyState);
    }
    say('DONE');
  } catch (e) { say('ERROR ' + e); }
})();
v.addEventListener('error', () => say('MEDIA ERROR ' + (v.error && v.error.message)));
</script></body></html>`);

const requests = [];
const app = new Application();
app.use(async (ctx, next) => {
  await next();
  requests.push(`${ctx.method} ${ctx.path} Range: ${ctx.get('Range') || '-'} → ${ctx.status} ${ctx.response.get('Content-Range') || ''}`);
});
app.use(serveStatic({ root: dir }));
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;

const chromium = await new Promise((resolve) => {
  const child = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required',
    '--virtual-time-budget=30000', '--dump-dom', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  child.on('close', (code) => {
    clearTimeout(timer);
    resolve({ code, out });
  });
});
await app.close(1000);
rmSync(dir, { recursive: true, force: true });

const page = /<pre id="result">([^<]*)<\/pre>/.exec(chromium.out)?.[1] ?? `(no result; chromium exited ${chromium.code})`;
console.log(`${spawnSync('chromium', ['--version'], { encoding: 'utf8' }).stdout.trim()}\n\nwhat the page saw:\n${page}\n\nrequests served:\n${requests.join('\n')}`);
const seeks = [...page.matchAll(/seeked to (\d+): currentTime ([\d.]+)/g)];
const ok = page.includes('DONE') && seeks.length === 2 && seeks.every(([, target, at]) => Math.abs(Number(at) - Number(target)) < 1.5) &&
  requests.some((line) => line.includes('→ 206'));
console.log(`\n${ok ? 'PASS' : 'FAIL'}: Chromium ${ok ? 'played and seeked' : 'did not play and seek'} through byte ranges`);
process.exit(ok ? 0 : 1);
