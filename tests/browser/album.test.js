// The console's album panel against a real daemon and its album routes: a session of three
// analysed tracks of different loudness shows the release and the tracks in order with
// each one's loudness, LRA and true peak beside the album's spread; the engineer edits the
// release and a track (a refused value keeps its field with the daemon's reason), reorders
// tracks by dragging, by the arrow keys and by the buttons, and sees another console's
// change; at tablet and phone sizes nothing overlaps.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startDaemon, startBrowser, openSession, waitFor, writeWav, screenshotDir } from './harness.js';
import { overlaps, sideways } from './layout.js';

const RATE = 48000;
const TRACKS = [['Opener', 0.1], ['Loud one', 0.5], ['Ballad', 0.03]];  // title, sine amplitude

let daemon, browser, page, session, ids;

function sineWav(path, amplitude, hz) {
  const frames = RATE * 5;
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; ++i) {
    const v = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / RATE) * 32767);
    data.writeInt16LE(v, 4 * i);
    data.writeInt16LE(v, 4 * i + 2);
  }
  writeWav(path, data, { rate: RATE });
}

const album = () => daemon.api('GET', `/api/sessions/${session}/album`);
const order = async () => (await album()).tracks.map((t) => t.id);
const shownOrder = () => page.$$eval('.album-track', (rows) => rows.map((r) => Number(r.dataset.track)));

/** What the daemon answers `body` sent to `path` with: its refusal's reason. */
async function refusal(method, path, body) {
  const r = await fetch(`${daemon.direct}${path}`, { method, body: JSON.stringify(body),
    headers: { Authorization: `Bearer ${daemon.token}`, 'Content-Type': 'application/json' } });
  assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
  const reply = await r.json();
  return reply.message || reply.error;
}

/** The page's console errors, less the network errors Chromium logs for the refusals the
 *  test provokes (400); clears the list. */
function unexpectedErrors() {
  const left = page.errors.filter((e) => !/status of 400 \(Bad Request\)/.test(e));
  page.errors.length = 0;
  return left;
}

/** Types `value` into the field `selector` and commits it (Enter fires its change). */
async function enter(selector, value) {
  await page.fill(selector, value);
  await page.press(selector, 'Enter');
}

