// The console's QC on the timeline against a real daemon: a track with a planted clip and
// click, added through the API and analysed by the daemon, shows its events as marks and
// its loudness summary; tapping a mark locates the transport there and selects it, and
// "Note this" files it as an observation that the client's review page lists; the
// streaming services table shows each service's gain and the true peak after it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startDaemon, startBrowser, waitFor, writeWav, screenshotDir } from './harness.js';

const RATE = 48000;
const SECONDS = 12;
const CLIP_AT = 3.0;
const CLICK_AT = 7.25;

let daemon, browser, page, client, session, track;

/** The mark of the planted click (the clipped run's edges are clicks too). */
async function clickMark() {
  const times = await page.$$eval('.qc-mark[data-type="click"]', (nodes) => nodes.map((n) => n.dataset.time));
  const time = times.find((t) => Math.abs(Number(t) - CLICK_AT) <= 0.01);
  assert.ok(time, `a click mark at ${CLICK_AT} s among ${times}`);
  return page.locator(`.qc-mark[data-type="click"][data-time="${time}"]`);
}

/** 16-bit stereo WAV: a 220 Hz sine at -10 dBFS with faded ends, a run of 6 full-scale
 * samples on the left at CLIP_AT and a single-sample click on the right at CLICK_AT. */
function defectiveWav(path) {
  const frames = RATE * SECONDS;
  const data = Buffer.alloc(frames * 4);
  const fade = RATE / 10;
  for (let i = 0; i < frames; ++i) {
    const env = Math.min(1, i / fade, (frames - 1 - i) / fade);
    const v = Math.round(0.316 * env * Math.sin((2 * Math.PI * 220 * i) / RATE) * 32767);
    data.writeInt16LE(v, 4 * i);
    data.writeInt16LE(v, 4 * i + 2);
  }
  const clip = Math.round(CLIP_AT * RATE);
  for (let i = 0; i < 6; ++i) data.writeInt16LE(32767, 4 * (clip + i));
  const click = Math.round(CLICK_AT * RATE);
  data.writeInt16LE(data.readInt16LE(4 * click + 2) + 13000, 4 * click + 2);
  writeWav(path, data, { rate: RATE });
}

