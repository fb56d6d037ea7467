// A reference track in the console, against a real daemon: the session's reference is
// selected and loaded when the session opens, the engineer switches the monitors to it from
// the top bar (the daemon echoes it), and its long-term spectrum is drawn over the EQ, at the
// loudness of the track being mastered.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startDaemon, startBrowser, openSession, waitFor, writeWav, screenshotDir } from './harness.js';

const RATE = 48000;

let daemon, browser, page, session;

/** `seconds` of a sum of sines ({f, a}) as 16-bit stereo. */
function tones(path, seconds, parts) {
  const frames = RATE * seconds;
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; ++i) {
    let v = 0;
    for (const { f, a } of parts) v += a * Math.sin((2 * Math.PI * f * i) / RATE);
    const s = Math.round(v * 32767);
    data.writeInt16LE(s, 4 * i);
    data.writeInt16LE(s, 4 * i + 2);
  }
  writeWav(path, data, { rate: RATE });
}

before(async () => {
  daemon = await startDaemon({ demo: false });
  const mix = join(daemon.dir, 'mix.wav');
  const loved = join(daemon.dir, 'loved.wav');
  tones(mix, 8, [{ f: 1000, a: 0.3 }]);
  tones(loved, 8, [{ f: 60, a: 0.3 }, { f: 250, a: 0.2 }, { f: 3000, a: 0.1 }]);
  ({ id: session } = await openSession(daemon, { title: 'With a reference', artist: 'Test' }, [{ file: mix, title: 'Mix' }]));
  await daemon.api('POST', `/api/sessions/${session}/references`, { file: loved, title: 'Loved record' });
  await daemon.api('POST', `/api/sessions/${session}/open`);  // selects the first reference
  browser = await startBrowser();
  page = await browser.open(`${daemon.base}/#token=${daemon.token}`);
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

test('the reference is selected, heard on the compare and drawn over the EQ', async () => {
  await page.waitForSelector('.references[data-ready="true"]', { state: 'attached', timeout: 30000 });
  assert.equal(await page.$eval('.references select', (s) => s.value), '1');
  assert.match(await page.$eval('.references select', (s) => s.selectedOptions[0].textContent), /Loved record/);

  await page.click('.topbar [data-choice="reference"]');
  await page.waitForSelector('.topbar [data-choice="reference"][aria-pressed="true"]', { timeout: 5000 });
  const state = await daemon.api('GET', '/api/state');
  assert.equal(state.values['/monitor/compare'], 'reference');

  // Third-octave bands from 20 Hz to 20 kHz, drawn as a dashed line over the EQ.
  await page.click('.stage-tile[data-stage="eq"] .stage-open');
  await waitFor('the reference drawn over the EQ',
    () => page.$eval('.eq-canvas', (c) => Number(c.dataset.referenceBands || 0)), 10000);
  assert.ok(await page.$eval('.eq-canvas', (c) => Number(c.dataset.referenceBands)) >= 28);

  // Choosing none stops it and puts the monitors back on the chain.
  await page.click('[role="tab"]:has-text("Snapshots")');
  await page.selectOption('.references select', '0');
  await page.waitForSelector('.topbar [data-choice="chain"][aria-pressed="true"]', { timeout: 5000 });
  await waitFor('the overlay removed', () => page.$eval('.eq-canvas', (c) => c.dataset.referenceBands === '0'), 5000);
  await page.selectOption('.references select', '1');
  await page.waitForSelector('.references[data-ready="true"]', { state: 'attached', timeout: 30000 });

  const { dir, done } = screenshotDir();
  await page.screenshot({ path: join(dir, 'reference-tablet.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(dir, 'reference-phone.png'), fullPage: true });
  done();
  assert.deepEqual(page.errors, []);
});
