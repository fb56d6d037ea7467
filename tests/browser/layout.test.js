// The console at the sizes people use, against a real daemon playing the demo: at 1024×768,
// 768×1024 and 390×844, with every stage's panel open in turn and the meters running, no
// two controls (meters and the EQ's and dynamics stages' canvases included) overlap, no title
// or caption is cut off, and the page does not scroll sideways. Every parameter has a human
// label and its help text.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startDaemon, startBrowser, screenshotDir } from './harness.js';
import { overlaps, cutOff, sideways } from './layout.js';

const SIZES = [['tablet', 1024, 768], ['portrait', 768, 1024], ['phone', 390, 844]];

let daemon, browser, page;

before(async () => {
  daemon = await startDaemon();
  browser = await startBrowser();
  page = await browser.open(`${daemon.base}/#token=${daemon.token}`);
  // Gain-reduction meters are placed when the first meters arrive.
  await page.waitForSelector('.stage-tile[data-stage="multiband"] lq-meter', { timeout: 10000 });
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

for (const [name, width, height] of SIZES) {
  test(`${name} ${width}×${height}: no overlapping controls, nothing cut off, no sideways scroll`, async () => {
    await page.setViewportSize({ width, height });
    const stages = await page.$$eval('.stage-tile', (tiles) => tiles.map((t) => t.dataset.stage));
    assert.ok(stages.length >= 8, stages.join());
    for (const stage of stages) {
      await page.click(`.stage-tile[data-stage="${stage}"] .stage-open`);
      // The dynamics stages' curves, histories and bands view are among the boxes checked.
      const canvases = await page.$$eval(`.stage-panel[data-stage="${stage}"] canvas`, (nodes) => nodes.filter((n) => n.clientWidth > 0 && n.clientHeight > 0).length);
      const wanted = { comp: 2, deesser: 2, multiband: 1 + 4 * 2, eq: 1 }[stage] ?? 0;
      assert.equal(canvases, wanted, `${name}, ${stage} open: drawn canvases`);
      const found = await overlaps(page);
      assert.deepEqual(found, [], `${name}, ${stage} open: ${found.length} overlaps`);
      assert.deepEqual(await cutOff(page), [], `${name}, ${stage} open: text cut off`);
      assert.equal(await sideways(page), 0, `${name}, ${stage} open: the page scrolls sideways`);
    }
  });
}

test('at 1024×768 the side tabs start above the fold, Notes first', async () => {
  await page.setViewportSize({ width: 1024, height: 768 });
  const tab = await page.locator('.side-tabs [role="tab"]:has-text("Notes")').boundingBox();
  const side = await page.locator('.side').boundingBox();
  assert.ok(tab.y + tab.height <= side.y + side.height, `the Notes tab at ${tab.y}..${tab.y + tab.height}, the side column ends at ${side.y + side.height}`);
});

test('the stage strip: every tile holds its title, bypass and gain reduction apart', async () => {
  const { dir, done } = screenshotDir();
  for (const [name, width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    await page.click('.stage-tile[data-stage="eq"] .stage-open');
    await page.screenshot({ path: join(dir, `layout-${name}.png`) });
    const tiles = await page.$$eval('.stage-tile', (nodes) => nodes.map((t) => {
      const box = (n) => n && (({ x, y, width, height }) => ({ x, y, width, height }))(n.getBoundingClientRect());
      return { stage: t.dataset.stage, tile: box(t), title: box(t.querySelector('.stage-open')),
        bypass: box(t.querySelector('.switch button')), meters: [...t.querySelectorAll('lq-meter')].map(box) };
    }));
    const inside = (a, b) => a.x >= b.x - 0.5 && a.y >= b.y - 0.5 && a.x + a.width <= b.x + b.width + 0.5 && a.y + a.height <= b.y + b.height + 0.5;
    for (const t of tiles) {
      for (const part of [t.title, t.bypass, ...t.meters].filter(Boolean)) {
        assert.ok(inside(part, t.tile), `${name}: part of ${t.stage} outside its tile: ${JSON.stringify([part, t.tile])}`);
      }
    }
    const gr = tiles.find((t) => t.stage === 'multiband').meters;
    assert.equal(gr.length, 4, `${name}: the multiband tile's four band meters`);
    assert.ok(gr.every((m) => m.width >= 30), `${name}: multiband meters too narrow to read: ${JSON.stringify(gr)}`);
  }
  done();
});

test('every parameter has a human label and its help text', async () => {
  await page.setViewportSize({ width: 1024, height: 768 });
  const controls = await page.$$eval('.stage-panels [data-path]', (nodes) => nodes.map((n) => ({
    path: n.dataset.path,
    label: (n.querySelector('.caption') || n.querySelector('button'))?.textContent.trim(),
    help: n.title || n.querySelector('[title]')?.title || '',
  })));
  const reply = await daemon.api('GET', '/api/schema');
  const schema = new Map((Array.isArray(reply) ? reply : reply.paths).map((e) => [e.path, e]));
  assert.ok(controls.length > 100, `${controls.length} controls`);
  for (const c of controls) {
    // A raw id ("polarity_left", or "polarity left" as it used to show) fails both.
    assert.ok(c.label && !/[_/]/.test(c.label), `${c.path}: label “${c.label}”`);
    assert.match(c.label, /^[A-Z0-9]/, `${c.path}: label “${c.label}” is not capitalised`);
    assert.equal(c.help, schema.get(c.path).description, `${c.path}: help text`);
  }
});
