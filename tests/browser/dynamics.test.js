// The dynamics stages in the console, against a real daemon playing a tone: the comp's
// transfer curve passes through the pixels the soft-knee formula gives for the threshold,
// ratio and knee set over the WebSocket; the tone above the threshold puts the operating point
// where the curve says, from the daemon's own detector meter; a band's point lies on its band's
// curve; dragging a multiband crossover sets it on the daemon, clamped to the schema's range
// and between its neighbours; a client can neither drag nor set it; screenshots.
//
// Expected levels come from the formula of Giannoulis, Massberg & Reiss (JAES 2012, eq. 4), the
// curve docs/DESIGN.md names for the comp, computed here and not taken from the page: below the
// knee y = x, inside it y = x + (1/R - 1)(x - T + W/2)^2 / (2W), above it y = T + (x - T)/R.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startDaemon, startBrowser, openSession, waitFor, wsClient, screenshotDir } from './harness.js';

const RATE = 48000;
const TONE_DB = -12;            // peak level of the 1 kHz test tone
const SINE_RMS_DB = -3.0103;    // an RMS detector reads a sine this far under its peak
const CURVE_RGB = [241, 230, 208];

let daemon, browser, page, engineer, session;

function giannoulis(x, t, r, w) {
  if (2 * (x - t) < -w) return x;
  if (w > 0 && 2 * Math.abs(x - t) <= w) return x + ((1 / r - 1) * (x - t + w / 2) ** 2) / (2 * w);
  return t + (x - t) / r;
}

/** The transfer axes as dynamics_view.js documents them: -60..0 dB both ways. */
const toX = (db, w) => ((db + 60) / 60) * w;
const toY = (db, h) => (-db / 60) * h;

