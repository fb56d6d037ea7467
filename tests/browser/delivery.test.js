// The console's delivery panel (in the album panel) against a real daemon: the engineer
// chooses formats and starts a delivery; each format's bar follows the daemon's pushes to
// the end; the verdicts are the daemon's reports; a file downloads with the token and is the
// daemon's own; a delivery that fails a rule lists it and starts again accepting it; one
// waiting behind another session's is cancelled; at tablet and phone sizes nothing overlaps.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startDaemon, startBrowser, openSession, waitFor, writeWav, screenshotDir } from './harness.js';
import { overlaps, sideways } from './layout.js';

const RATE = 48000;

let daemon, browser, page, session, ids;

/** `seconds` of a stereo sine at `amplitude` (of full scale) and `hz`, 16-bit. */
function toneWav(path, seconds, amplitude, hz) {
  const frames = RATE * seconds;
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; ++i) {
    const v = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / RATE) * 32767);
    data.writeInt16LE(v, 4 * i);
    data.writeInt16LE(v, 4 * i + 2);
  }
  writeWav(path, data, { rate: RATE });
}

const deliveries = async () => (await daemon.api('GET', `/api/sessions/${session}/deliveries`)).deliveries;

/** Every bar's value (0..100) of the delivery shown at `id`, by format. */
const bars = (id) => page.$$eval(`.delivery[data-delivery="${id}"] .delivery-format`, (rows) => Object.fromEntries(
  rows.map((r) => [r.dataset.format, Number(r.querySelector('[role="progressbar"]').getAttribute('aria-valuenow'))])));

/** Starts a delivery from the panel and follows its bars until it ends; returns the values
 *  seen per format and the delivery as the daemon has it. */
async function deliverFromPanel(click = '#deliver-start') {
  const known = new Set((await deliveries()).map((d) => d.id));
  await page.click(click);
  let id;
  await waitFor('the delivery queued', async () => {
    id = (await deliveries()).map((d) => d.id).find((x) => !known.has(x));
    return id !== undefined;
  }, 5000);
  await page.waitForSelector(`.delivery[data-delivery="${id}"]`, { timeout: 5000 });
  const seen = {};
  for (const deadline = Date.now() + 120000; Date.now() < deadline;) {
    for (const [format, v] of Object.entries(await bars(id))) (seen[format] ||= []).push(v);
    const state = await page.getAttribute(`.delivery[data-delivery="${id}"]`, 'data-state');
    if (state !== 'queued' && state !== 'running') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const d = (await deliveries()).find((x) => x.id === id);
  return { id, seen, d };
}

before(async () => {
  daemon = await startDaemon({ demo: false });
  const tracks = [['Opener', 6, 0.2, 220], ['Ballad', 5, 0.05, 330]].map(([title, seconds, amplitude, hz], i) => {
    const file = join(daemon.dir, `track${i + 1}.wav`);
    toneWav(file, seconds, amplitude, hz);
    return { file, title };
  });
  ({ id: session, trackIds: ids } = await openSession(daemon, { title: 'Night Drive', artist: 'The Band' }, tracks));
  await daemon.api('PATCH', `/api/sessions/${session}/tracks/${ids[0]}`, { isrc: 'GBAYE2600001', side: 'A' });
  await daemon.api('PATCH', `/api/sessions/${session}/tracks/${ids[1]}`, { isrc: 'GBAYE2600002', side: 'B', pregap_s: 1 });
  browser = await startBrowser();
  page = await browser.open(`${daemon.base}/#token=${daemon.token}`);
  await page.click('.album-button');
  await page.waitForSelector('.delivery-panel #deliver-start', { timeout: 5000 });
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

test('a delivery started from the panel shows each format\'s progress and the daemon\'s verdicts', async () => {
  await page.uncheck('#deliver-streaming');
  await page.check('#deliver-vinyl');
  const { id, seen, d } = await deliverFromPanel();
  assert.equal(d.state, 'done', JSON.stringify(d));
  assert.deepEqual(d.formats, ['cd', 'hires', 'vinyl']);
  assert.deepEqual(Object.keys(seen).sort(), ['cd', 'hires', 'vinyl']);
  for (const [format, values] of Object.entries(seen)) {
    assert.equal(values.at(-1), 100, format);
    assert.deepEqual(values, [...values].sort((a, b) => a - b), `${format} only moves forward`);
  }
  // The bars moved while it ran: something between empty and full was shown.
  assert.ok(Object.values(seen).flat().some((v) => v > 0 && v < 100), JSON.stringify(seen));
  await page.waitForSelector(`.delivery[data-delivery="${id}"][data-state="done"]`);
  assert.equal(await page.textContent(`.delivery[data-delivery="${id}"] .delivery-state`), 'Delivered');
  for (const format of d.formats) {
    const r = d.reports[format];
    const text = await page.textContent(`.delivery[data-delivery="${id}"] [data-format="${format}"] .delivery-verdict`);
    assert.ok(text.startsWith(`passed · ${r.rules} rules`), `${format}: ${text}`);
    assert.equal(await page.getAttribute(`.delivery[data-delivery="${id}"] [data-format="${format}"] .delivery-file`, 'data-file'), `${format}/compliance.html`);
  }
  assert.equal(await page.locator(`.delivery[data-delivery="${id}"] .delivery-files li`).count(), d.files.length);
  assert.doesNotMatch(await page.textContent(`.delivery[data-delivery="${id}"]`), /null|undefined|NaN/);
  assert.deepEqual(page.errors, []);
});

test('a file downloads with the token and is the daemon\'s own', async () => {
  const [d] = (await deliveries()).filter((x) => x.state === 'done');
  await page.click(`.delivery[data-delivery="${d.id}"] .delivery-files summary`);
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 10000 }),
    page.click(`.delivery[data-delivery="${d.id}"] .delivery-files [data-file="vinyl/timing.txt"]`),
  ]);
  assert.equal(download.suggestedFilename(), 'timing.txt');
  const got = readFileSync(await download.path(), 'utf8');
  const direct = await fetch(`${daemon.direct}/api/sessions/${session}/deliveries/${d.id}/files/vinyl/timing.txt`, {
    headers: { Authorization: `Bearer ${daemon.token}` } });
  assert.equal(got, await direct.text());
  assert.match(got, /B1 {2}00:00\.000/);
  // Without the token the same address is refused: the link alone gives nothing away.
  assert.equal((await fetch(`${daemon.direct}/api/sessions/${session}/deliveries/${d.id}/files/vinyl/timing.txt`)).status, 401);
  assert.deepEqual(page.errors, []);
});