before(async () => {
  daemon = await startDaemon({ demo: false });
  const tracks = TRACKS.map(([title, amplitude], i) => {
    const file = join(daemon.dir, `track${i + 1}.wav`);
    sineWav(file, amplitude, 220 * (i + 1));
    return { file, title };
  });
  ({ id: session, trackIds: ids } = await openSession(daemon, { title: 'Night Drive', artist: 'The Band' }, tracks));
  await waitFor('every track analysed', async () => (await album()).tracks.every((t) => t.analysis), 90000);
  browser = await startBrowser();
  page = await browser.open(`${daemon.base}/#token=${daemon.token}`);
  await page.click('.album-button');
  await page.waitForSelector('.album-track', { timeout: 5000 });
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

test('the release and the tracks in order, each one\'s loudness beside the album\'s spread', async () => {
  const a = await album();
  assert.equal(await page.inputValue('#album-title'), 'Night Drive');
  assert.equal(await page.inputValue('#album-artist'), 'The Band');
  assert.deepEqual(await shownOrder(), ids);
  const rows = await page.$$eval('.album-track', (list) => list.map((r) => ({
    position: r.querySelector('.album-position').textContent,
    name: r.querySelector('.album-name').textContent,
    lufs: r.querySelector('[data-figure="lufs"]').textContent,
    lra: r.querySelector('[data-figure="lra"]').textContent,
    tp: r.querySelector('[data-figure="tp"]').textContent,
    below: Number(r.querySelector('.album-spread-bar').dataset.below),
    dot: parseFloat(r.querySelector('.album-spread-dot').style.left),
  })));
  const loudest = Math.max(...a.tracks.map((t) => t.analysis.integrated_lufs));
  const quietest = Math.min(...a.tracks.map((t) => t.analysis.integrated_lufs));
  for (const [i, t] of a.tracks.entries()) {
    const x = t.analysis;
    assert.deepEqual(rows[i].position, String(i + 1));
    assert.equal(rows[i].name, TRACKS[i][0]);
    assert.equal(rows[i].lufs, `${x.integrated_lufs.toFixed(1)} LUFS`);
    assert.equal(rows[i].lra, `LRA ${x.lra_lu.toFixed(1)}`);
    assert.equal(rows[i].tp, `${x.true_peak_dbtp.toFixed(1)} dBTP`);
    assert.ok(Math.abs(rows[i].below - (loudest - x.integrated_lufs)) < 0.01, JSON.stringify(rows[i]));
    assert.ok(Math.abs(rows[i].dot - 100 * (x.integrated_lufs - quietest) / (loudest - quietest)) < 0.2, JSON.stringify(rows[i]));
  }
  // A 0.5 sine is about 14 dB louder than a 0.1 one and 24 dB louder than a 0.03 one.
  assert.ok(Math.abs(a.spread.loudness_spread_lu - (loudest - quietest)) < 0.05, JSON.stringify(a.spread));
  assert.ok(a.spread.loudness_spread_lu > 20, JSON.stringify(a.spread));
  const spread = await page.textContent('.album-spread');
  assert.equal(spread, `Loudness spread ${a.spread.loudness_spread_lu.toFixed(1)} LU · loudest 2. Loud one · quietest 3. Ballad`);
  assert.deepEqual(page.errors, []);
});

test('release fields are stored; a bad catalogue number is refused with the daemon\'s reason', async () => {
  const bad = '5012345678901';  // EAN-13 whose check digit should be 0
  const reason = await refusal('PATCH', `/api/sessions/${session}/album`, { catalogue: bad });
  await enter('#album-catalogue', bad);
  await page.waitForSelector('#album-catalogue[aria-invalid="true"]', { timeout: 3000 });
  assert.equal(await page.textContent('.album-release .field-error:not([hidden])'), reason);
  assert.equal(await page.inputValue('#album-catalogue'), bad, 'the refused value stays to be corrected');
  assert.equal((await album()).catalogue, '');

  await enter('#album-catalogue', '5012345678900');
  await page.waitForSelector('#album-catalogue[aria-invalid="false"]', { timeout: 3000 });
  await enter('#album-year', '2026');
  await enter('#album-label', 'Quiet Records');
  await waitFor('the release stored', async () => {
    const a = await album();
    return a.catalogue === '5012345678900' && a.year === 2026 && a.label === 'Quiet Records';
  }, 3000);
  assert.equal(await page.locator('.album-release .field-error:not([hidden])').count(), 0);

  await enter('#album-year', '1850');
  await page.waitForSelector('#album-year[aria-invalid="true"]', { timeout: 3000 });
  assert.equal(await page.textContent('.album-release .field-error:not([hidden])'),
    await refusal('PATCH', `/api/sessions/${session}/album`, { year: 1850 }));
  assert.equal((await album()).year, 2026);
  await enter('#album-year', '2026');  // corrected: the mark goes
  await page.waitForSelector('#album-year[aria-invalid="false"]', { timeout: 3000 });
  assert.ok(await page.isHidden('#album-year ~ .field-error'));
  assert.deepEqual(unexpectedErrors(), []);
});

test('a track\'s fields: ISRC, pregap and crossfade, each refused with its reason when invalid', async () => {
  const id = ids[1];
  await page.click(`#album-edit-${id}`);
  await page.waitForSelector(`#track-${id}-isrc`);
  await enter(`#track-${id}-isrc`, 'GB-AYE-26');
  await page.waitForSelector(`#track-${id}-isrc[aria-invalid="true"]`, { timeout: 3000 });
  assert.equal(await page.textContent('.album-track-fields .field-error:not([hidden])'),
    await refusal('PATCH', `/api/sessions/${session}/tracks/${id}`, { isrc: 'GB-AYE-26' }));

  await enter(`#track-${id}-isrc`, 'GBAYE2600002');
  await enter(`#track-${id}-pregap_s`, '2.5');
  await enter(`#track-${id}-performer`, 'The Band feat. Guest');
  await waitFor('the track stored', async () => {
    const t = (await album()).tracks.find((x) => x.id === id);
    return t.isrc === 'GBAYE2600002' && t.pregap_s === 2.5 && t.performer === 'The Band feat. Guest';
  }, 3000);
  assert.equal(await page.getAttribute(`#track-${id}-isrc`, 'aria-invalid'), 'false');

  // Longer than the previous track (5 s), and a pregap over a minute: both refused.
  for (const [field, value] of [['crossfade_s', 6], ['pregap_s', 61]]) {
    await enter(`#track-${id}-${field}`, String(value));
    await page.waitForSelector(`#track-${id}-${field}[aria-invalid="true"]`, { timeout: 3000 });
    const shown = await page.textContent(`#track-${id}-${field} ~ .field-error`);
    assert.equal(shown, await refusal('PATCH', `/api/sessions/${session}/tracks/${id}`, { [field]: value }));
  }
  const t = (await album()).tracks.find((x) => x.id === id);
  assert.equal(t.crossfade_s, 0);
  assert.equal(t.pregap_s, 2.5);
  assert.match(await page.textContent(`.album-track[data-track="${id}"] .album-credits`), /GBAYE2600002/);
  assert.deepEqual(unexpectedErrors(), []);
});

test('tracks reorder by drag, by the arrow keys on the handle, and by the buttons', async () => {
  const [first, second, third] = ids;
  await page.click(`#album-edit-${second}`);  // closes its fields: every row in view
  await page.waitForSelector('.album-track-fields:not([hidden])', { state: 'detached' });
  await page.locator('.album-tracks').scrollIntoViewIfNeeded();
  // Drag the third track's handle above the first.
  const handle = await page.locator(`#album-handle-${third}`).boundingBox();
  const top = await page.locator(`.album-track[data-track="${first}"]`).boundingBox();
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  for (let k = 1; k <= 8; ++k) {
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2 + (top.y + 4 - handle.y - handle.height / 2) * (k / 8));
  }
  await page.mouse.up();
  await waitFor('the dragged order stored', async () => JSON.stringify(await order()) === JSON.stringify([third, first, second]), 3000);
  // Drawn again from the stored album: numbered in the new order.
  await page.waitForFunction((id) => document.querySelector(`.album-track[data-track="${id}"] .album-position`)?.textContent === '1', third, { timeout: 3000 });
  assert.deepEqual(await shownOrder(), [third, first, second]);

  // Keyboard: the handle of the first row, arrow down twice; it keeps the focus.
  await page.focus(`#album-handle-${third}`);
  await page.keyboard.press('ArrowDown');
  await waitFor('moved down one', async () => JSON.stringify(await order()) === JSON.stringify([first, third, second]), 3000);
  // Drawn again from the stored album (the push may redraw after the reply) before the next key.
  await page.waitForFunction((id) => document.querySelector(`.album-track[data-track="${id}"] .album-position`)?.textContent === '2', third, { timeout: 3000 });
  await page.waitForFunction((id) => document.activeElement?.id === `album-handle-${id}`, third, { timeout: 3000 });
  await page.keyboard.press('ArrowDown');
  await waitFor('moved down two', async () => JSON.stringify(await order()) === JSON.stringify([first, second, third]), 3000);

  // Buttons: the second track up.
  await page.click(`#album-up-${second}`);
  await waitFor('moved up by its button', async () => JSON.stringify(await order()) === JSON.stringify([second, first, third]), 3000);
  await waitFor('the panel in that order', async () => JSON.stringify(await shownOrder()) === JSON.stringify([second, first, third]), 3000);
  assert.ok(await page.isDisabled(`#album-up-${second}`), 'the first track cannot go up');
  assert.deepEqual(unexpectedErrors(), []);
});

test('a change from another console appears without reloading', async () => {
  await daemon.api('PATCH', `/api/sessions/${session}/album`, { title: 'Night Drive (Deluxe)' });
  await daemon.api('PUT', `/api/sessions/${session}/album/order`, { track_ids: ids });
  await page.waitForFunction(() => document.querySelector('#album-title')?.value === 'Night Drive (Deluxe)', null, { timeout: 3000 });
  await waitFor('the pushed order', async () => JSON.stringify(await shownOrder()) === JSON.stringify(ids), 3000);
  // The transport's track list follows the album's titles.
  await page.waitForFunction(() => document.querySelector('.track-list .track')?.textContent.includes('Opener'), null, { timeout: 3000 });
});

test('at tablet and phone sizes nothing overlaps, with a track open', async () => {
  const { dir, done } = screenshotDir();
  await page.click(`#album-edit-${ids[0]}`);
  await page.waitForSelector(`#track-${ids[0]}-title`);
  for (const [name, width, height] of [['tablet', 1024, 768], ['phone', 390, 844]]) {
    await page.setViewportSize({ width, height });
    await page.evaluate(() => document.querySelector('.album-panel h3').scrollIntoView());
    await page.screenshot({ path: join(dir, `album-${name}.png`) });
    assert.deepEqual(await overlaps(page), [], name);
    assert.equal(await sideways(page), 0, `${name}: sideways scroll`);
  }
  done();
});