before(async () => {
  daemon = await startDaemon({ demo: false });
  const file = join(daemon.dir, 'defective.wav');
  defectiveWav(file);
  session = (await daemon.api('POST', '/api/sessions', { title: 'QC', artist: 'Test' })).id;
  track = (await daemon.api('POST', `/api/sessions/${session}/tracks`, { file, title: 'Defective' })).id;
  await waitFor('the daemon to analyse the track', async () => {
    try {
      return await daemon.api('GET', `/api/sessions/${session}/tracks/${track}/analysis`);
    } catch {
      return null;
    }
  }, 30000);
  await daemon.api('POST', `/api/sessions/${session}/open`);
  browser = await startBrowser();
  page = await browser.page();
  await page.goto(`${daemon.base}/#token=${daemon.token}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

test('the timeline shows the track\'s QC events and loudness summary', async () => {
  await page.waitForSelector('.qc-mark[data-type="click"]', { timeout: 10000 });
  const marks = await page.$$eval('.qc-mark', (nodes) => nodes.map((n) => ({ type: n.dataset.type, time: Number(n.dataset.time) })));
  assert.ok(marks.some((m) => m.type === 'clip' && Math.abs(m.time - CLIP_AT) <= 0.01), JSON.stringify(marks));
  assert.ok(marks.some((m) => m.type === 'click' && Math.abs(m.time - CLICK_AT) <= 0.01), JSON.stringify(marks));
  const summary = await page.textContent('.qc-summary');
  assert.match(summary, /LUFS integrated .* true peak -?\d+\.\d dBTP · \d+ events?/);
  // The marks sit along the timeline in proportion to their times.
  const line = await page.locator('.timeline-track').boundingBox();
  const box = await (await clickMark()).boundingBox();
  const expected = line.x + (CLICK_AT / SECONDS) * line.width;
  assert.ok(Math.abs(box.x + box.width / 2 - expected) < 4, `mark at ${box.x + box.width / 2}, expected ${expected}`);
  assert.deepEqual(page.errors, []);
});

test('tapping an event mark locates the transport there', async () => {
  const mark = await clickMark();
  const time = Number(await mark.getAttribute('data-time'));
  await mark.click();
  const position = await waitFor('the transport at the event', async () => {
    const state = await daemon.api('GET', '/api/state');
    const p = state.transport?.position_s;
    return Math.abs(p - time) < 0.01 ? p : null;
  }, 3000);
  assert.ok(Math.abs(position - CLICK_AT) < 0.02, `position ${position}`);
  await page.waitForFunction(() => document.querySelector('.clock')?.textContent.startsWith('0:07.'), null, { timeout: 3000 });
});

test('"Note this" on a selected event files an observation for the client', async () => {
  const mark = await clickMark();
  await mark.click();
  assert.equal(await mark.getAttribute('aria-pressed'), 'true');
  await page.waitForSelector('.qc-note:not([hidden])', { timeout: 3000 });
  assert.equal(await page.getAttribute('.qc-note-text', 'placeholder'), 'click, right channel');
  await page.click('.qc-note-button');
  const stored = await waitFor('the observation', async () => {
    const list = await daemon.api('GET', `/api/sessions/${session}/observations`);
    return list.length ? list : null;
  }, 3000);
  assert.equal(stored.length, 1);
  assert.equal(stored[0].track, track);
  assert.equal(stored[0].topic, 'click');
  assert.match(stored[0].text, /^0:07\.[23] · click, right channel$/);
  assert.ok(await page.isHidden('.qc-note'));

  // In the engineer's own words.
  await mark.click();
  await page.fill('.qc-note-text', 'tick on the snare');
  await page.click('.qc-note-button');
  const both = await waitFor('the second observation', async () => {
    const list = await daemon.api('GET', `/api/sessions/${session}/observations`);
    return list.length === 2 ? list : null;
  }, 3000);
  assert.match(both[1].text, /^0:07\.[23] · tick on the snare$/);
  assert.deepEqual(page.errors, []);

  // The invited client's review page lists both under the track's title.
  const invite = await daemon.api('POST', `/api/sessions/${session}/invites`, { name: 'Artist' });
  client = await browser.page();
  await client.goto(daemon.base + '/' + new URL(invite.url, daemon.base).hash);
  await client.waitForSelector('.observations:not([hidden]) li', { timeout: 10000 });
  const items = await client.$$eval('.observation-list li', (nodes) => nodes.map((n) => n.textContent));
  assert.equal(items.length, 2, JSON.stringify(items));
  assert.match(items[0], /^Defective: 0:07\.[23] · click, right channel$/);
  assert.match(items[1], /^Defective: 0:07\.[23] · tick on the snare$/);
  assert.deepEqual(client.errors, []);
});

test('the streaming services table shows each service\'s gain and the true peak after it', async () => {
  const report = await daemon.api('GET', `/api/sessions/${session}/tracks/${track}/analysis`);
  const { integrated_lufs: lufs, true_peak_dbtp: peak } = report.loudness;
  assert.ok(report.platforms.length >= 4, JSON.stringify(report.platforms));
  await page.click('.qc-platforms summary');
  const rows = await page.$$eval('.qc-platforms tbody tr', (trs) => trs.map((tr) =>
    ({ name: tr.dataset.name, cells: [...tr.children].map((td) => td.textContent), over: tr.children[2].dataset.over })));
  assert.equal(rows.length, report.platforms.length);
  const signed = (v) => `${v > 0 ? '+' : ''}${v.toFixed(1)}`;
  let turnedDown = 0;
  for (const [i, p] of report.platforms.entries()) {
    assert.deepEqual(rows[i].cells, [p.label || p.name, signed(p.gain_db), signed(p.true_peak_after_dbtp)]);
    assert.equal(rows[i].over, String(p.true_peak_after_dbtp > -1));
    // The -10.9 LUFS track is louder than every target: each service turns it down to its
    // target, and the peak comes down by as much.
    if (p.target_lufs < lufs) {
      assert.equal(rows[i].cells[1], signed(p.target_lufs - lufs), p.name);
      assert.equal(rows[i].cells[2], signed(peak + p.target_lufs - lufs), p.name);
      ++turnedDown;
    }
  }
  assert.ok(turnedDown >= 3, `${turnedDown} services turn the track down`);
});

test('the QC strip with the services table and "Note this" open and the client\'s list fit tablet and phone widths', async () => {
  const { dir, done } = screenshotDir();
  const box = (p, selector) => p.locator(selector).boundingBox();
  const apart = (a, b) => a.y + a.height <= b.y + 0.5 || b.y + b.height <= a.y + 0.5 ||
    a.x + a.width <= b.x + 0.5 || b.x + b.width <= a.x + 0.5;
  for (const [name, w, h] of [['tablet', 1024, 768], ['phone', 390, 844]]) {
    await page.setViewportSize({ width: w, height: h });
    await client.setViewportSize({ width: w, height: h });
    await (await clickMark()).click();
    await page.waitForSelector('.qc-note:not([hidden])', { timeout: 3000 });
    await page.locator('.qc-note').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(dir, `qc-console-${name}.png`) });
    await client.locator('.observations').scrollIntoViewIfNeeded();
    await client.screenshot({ path: join(dir, `qc-review-${name}.png`) });
    const [track, summary, platforms, form, input, button] = await Promise.all(['.timeline-track', '.qc-summary',
      '.qc-platforms', '.qc-note', '.qc-note-text', '.qc-note-button'].map((s) => box(page, s)));
    for (const [a, b, what] of [[track, summary, 'timeline/summary'], [summary, platforms, 'summary/services'],
      [platforms, form, 'services/form'], [track, form, 'timeline/form'], [input, button, 'input/button']]) {
      assert.ok(apart(a, b), `${name}: ${what} overlap: ${JSON.stringify([a, b])}`);
    }
    assert.ok(button.x + button.width <= w, `${name}: "Note this" is cut off`);
    for (const p of [page, client]) {
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name}: the page scrolls sideways by ${overflow} px`);
    }
  }
  done();
});
