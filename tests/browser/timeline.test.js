// The whole track on the timeline from the daemon's analysis, against a real daemon: a track
// loud, then silent, then quiet is drawn in full before it has played a second (the drawing's
// pixels follow the track's level and its short-term loudness), the playhead moves over it,
// and an invited client's review page draws it as well.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startDaemon, startBrowser, openSession, waitFor, writeWav, screenshotDir } from './harness.js';

const RATE = 48000;
const SECONDS = 12;
const LOUD_END = 4;  // 0..4 s at -2 dBFS
const QUIET_START = 9;  // 4..9 s digital silence, 9..12 s at -14 dBFS
const WAVE = [75, 90, 112];  // the waveform's colour, not yet played
const PLAYED = [127, 149, 179];  // and where the playhead has passed
const LOUDNESS = [217, 164, 65];  // the short-term loudness line
const PLAYHEAD = [241, 230, 208];

let daemon, browser, page, session, track;

function shapedWav(path) {
  const frames = RATE * SECONDS;
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; ++i) {
    const t = i / RATE;
    const amp = t < LOUD_END ? 0.8 : t < QUIET_START ? 0 : 0.2;
    const v = Math.round(amp * Math.sin((2 * Math.PI * 220 * i) / RATE) * 32767);
    data.writeInt16LE(v, 4 * i);
    data.writeInt16LE(v, 4 * i + 2);
  }
  writeWav(path, data, { rate: RATE });
}

/** Per time asked, the pixels of the timeline's column there: how many have each colour,
 *  and the highest row (smallest y) of the loudness line. */
async function columns(p, times) {
  return p.evaluate(({ times, seconds, colours }) => {
    const canvas = document.querySelector('.timeline-canvas');
    const g = canvas.getContext('2d');
    // Within a few steps of a colour; the loudness line, drawn over the waveform with
    // anti-aliased slopes, may be a blend that is still clearly amber.
    const near = (d, k, c) => (c === colours.loudness ? d[k] > 170 && d[k + 1] > 120 && d[k + 2] < 110
      : Math.abs(d[k] - c[0]) <= 8 && Math.abs(d[k + 1] - c[1]) <= 8 && Math.abs(d[k + 2] - c[2]) <= 8);
    return times.map((t) => {
      const x = Math.min(canvas.width - 1, Math.round((t / seconds) * canvas.width));
      const d = g.getImageData(x, 0, 1, canvas.height).data;
      const out = { t, lineY: null };
      for (const [name, c] of Object.entries(colours)) out[name] = 0;
      for (let y = 0; y < canvas.height; ++y) {
        for (const [name, c] of Object.entries(colours)) {
          if (!near(d, 4 * y, c)) continue;
          ++out[name];
          if (name === 'loudness' && out.lineY === null) out.lineY = y / (window.devicePixelRatio || 1);
        }
      }
      return out;
    });
  }, { times, seconds: SECONDS, colours: { wave: WAVE, played: PLAYED, loudness: LOUDNESS, playhead: PLAYHEAD } });
}

before(async () => {
  daemon = await startDaemon({ demo: false });
  const file = join(daemon.dir, 'shaped.wav');
  shapedWav(file);
  ({ id: session, trackIds: [track] } = await openSession(daemon, { title: 'Shapes', artist: 'Test' }, [{ file, title: 'Loud, silent, quiet' }]));
  browser = await startBrowser();
  // The page opens while the daemon may still be analysing: the drawing comes with the push.
  page = await browser.open(`${daemon.base}/#token=${daemon.token}`);
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

test('the whole track is drawn from the analysis before it plays', async () => {
  await page.waitForSelector('.timeline-canvas[data-overview="analysis"]', { timeout: 30000 });
  const state = await daemon.api('GET', '/api/state');
  assert.equal(state.transport.playing, false);
  assert.equal(state.transport.position_s, 0);
  const [loud, lateLoud, silent, quiet] = await columns(page, [1.0, 3.5, 8.5, 11.2]);
  // Loud and quiet in proportion (0.8 against 0.2 of full scale), silence one pixel at most.
  for (const c of [loud, lateLoud]) assert.ok(c.wave >= 24, `loud part: ${JSON.stringify(c)}`);
  assert.ok(quiet.wave >= 5 && quiet.wave <= loud.wave / 2.5, `quiet part: ${JSON.stringify(quiet)} against ${JSON.stringify(loud)}`);
  assert.ok(silent.wave <= 1, `silence: ${JSON.stringify(silent)}`);
  // Short-term loudness: higher on the loud part than on the quiet one (12 dB apart on a
  // 40 LU scale over the drawing), and no line where three seconds were silent.
  assert.ok(loud.lineY !== null && quiet.lineY !== null, JSON.stringify([loud, quiet]));
  const report = await daemon.api('GET', `/api/sessions/${session}/tracks/${track}/analysis`);
  const drawn = (await page.$eval('.timeline-canvas', (c) => c.clientHeight)) / 2 - 14;  // half the drawing's height
  const st = report.loudness_curve.short_term;
  const lufsAt = (t) => st[Math.floor(t / report.loudness_curve.hop_s)];
  const expected = ((lufsAt(3.5) - lufsAt(11.2)) / 40) * 2 * drawn;
  assert.ok(Math.abs(quiet.lineY - lateLoud.lineY - expected) <= 3,
    `loudness line ${lateLoud.lineY} vs ${quiet.lineY}, expected ${expected.toFixed(1)} px apart`);
  assert.equal(silent.loudness, 0, `a loudness line in silence: ${JSON.stringify(silent)}`);
  assert.equal(loud.played, 0, 'nothing has played yet');
  assert.deepEqual(page.errors, []);
});

test('the playhead moves over the drawing; what has played is brighter', async () => {
  const box = await page.locator('.timeline-canvas').boundingBox();
  await page.mouse.click(box.x + box.width * (6 / SECONDS), box.y + box.height / 2);
  await waitFor('the transport at 6 s', async () => {
    const p = (await daemon.api('GET', '/api/state')).transport.position_s;
    return Math.abs(p - 6) < 0.1;
  }, 3000);
  await page.waitForFunction(() => document.querySelector('.clock')?.textContent.startsWith('0:06.'), null, { timeout: 3000 });
  const [loud, atHead, quiet] = await columns(page, [2.0, 6.0, 11.2]);
  assert.ok(loud.played >= 24 && loud.wave === 0, `before the playhead: ${JSON.stringify(loud)}`);
  assert.ok(atHead.playhead >= box.height - 2, `the playhead at 6 s: ${JSON.stringify(atHead)}`);
  assert.ok(quiet.wave >= 5 && quiet.played === 0, `after the playhead: ${JSON.stringify(quiet)}`);
  const { dir, done } = screenshotDir();
  await page.locator('.transport').screenshot({ path: join(dir, 'timeline.png') });
  done();
});

test('an invited client\'s review page draws the whole track too', async () => {
  const invite = await daemon.api('POST', `/api/sessions/${session}/invites`, { name: 'Artist' });
  const client = await browser.open(daemon.base + '/' + new URL(invite.url, daemon.base).hash);
  await client.waitForSelector('.timeline-canvas[data-overview="analysis"]', { timeout: 10000 });
  const [loud, silent] = await columns(client, [1.0, 8.5]);
  assert.ok(loud.wave + loud.played >= 24, JSON.stringify(loud));
  assert.ok(silent.wave + silent.played <= 1, JSON.stringify(silent));
  assert.deepEqual(client.errors, []);
  await client.close();
});