/** `seconds` of a 1 kHz sine at `peakDb`, 24-bit stereo, written by sox. */
function tone(path, seconds, peakDb) {
  const made = spawnSync('sox', ['-D', '-n', '-r', String(RATE), '-c', '2', '-b', '24', path,
    'synth', String(seconds), 'sine', '1000', 'vol', `${peakDb}dB`], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
}

before(async () => {
  daemon = await startDaemon({ demo: false });
  const file = join(daemon.dir, 'tone.wav');
  tone(file, 20, TONE_DB);
  ({ id: session } = await openSession(daemon, { title: 'Tone', artist: 'Test' }, [{ file, title: '1 kHz' }]));
  engineer = await wsClient(daemon.base, daemon.token);
  await engineer.request({ op: 'subscribe', topics: ['meters'] });
  browser = await startBrowser();
  page = await browser.open(`${daemon.base}/#token=${daemon.token}`);
});

after(async () => {
  engineer?.close();
  await browser?.close();
  await daemon?.stop();
});

async function set(values) {
  for (const [path, value] of Object.entries(values)) {
    const r = await engineer.request({ op: 'set', path, value });
    assert.equal(r.ok, true, `${path}: ${JSON.stringify(r)}`);
  }
}

async function get(path) {
  return (await engineer.request({ op: 'get', path })).value;
}

/**
 * In the page, for the canvas `selector`: per column in `columns`, the curve's row (the
 * centroid of its cream pixels, weighted by coverage), and the centre of the operating point's
 * orange pixels; sizes in CSS pixels (the headless page draws at a device pixel ratio of 1).
 */
function readCanvas(selector, columns) {
  return page.$eval(selector, (c, { columns, curve }) => {
    const g = c.getContext('2d');
    const { width: w, height: h } = c;
    const data = g.getImageData(0, 0, w, h).data;
    const at = (x, y) => data.subarray(4 * (y * w + x), 4 * (y * w + x) + 4);
    const rows = columns.map((x) => {
      let sum = 0, weight = 0;
      for (let y = 0; y < h; ++y) {
        const [r, gr, b, a] = at(x, y);
        // Cream over the dark ground: red leads blue, green near red (not the orange point).
        if (a === 0 || r < 40 || gr < 0.85 * r || b > r) continue;
        const k = (r - 11) / (curve[0] - 11);
        sum += k * y;
        weight += k;
      }
      return weight > 0.5 ? sum / weight + 0.5 : null;
    });
    let px = 0, py = 0, n = 0;
    for (let y = 0; y < h; ++y) {
      for (let x = 0; x < w; ++x) {
        const [r, gr, b] = at(x, y);
        if (r > 200 && gr < 150 && b < 110) {
          px += x + 0.5;
          py += y + 0.5;
          n += 1;
        }
      }
    }
    return { w: c.clientWidth, h: c.clientHeight, dpr: devicePixelRatio, rows, point: n ? { x: px / n, y: py / n, n } : null };
  }, { columns, curve: CURVE_RGB });
}

test('the comp’s curve passes through the pixels the soft-knee formula gives', async () => {
  await page.click('.stage-tile[data-stage="comp"] .stage-open');
  const selector = '.stage-panel[data-stage="comp"] .transfer-canvas';
  for (const [t, r, w] of [[-30, 4, 12], [-20, 2, 0], [-40, 10, 24]]) {
    await set({ '/chain/comp/threshold': t, '/chain/comp/ratio': r, '/chain/comp/knee': w });
    const { w: width } = await readCanvas(selector, []);
    // Columns at a level below the knee, at the threshold (inside the knee when W > 0) and
    // well above it.
    const levels = [t - 12, t, t + 12].filter((x) => x > -60 && x < 0);
    const columns = levels.map((x) => Math.round(toX(x, width)));
    const want = await waitFor(`the curve for T ${t}, R ${r}, W ${w}`, async () => {
      const got = await readCanvas(selector, columns);
      assert.equal(got.dpr, 1);
      const expected = columns.map((px) => toY(giannoulis(-60 + (px / got.w) * 60, t, r, w), got.h));
      const off = got.rows.map((y, i) => (y === null ? Infinity : Math.abs(y - expected[i])));
      return off.every((d) => d <= 1.5) ? { got, expected } : null;
    }, 5000);
    console.log(`T ${t} R ${r} W ${w}: rows ${want.got.rows.map((y) => y.toFixed(1))}, formula ${want.expected.map((y) => y.toFixed(1))}`);
  }
  // The knee is drawn: at the threshold with W = 12 dB the curve is 1.125 dB (4.5 px at 240 px
  // for 60 dB) under the hard knee's corner.
  await set({ '/chain/comp/threshold': -30, '/chain/comp/ratio': 4, '/chain/comp/knee': 12 });
  const { w: width, h } = await readCanvas(selector, []);
  const at = Math.round(toX(-30, width));
  await waitFor('the soft knee', async () => {
    const [y] = (await readCanvas(selector, [at])).rows;
    return y !== null && y - toY(-30, h) > (1.125 * h) / 60 - 1.5;
  }, 5000);
  assert.deepEqual(page.errors, []);
});

test('a tone above the threshold puts the operating point where the curve says', async () => {
  const t = -30, r = 4, w = 6;
  await set({ '/chain/comp/threshold': t, '/chain/comp/ratio': r, '/chain/comp/knee': w,
    '/chain/comp/detector': 'rms', '/transport/loop': true });
  assert.equal((await engineer.request({ op: 'set', path: '/transport/play' })).ok, true);
  // The daemon's detector reads the tone's RMS; its reduction is the curve's at that level.
  const level = TONE_DB + SINE_RMS_DB;
  const out = giannoulis(level, t, r, w);
  const meters = await waitFor('the comp’s detector meter at the tone’s RMS level', async () => {
    const m = engineer.pushes.filter((p) => p.op === 'meters').at(-1)?.values;
    return m && Math.abs(m['/meter/comp/detector'] - level) < 0.1 && Math.abs(m['/meter/comp/gr'] - (level - out)) < 0.1 ? m : null;
  }, 10000);
  console.log(`detector ${meters['/meter/comp/detector'].toFixed(2)} dB (tone RMS ${level.toFixed(2)}), GR ${meters['/meter/comp/gr'].toFixed(2)} dB (formula ${(level - out).toFixed(2)})`);

  await page.click('.stage-tile[data-stage="comp"] .stage-open');
  const selector = '.stage-panel[data-stage="comp"] .transfer-canvas';
  const point = await waitFor('the operating point', async () => {
    const got = await readCanvas(selector, []);
    const x = toX(level, got.w), y = toY(out, got.h);
    return got.point && Math.hypot(got.point.x - x, got.point.y - y) <= 1.5 ? { got, x, y } : null;
  }, 5000);
  console.log(`operating point at (${point.got.point.x.toFixed(1)}, ${point.got.point.y.toFixed(1)}) px, formula (${point.x.toFixed(1)}, ${point.y.toFixed(1)})`);

  // The history: the reduction hangs from the top at the right end, to GR / scale of the height
  // (the scale rounded up to 6 dB steps).
  // Read left of the scale's label, about half a second back: once the reduction has held
  // that long.
  const gr = level - out;
  const expectedRows = (gr / (Math.ceil(gr / 6) * 6)) * (await page.$eval('.stage-panel[data-stage="comp"] .gr-history', (c) => c.clientHeight));
  const rows = await waitFor('the reduction in the history', async () => {
    const n = await page.$eval('.stage-panel[data-stage="comp"] .gr-history', (c) => {
      const col = c.getContext('2d').getImageData(c.width - 45, 0, 1, c.height).data;
      let filled = 0;
      for (let y = 0; y < c.height; ++y) if (col[4 * y] > 100 && col[4 * y] > 2 * col[4 * y + 2]) filled += 1;
      return filled;
    });
    return Math.abs(n - expectedRows) <= 3 ? n : null;
  }, 3000);
  console.log(`history: ${rows} rows filled, ${expectedRows.toFixed(1)} expected`);
  assert.deepEqual(page.errors, []);
});

test('a multiband band’s operating point lies on its own curve', async () => {
  // Band 3 takes 500 Hz-16 kHz: the tone, less what the 500 Hz crossover leaves below.
  await set({ '/chain/multiband/crossover/1/freq': 100, '/chain/multiband/crossover/2/freq': 500,
    '/chain/multiband/crossover/3/freq': 16000, '/chain/multiband/detector': 'rms',
    '/chain/multiband/3/threshold': -36, '/chain/multiband/3/ratio': 3, '/chain/multiband/3/knee': 6 });
  await page.click('.stage-tile[data-stage="multiband"] .stage-open');
  const selector = '.stage-panel[data-stage="multiband"] [data-transfer="/chain/multiband/3"] .transfer-canvas';
  const found = await waitFor('band 3’s operating point on its curve', async () => {
    const m = engineer.pushes.filter((p) => p.op === 'meters').at(-1)?.values;
    const level = m?.['/meter/multiband/3/detector'];
    if (!(level > -30)) return null;
    const got = await readCanvas(selector, []);
    if (!got.point) return null;
    const y = toY(giannoulis(level, -36, 3, 6), got.h);
    const x = toX(level, got.w);
    return Math.hypot(got.point.x - x, got.point.y - y) <= 1.5 ? { level, got, x, y } : null;
  }, 10000);
  console.log(`band 3: detector ${found.level.toFixed(2)} dB, point (${found.got.point.x.toFixed(1)}, ${found.got.point.y.toFixed(1)}) px, curve (${found.x.toFixed(1)}, ${found.y.toFixed(1)})`);
  assert.deepEqual(page.errors, []);
});

/** Drags the handle of crossover `k` (1-based) by `dx` CSS pixels; resolves with the frequency the daemon holds after it. */
async function dragCrossover(k, dx) {
  const box = await page.locator('.bands-canvas').boundingBox();
  const before = await get(`/chain/multiband/crossover/${k}/freq`);
  const x = box.x + (Math.log(before / 20) / Math.log(1000)) * box.width;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 10; ++i) await page.mouse.move(x + (dx * i) / 10, y);
  await page.mouse.up();
  return { box, before };
}

