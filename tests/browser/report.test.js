// The `lacquer analyze --html` report of a mix with planted defects, opened from disk in
// headless Chromium: no console errors, nothing fetched, every plot drawn, the defects marked
// on the timeline where they were planted, and no sideways scroll on a phone. With
// LACQUER_UPDATE_SCREENSHOTS=1 its screenshots become the documentation's.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LACQUER, startBrowser, screenshotDir, writeWav } from './harness.js';

const RATE = 48000;
const SECONDS = 24;
// Where the defects are, in seconds.
const CLIP_AT = 5.0;
const CLICK_AT = 9.5;
const GAP_AT = 14.0;
const GAP_S = 0.2;
const ANTIPHASE_AT = 17.0;  // for 2 s

let dir, browser, page;
const requests = [];
const failed = [];

/** A 24-bit stereo WAV of music-like material (a chord, kick, hats and a noise pad in an
 *  intro, verse and chorus) with planted defects. */
function writeDefectiveMix(path) {
  const n = RATE * SECONDS;
  const left = new Float64Array(n);
  const right = new Float64Array(n);
  let seed = 12345;
  const noise = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const chord = [110, 164.81, 220, 277.18, 329.63];
  // Section levels: intro, verse, chorus, and a last chorus cut off at the end.
  const sections = [[0, 0.35], [4, 0.6], [12, 1.0], [20, 0.85]];
  const level = (t) => sections.filter(([at]) => at <= t).at(-1)[1];
  let pad = 0;
  let env = 0;
  for (let i = 0; i < n; ++i) {
    const t = i / RATE;
    env += (level(t) - env) * 0.00005;
    let s = 0;
    for (const [k, f] of chord.entries()) s += Math.sin(2 * Math.PI * f * t + k) * 0.05;
    const beat = t % 0.5;
    s += Math.sin(2 * Math.PI * 55 * beat) * Math.exp(-beat * 18) * 0.3;       // kick
    const off = (t + 0.25) % 0.5;
    const hat = noise() * Math.exp(-off * 60) * 0.1;                              // hats
    pad += (noise() - pad) * 0.05;                                                // a dark noise pad
    left[i] = (s + hat + pad * 0.25) * env;
    right[i] = (s * 0.9 + hat * 1.1 + pad * 0.22) * env;
  }
  for (let i = 0; i < 8; ++i) left[CLIP_AT * RATE + i] = right[CLIP_AT * RATE + i] = 1.0;
  right[CLICK_AT * RATE] += 0.6;
  left.fill(0, GAP_AT * RATE, (GAP_AT + GAP_S) * RATE);
  right.fill(0, GAP_AT * RATE, (GAP_AT + GAP_S) * RATE);
  for (let i = ANTIPHASE_AT * RATE; i < (ANTIPHASE_AT + 2) * RATE; ++i) right[i] = -left[i];
  // It stops at full level: an abrupt end.
  const data = Buffer.alloc(n * 6);
  for (let i = 0; i < n; ++i) {
    for (const [c, v] of [left[i], right[i]].entries()) {
      data.writeIntLE(Math.round(Math.max(-1, Math.min(1, v)) * 8388607), i * 6 + c * 3, 3);
    }
  }
  writeWav(path, data, { rate: RATE, bits: 24 });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lacquer-report-'));
  const name = 'Defective <mix> & "friends".wav';
  writeDefectiveMix(join(dir, name));
  const html = join(dir, 'report.html');
  const run = spawnSync(LACQUER, ['analyze', name, '--html', 'report.html'], { cwd: dir, encoding: 'utf8', timeout: 120000 });
  assert.equal(run.status, 0, `lacquer analyze: ${run.stdout}${run.stderr}`);
  assert.ok(existsSync(html), 'the report was written');
  browser = await startBrowser();
  page = await browser.page();
  page.on('request', (r) => requests.push(r.url()));
  page.on('requestfailed', (r) => failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`file://${html}`);
  await page.waitForLoadState('load');
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the report opens without errors and fetches nothing', async () => {
  assert.deepEqual(page.errors, []);
  assert.deepEqual(failed, []);
  assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), []);
  assert.equal(await page.locator('script, link, img, iframe').count(), 0);
  // The file name is shown as text, never as markup.
  assert.match(await page.locator('.track-head h2').first().textContent(), /Defective <mix> & "friends"\.wav/);
});

test('every plot is drawn', async () => {
  for (const cls of ['chart-loudness', 'chart-true-peak', 'chart-waveform', 'chart-events', 'chart-spectrum']) {
    const svg = page.locator(`figure.${cls} svg.plot`);
    assert.equal(await svg.count(), 1, cls);
    const box = await svg.boundingBox();
    assert.ok(box.width > 600 && box.height > 40, `${cls} is ${box.width}×${box.height}`);
    const drawn = await svg.evaluate((s) => [...s.querySelectorAll('path, g.mark')].some((e) => {
      const r = e.getBBox();
      return r.width > 0 || r.height > 0;
    }));
    assert.ok(drawn, `${cls} has data`);
    assert.ok(await page.locator(`figure.${cls} .x-axis span`).count() >= 2, `${cls} has x labels`);
  }
  const curve = await page.locator('figure.chart-loudness path.short-term').getAttribute('d');
  assert.ok(curve.length > 100, 'a short-term loudness curve');
});

test('the planted defects are marked where they were planted', async () => {
  const marks = await page.$$eval('figure.chart-events g.mark', (gs) =>
    gs.map((g) => ({ type: g.dataset.type, time: Number(g.dataset.time), x: g.querySelector('line').getBoundingClientRect().x })));
  const near = (type, at, tolerance) => marks.find((m) => m.type === type && Math.abs(m.time - at) <= tolerance);
  const clip = near('clip', CLIP_AT, 0.01);
  const gap = near('dropout', GAP_AT, 0.01);
  assert.ok(clip, `a clip mark at ${CLIP_AT} s in ${JSON.stringify(marks)}`);
  assert.ok(gap, `a dropout mark at ${GAP_AT} s in ${JSON.stringify(marks)}`);
  // Drawn in proportion along the timeline.
  const area = await page.locator('figure.chart-events svg.plot').boundingBox();
  for (const m of [clip, gap]) {
    assert.ok(Math.abs(m.x - (area.x + (area.width * m.time) / SECONDS)) < 3, `${m.type} drawn at ${m.x}`);
  }
  // And listed in the table with the time to the millisecond.
  const rows = await page.locator('table.events tbody tr').allTextContents();
  assert.ok(rows.some((r) => r.includes('0:05.0') && /Clipping/.test(r)), rows.join('\n'));
});

test('the report fits a phone without sideways scroll, as its screenshots show', async () => {
  const { dir: shots, done } = screenshotDir();
  try {
    await page.setViewportSize({ width: 1100, height: 1400 });
    await page.screenshot({ path: join(shots, 'report.png') });
    for (const width of [390, 768]) {
      await page.setViewportSize({ width, height: 844 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${overflow} px of sideways scroll at ${width} px`);
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('.track-head').evaluate((e) => e.scrollIntoView());
    await page.screenshot({ path: join(shots, 'report-phone.png') });
  } finally {
    done();
  }
});