test('a failed rule is listed, and the delivery starts again accepting it', async () => {
  await daemon.api('PATCH', `/api/sessions/${session}/tracks/${ids[1]}`, { isrc: '' });
  await page.uncheck('#deliver-cd');
  await page.uncheck('#deliver-vinyl');
  const failed = await deliverFromPanel();
  assert.equal(failed.d.state, 'failed', JSON.stringify(failed.d));
  const shown = `.delivery[data-delivery="${failed.id}"]`;
  await page.waitForSelector(`${shown}[data-state="failed"] .delivery-failed li`);
  assert.equal(await page.textContent(`${shown} .delivery-failed li`),
    `${failed.d.failed_rules[0].file}: isrc: ${failed.d.failed_rules[0].detail}`);
  assert.equal(await page.textContent(`${shown} .delivery-accept`), 'Deliver again, accepting isrc');
  assert.equal(await page.textContent(`${shown} .delivery-error`), '1 compliance rule failed; nothing delivered');
  const again = await deliverFromPanel(`${shown} .delivery-accept`);
  assert.equal(again.d.state, 'done', JSON.stringify(again.d));
  assert.deepEqual(again.d.options.overrides, ['isrc']);
  // Newest first.
  const order = await page.$$eval('.delivery', (list) => list.map((li) => Number(li.dataset.delivery)));
  assert.deepEqual(order, [...order].sort((a, b) => b - a));
  assert.equal(order[0], again.id);
  assert.deepEqual(page.errors.filter((e) => !/status of 400/.test(e)), []);
});

test('a delivery waiting behind others is cancelled from its Cancel button', async () => {
  await page.check('#deliver-cd');
  await page.check('#deliver-vinyl');
  // Ahead of it, through the API, a delivery of another session's four-minute track: it runs
  // for seconds whatever the machine, where two of this session's few seconds could end
  // before the click.
  const other = (await daemon.api('POST', '/api/sessions', { title: 'Long Play', artist: 'The Band' })).id;
  const file = join(daemon.dir, 'long.wav');
  toneWav(file, 240, 0.2, 110);
  const track = (await daemon.api('POST', `/api/sessions/${other}/tracks`, { file, title: 'Long' })).id;
  await daemon.api('PATCH', `/api/sessions/${other}/tracks/${track}`, { isrc: 'GBAYE2600003' });
  const ahead = (await daemon.api('POST', `/api/sessions/${other}/deliveries`, { formats: ['cd', 'streaming', 'hires'] })).id;
  const known = new Set((await deliveries()).map((d) => d.id));
  await page.click('#deliver-start');
  let waiting;
  await waitFor('the delivery queued', async () => {
    waiting = (await deliveries()).map((d) => d.id).find((x) => !known.has(x));
    return waiting !== undefined;
  }, 5000);
  const shown = `.delivery[data-delivery="${waiting}"]`;
  await page.waitForSelector(`${shown} .delivery-cancel:not([hidden])`, { timeout: 5000 });
  await page.click(`${shown} .delivery-cancel`);
  await page.waitForSelector(`${shown}[data-state="cancelled"]`, { timeout: 120000 });
  assert.equal(await page.textContent(`${shown} .delivery-state`), 'Cancelled');
  assert.equal(await page.textContent(`${shown} .delivery-error`), 'cancelled before it started');
  assert.equal(await page.isHidden(`${shown} .delivery-cancel`), true);
  assert.equal((await deliveries()).find((d) => d.id === waiting).state, 'cancelled');
  const aheadState = async () => (await daemon.api('GET', `/api/sessions/${other}/deliveries`)).deliveries.find((d) => d.id === ahead);
  await waitFor('the delivery ahead ended', async () => !['queued', 'running'].includes((await aheadState()).state), 120000);
  assert.equal((await aheadState()).state, 'done', JSON.stringify(await aheadState()));
  assert.deepEqual(page.errors, []);
});

test('at tablet and phone sizes the delivery panel fits without overlaps', async () => {
  const { dir, done } = screenshotDir();
  for (const [name, width, height] of [['tablet', 1024, 768], ['phone', 390, 844]]) {
    await page.setViewportSize({ width, height });
    await page.evaluate(() => document.querySelector('.delivery-panel').scrollIntoView());
    await page.screenshot({ path: join(dir, `delivery-${name}.png`) });
    assert.deepEqual(await overlaps(page), [], name);
    assert.equal(await sideways(page), 0, `${name}: sideways scroll`);
  }
  done();
});