test('dragging a crossover handle sets it on the daemon, clamped to its range and between its neighbours', async () => {
  await set({ '/chain/multiband/crossover/1/freq': 120, '/chain/multiband/crossover/2/freq': 1000,
    '/chain/multiband/crossover/3/freq': 6000, '/chain/multiband/bands': 4 });
  await page.click('.stage-tile[data-stage="multiband"] .stage-open');
  await page.waitForFunction(() => document.querySelector('.bands-canvas')?.clientWidth > 0);

  const { box } = await dragCrossover(2, 40);
  const wanted = 1000 * 1000 ** (40 / box.width);
  const moved = await waitFor('crossover 2 moved', async () => {
    const f = await get('/chain/multiband/crossover/2/freq');
    return Math.abs(Math.log(f / wanted)) < 0.02 ? f : null;
  }, 3000);
  console.log(`crossover 2 dragged 40 px: ${moved} Hz (expected about ${wanted.toFixed(0)})`);

  // Past crossover 3: it stops 1.1 times below it; past either end of the range: 20 Hz, 20 kHz.
  await dragCrossover(2, box.width);
  await waitFor('crossover 2 held under crossover 3', async () => Math.abs(await get('/chain/multiband/crossover/2/freq') - 6000 / 1.1) < 0.01, 3000);
  await dragCrossover(1, -box.width);
  await waitFor('crossover 1 at 20 Hz', async () => (await get('/chain/multiband/crossover/1/freq')) === 20, 3000);
  await dragCrossover(3, box.width);
  await waitFor('crossover 3 at 20 kHz', async () => (await get('/chain/multiband/crossover/3/freq')) === 20000, 3000);
  // Three bands: two handles; the second reaches the top of the range.
  await set({ '/chain/multiband/bands': 3 });
  await dragCrossover(2, box.width);
  await waitFor('crossover 2 at 20 kHz with three bands', async () => (await get('/chain/multiband/crossover/2/freq')) === 20000, 3000);
  await set({ '/chain/multiband/bands': 4, '/chain/multiband/crossover/2/freq': 1000, '/chain/multiband/crossover/3/freq': 6000 });
  assert.deepEqual(page.errors, []);
});

