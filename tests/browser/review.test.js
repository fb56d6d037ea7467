// The client's review page, reached from an invite link: no chain controls, live audio
// decoded in an AudioWorklet, notes pinned to the moment heard and seen by the engineer
// within a second. Both pages fit tablet and phone widths; with LACQUER_UPDATE_SCREENSHOTS=1
// their screenshots there become the README's.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startDaemon, startBrowser, wsClient, waitFor, sleep, screenshotDir } from './harness.js';

let daemon, browser, engineer, client, sessionId, inviteUrl;

const TONE_DBFS = -12;  // a 1 kHz sine on both channels

before(async () => {
  daemon = await startDaemon({ demo: false });
  browser = await startBrowser();
  // A session with one known track, opened in the player and playing.
  const tone = join(daemon.dir, 'tone.wav');
  const sox = spawnSync('sox', ['-n', '-r', '48000', '-c', '2', '-b', '24', tone, 'synth', '60', 'sine', '1000', 'vol', `${TONE_DBFS}dB`]);
  assert.equal(sox.status, 0, `sox: ${sox.stderr}`);
  sessionId = (await daemon.api('POST', '/api/sessions', { title: 'Night Drive', artist: 'The Band', client: 'Label' })).id;
  await daemon.api('POST', `/api/sessions/${sessionId}/tracks`, { file: tone, title: 'Tone 1 kHz' });
  await daemon.api('POST', `/api/sessions/${sessionId}/open`, {});
  const control = await wsClient(daemon.base, daemon.token);
  assert.equal((await control.request({ op: 'set', path: '/transport/play' })).ok, true);
  control.close();
  const invite = await daemon.api('POST', `/api/sessions/${sessionId}/invites`, { name: 'Artist' });
  assert.ok(invite.token && invite.url, 'an invite has a token and a link');
  assert.ok(!new URL(invite.url, daemon.base).search.includes(invite.token), 'never in a query string');
  inviteUrl = daemon.base + '/' + new URL(invite.url, daemon.base).hash;
  engineer = await browser.page();
  await engineer.goto(`${daemon.base}/#token=${daemon.token}`);
  await engineer.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  client = await browser.page();
  await client.goto(inviteUrl);
  await client.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

test('the invite link opens the review page with no chain controls', async () => {
  assert.equal(await client.evaluate(() => document.body.dataset.role), 'client');
  assert.equal(new URL(client.url()).hash, '', 'the token left the address bar');
  assert.equal(await client.locator('[data-path^="/chain/"], [data-path^="/monitor/"], .stage-panel, .stage-tile').count(), 0);
  assert.ok(await client.isVisible('.listen-button'));
  assert.ok(await client.isVisible('.note-form textarea'));
  assert.deepEqual(client.errors, []);
});

test('live audio reaches the AudioWorklet; the listener reports its latency', async () => {
  await client.click('.listen-button');
  await client.waitForSelector('.live-badge[data-live="true"]', { timeout: 10000 });
  await waitFor('decoded audio in the worklet', async () => {
    const v = Number(await client.evaluate(() => document.body.dataset.listenRms || 0));
    return v > 1e-3 ? v : null;
  }, 10000);
  // Let the buffer settle and the lag estimate gather transport pushes.
  await sleep(3000);
  const report = await client.evaluate(() => window.lacquerListener?.report());
  assert.ok(report, 'the page exposes its listener report');
  console.log(`listen: codec ${report.codec}, RMS ${(20 * Math.log10(report.rms)).toFixed(2)} dBFS, buffer ${report.bufferMs.toFixed(0)} ms `
    + `(target ${report.targetMs.toFixed(0)} ms, jitter ${report.jitterMs.toFixed(1)} ms), output latency ${report.outputLatencyMs.toFixed(1)} ms, `
    + `latency to the ear ${report.latencyMs.toFixed(0)} ms, behind the room ${report.lagMs === null ? 'n/a' : report.lagMs.toFixed(0) + ' ms'}, `
    + `underruns ${report.stats.underruns}, lost ${report.lost}`);
  assert.equal(report.codec, 'opus');
  // A sine of amplitude a has an RMS of a/sqrt(2): -12 dBFS peak reads -15.05 dBFS.
  const expectedDb = TONE_DBFS - 10 * Math.log10(2);
  assert.ok(Math.abs(20 * Math.log10(report.rms) - expectedDb) < 1.0, `RMS ${20 * Math.log10(report.rms)} dBFS, expected ${expectedDb}`);
  assert.ok(report.latencyMs > 0 && report.latencyMs < 400, `latency ${report.latencyMs} ms`);
  assert.ok(report.heard && report.heard.trackTimeS >= 0, 'knows what it plays');
  // The audio is the daemon's: the engineer stopping the transport brings silence.
  await engineer.click('.transport-button[title="Stop"]');
  await waitFor('silence after stop', async () => Number(await client.evaluate(() => document.body.dataset.listenRms)) < 1e-4, 5000);
  await engineer.click('.transport-button[title="Play"]');
  await waitFor('audio again after play', async () => Number(await client.evaluate(() => document.body.dataset.listenRms)) > 1e-3, 5000);
});

test('a note is pinned to the moment heard and reaches the engineer within a second', async () => {
  const text = `Snare too loud here ${Date.now()}`;
  await client.fill('.note-form textarea', text);
  const before = await client.evaluate(() => window.lacquerListener?.report().heard);
  await client.click('.note-form .note-button');
  await client.waitForFunction(() => document.body.dataset.lastNote, null, { timeout: 5000 });
  const acked = Date.now();
  const note = JSON.parse(await client.evaluate(() => document.body.dataset.lastNote));
  assert.equal(note.heard, true, 'pinned to the heard position');
  // The moment was taken when the note was started, i.e. at the heard position then.
  assert.ok(Math.abs(note.time_s - before.trackTimeS) < 0.5, `note at ${note.time_s}, heard ${before.trackTimeS}`);
  await engineer.waitForSelector(`.notes-list [data-note="${note.id}"]`, { timeout: 1000 });
  console.log(`note shown on the engineer's page ${Date.now() - acked} ms after its acknowledgement`);
  const stored = await daemon.api('GET', `/api/sessions/${sessionId}/notes`);
  const notes = Array.isArray(stored) ? stored : stored.notes;
  const mine = notes.find((n) => n.id === note.id);
  assert.ok(mine, 'stored');
  assert.equal(mine.text, text);
  assert.ok(Math.abs(mine.time_s - note.time_s) < 1e-6, 'stored at the heard time');
  assert.ok(await engineer.isVisible(`.notes-list [data-note="${note.id}"]`));
  assert.deepEqual(client.errors, []);
  assert.deepEqual(engineer.errors, []);
});

test('both pages fit tablet and phone widths, as their screenshots show', async () => {
  const { dir, done } = screenshotDir();
  for (const [name, w, h] of [['tablet', 1024, 768], ['phone', 390, 844]]) {
    await engineer.setViewportSize({ width: w, height: h });
    await client.setViewportSize({ width: w, height: h });
    await sleep(400);
    await engineer.click('.stage-tile[data-stage="eq"] .stage-open');
    await engineer.screenshot({ path: join(dir, `console-${name}.png`) });
    await client.screenshot({ path: join(dir, `review-${name}.png`) });
    for (const page of [engineer, client]) {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name}: the page scrolls sideways by ${overflow} px`);
    }
  }
  done();
});
