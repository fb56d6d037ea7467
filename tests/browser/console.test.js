// The engineer's console against a real daemon: it loads without console errors, draws
// every stage and every chain and monitor parameter of /api/schema, sends `set` when a
// control moves, and follows changes made by another client.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, startBrowser, wsClient, waitFor } from './harness.js';

let daemon, browser, page, other;

before(async () => {
  daemon = await startDaemon();
  browser = await startBrowser();
  page = await browser.page();
  await page.goto(`${daemon.base}/#token=${daemon.token}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  other = await wsClient(daemon.base, daemon.token);
  await other.request({ op: 'subscribe', topics: ['params'] });
});

after(async () => {
  other?.close();
  await browser?.close();
  await daemon?.stop();
});

/** The schema's stage ids in order, and its chain and monitor parameters. */
async function schema() {
  const reply = await daemon.api('GET', '/api/schema');
  const paths = Array.isArray(reply) ? reply : reply.paths;
  const params = paths.filter((e) => /^\/(chain|monitor)\//.test(e.path) && e.type !== 'trigger');
  const stages = [...new Set(params.map((e) => (e.path.startsWith('/monitor/') ? 'monitor' : e.path.split('/')[2])))];
  return { params, stages };
}

test('the token leaves the address bar and stays in sessionStorage', async () => {
  assert.equal(new URL(page.url()).hash, '');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('lacquer.token')), daemon.token);
  assert.equal(await page.evaluate(() => document.body.dataset.role), 'engineer');
});

test('the console shows every stage and parameter of the schema, without console errors', async () => {
  const { params, stages } = await schema();
  assert.ok(stages.includes('eq') && stages.includes('limiter') && stages.includes('monitor'));
  for (const id of stages) {
    assert.ok(await page.isVisible(`.stage-tile[data-stage="${id}"]`), `tile of ${id}`);
    assert.equal(await page.locator(`.stage-panel[data-stage="${id}"]`).count(), 1, `panel of ${id}`);
  }
  const drawn = new Set(await page.$$eval('[data-path]', (nodes) => nodes.map((n) => n.dataset.path)));
  const missing = params.filter((e) => !drawn.has(e.path)).map((e) => e.path);
  assert.deepEqual(missing, [], 'every parameter has a control');
  // Touch targets: every button of the visible stage panel is at least 44 px both ways.
  await page.click('.stage-tile[data-stage="comp"] .stage-open');
  const small = await page.$$eval('.stage-panel:not([hidden]) button, .stage-strip button', (nodes) =>
    nodes.filter((n) => n.offsetParent)
      .map((n) => n.getBoundingClientRect()).filter((r) => r.width < 44 || r.height < 44).length);
  assert.equal(small, 0, 'buttons under 44 px');
  assert.deepEqual(page.errors, []);
});

test('dragging a knob sends set; the echo is what the knob shows', async () => {
  await page.click('.stage-tile[data-stage="input"] .stage-open');
  const dial = page.locator('.stage-panel[data-stage="input"] lq-knob[data-path="/chain/input/trim"] .dial');
  const box = await dial.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 10; ++i) await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 - 5 * i);
  await page.mouse.up();
  // 50 px of a 220 px full-range stroke over -24..+24 dB: about +10.9 dB. The drag's
  // intermediate values reach the daemon first, so wait for the last one on both sides.
  const shown = await waitFor('the knob to show the trim the daemon applied', async () => {
    const r = await other.request({ op: 'get', path: '/chain/input/trim' });
    const knob = Number(await dial.getAttribute('aria-valuenow'));
    return r.value > 9.5 && knob === r.value ? r.value : null;
  }, 3000);
  assert.ok(shown < 12.5, `trim ${shown}`);
  assert.ok(other.pushes.some((p) => p.op === 'param' && p.path === '/chain/input/trim'), 'others were told');
});

test('double-tap returns a knob to its default; typed values are clamped by the daemon', async () => {
  const knob = page.locator('lq-knob[data-path="/chain/input/trim"]').first();
  await knob.locator('.dial').dblclick();
  await waitFor('trim back at 0 dB', async () => (await other.request({ op: 'get', path: '/chain/input/trim' })).value === 0, 3000);
  await knob.locator('.readout').click();
  await knob.locator('input.type-in').fill('99');
  await knob.locator('input.type-in').press('Enter');
  await waitFor('the clamped value', async () => (await knob.locator('.readout').textContent()) === '+24.0 dB', 3000);
  assert.equal((await other.request({ op: 'get', path: '/chain/input/trim' })).value, 24);
});

test('a change made by another client moves the control', async () => {
  await page.click('.stage-tile[data-stage="comp"] .stage-open');
  const t0 = Date.now();
  await other.request({ op: 'set', path: '/chain/comp/ratio', value: 4 });
  await other.request({ op: 'set', path: '/chain/comp/detector', value: 'rms' });
  await page.waitForFunction(() => document.querySelector('lq-knob[data-path="/chain/comp/ratio"] .dial')
    ?.getAttribute('aria-valuenow') === '4', null, { timeout: 2000 });
  await page.waitForSelector('lq-choice[data-path="/chain/comp/detector"] button[data-choice="rms"][aria-pressed="true"]', { timeout: 2000 });
  console.log(`remote change shown after ${Date.now() - t0} ms`);
  await other.request({ op: 'set', path: '/chain/comp/bypass', value: true });
  await page.waitForSelector('.stage-tile[data-stage="comp"] lq-switch button[aria-pressed="true"]', { timeout: 2000 });
});

test('comparing snapshots is refused until A and B are stored, then the monitors play them', async () => {
  const compare = page.locator('lq-choice[data-path="/monitor/compare"]').first();
  await compare.locator('button[data-choice="A"]').click();
  await page.waitForFunction(() => [...document.querySelectorAll('.toast.error')]
    .some((t) => t.textContent.includes('snapshot A')), null, { timeout: 3000 });
  assert.equal((await other.request({ op: 'get', path: '/monitor/compare' })).value, 'chain');
  assert.equal(await compare.locator('button[data-choice="chain"]').getAttribute('aria-pressed'), 'true');

  await other.request({ op: 'snapshot.store', name: 'A' });
  await other.request({ op: 'set', path: '/chain/output/gain', value: -6 });
  await other.request({ op: 'snapshot.store', name: 'B' });
  await compare.locator('button[data-choice="B"]').click();
  await page.waitForSelector('lq-choice[data-path="/monitor/compare"] button[data-choice="B"][aria-pressed="true"]', { timeout: 3000 });
  await waitFor('the other client to hear of it', async () =>
    other.pushes.some((p) => p.op === 'param' && p.path === '/monitor/compare' && p.value === 'B'), 2000);
  await compare.locator('button[data-choice="chain"]').click();
  await page.waitForSelector('lq-choice[data-path="/monitor/compare"] button[data-choice="chain"][aria-pressed="true"]', { timeout: 3000 });
  await other.request({ op: 'set', path: '/chain/output/gain', value: 0 });
});

test('the EQ curve is dragged to set a band', async () => {
  await page.click('.stage-tile[data-stage="eq"] .stage-open');
  await other.request({ op: 'set', path: '/chain/eq/4/enabled', value: true });
  await page.click('.band-picker button[data-band="4"]');
  const canvas = page.locator('.eq-canvas');
  const box = await canvas.boundingBox();
  // Band 4 sits at its default 500 Hz, 0 dB: on the log axis 20 Hz..20 kHz, mid-height.
  const x = box.x + (Math.log(500 / 20) / Math.log(1000)) * box.width;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 8; ++i) await page.mouse.move(x + 5 * i, y - 5 * i);
  await page.mouse.up();
  const gain = await waitFor('band 4 gain', async () => {
    const r = await other.request({ op: 'get', path: '/chain/eq/4/gain' });
    return r.value > 1 ? r.value : null;
  }, 3000);
  // 40 px up on a ±20 dB axis of the canvas's height.
  const expected = (40 / (box.height / 2)) * 20;
  assert.ok(Math.abs(gain - expected) < 1.0, `gain ${gain}, expected about ${expected}`);
  const freq = (await other.request({ op: 'get', path: '/chain/eq/4/freq' })).value;
  const expectedFreq = 500 * Math.pow(1000, 40 / box.width);
  assert.ok(Math.abs(Math.log(freq / expectedFreq)) < 0.05, `freq ${freq}, expected about ${expectedFreq}`);
  assert.deepEqual(page.errors, []);
});

test('meters show the daemon’s loudness and gain reduction while the demo plays', async () => {
  const readout = (key) => page.locator(`[data-readout="${key}"] .value`).textContent();
  const m = await waitFor('a momentary loudness reading', async () => {
    const v = Number(await readout('m'));
    return Number.isFinite(v) && v < 0 && v > -70 ? v : null;
  }, 5000);
  const s = Number(await readout('s'));
  assert.ok(Number.isFinite(s) && s < 0, `short-term ${s}`);
  console.log(`console meters: M ${m} LUFS, S ${s} LUFS, TP max ${await readout('tp')} dBTP`);
  for (const stage of ['comp', 'limiter']) {
    assert.equal(await page.locator(`.stage-tile[data-stage="${stage}"] lq-meter.gr`).count(), 1, `GR meter on ${stage}`);
  }
  assert.equal(await page.locator('.stage-panel[data-stage="multiband"] [data-gr-band] lq-meter.gr').count(), 4, 'GR per multiband band');
  assert.deepEqual(page.errors, []);
});