test('a listener cannot drag a crossover: refused by the daemon, no handles on its page or in a read-only view', async () => {
  const invite = await daemon.api('POST', `/api/sessions/${session}/invites`, { name: 'Artist' });
  const client = await wsClient(daemon.base, invite.token);
  const refused = await client.request({ op: 'set', path: '/chain/multiband/crossover/1/freq', value: 300 });
  client.close();
  assert.equal(refused.op, 'error', JSON.stringify(refused));
  assert.equal(await get('/chain/multiband/crossover/1/freq'), 20);

  const listener = await browser.page();
  await listener.goto(`${daemon.base}/#token=${invite.token}`);
  await listener.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  assert.equal(await listener.locator('.bands-canvas').count(), 0);
  await listener.close();

  // The view itself, read-only as for a listener and editable as for the engineer: the same
  // drag on a handle sends nothing from the one and a frequency from the other.
  for (const editable of [false, true]) {
    await page.evaluate(async (editable) => {
      const { BandsView } = await import('/js/dynamics_view.js');
      const { Store } = await import('/js/store.js');
      const store = new Store();
      store.update('/chain/multiband/bands', 4);
      const crossovers = [1, 2, 3].map((k) => ({ path: `/chain/multiband/crossover/${k}/freq`, min: 20, max: 20000, default: [120, 1000, 6000][k - 1] }));
      const view = new BandsView({ store, crossovers, editable });
      view.element.classList.add('probe');
      view.element.style.cssText = 'position: fixed; left: 0; top: 0; width: 600px; z-index: 10;';
      window.probeRequests = [];
      view.element.addEventListener('request', (e) => {
        e.stopPropagation();
        window.probeRequests.push(e.detail);
      });
      document.body.append(view.element);
    }, editable);
    const box = await page.locator('.probe .bands-canvas').boundingBox();
    const x = box.x + (Math.log(1000 / 20) / Math.log(1000)) * box.width, y = box.y + box.height / 2;
    await page.mouse.move(x, y);
    await page.mouse.down();
    for (let i = 1; i <= 5; ++i) await page.mouse.move(x + 20 * i, y);
    await page.mouse.up();
    await page.waitForTimeout(200);
    const sent = await page.evaluate(() => {
      document.querySelector('.probe').remove();
      return window.probeRequests;
    });
    if (editable) assert.ok(sent.length > 0 && sent.every((r) => r.path === '/chain/multiband/crossover/2/freq' && r.value > 1000), JSON.stringify(sent));
    else assert.deepEqual(sent, []);
  }
});

test('screenshots of the dynamics views at tablet and phone sizes', async () => {
  const { dir, done } = screenshotDir();
  await set({ '/chain/multiband/crossover/1/freq': 120, '/chain/multiband/1/threshold': -40, '/chain/multiband/1/ratio': 2,
    '/chain/multiband/2/threshold': -30, '/chain/multiband/2/ratio': 2.5,
    '/chain/multiband/4/threshold': -40, '/chain/multiband/4/ratio': 2 });
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.click('.stage-tile[data-stage="multiband"] .stage-open');
  await page.evaluate(() => document.querySelector('.stage-panel[data-stage="multiband"] .bands-view').scrollIntoView());
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(dir, 'console-tablet.png') });
  await page.evaluate(() => document.querySelector('.stage-panel[data-stage="multiband"] .bands').scrollIntoView());
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(dir, 'multiband-tablet.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.click('.stage-tile[data-stage="comp"] .stage-open');
  await page.evaluate(() => document.querySelector('.stage-panel[data-stage="comp"]').scrollIntoView());
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(dir, 'console-phone.png') });
  await page.setViewportSize({ width: 1024, height: 768 });
  done();
});
