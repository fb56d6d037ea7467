// The console's Invites tab against a real daemon: a link for the open session, the client
// listed with its expiry, and Revoke withdrawing its access and closing its connection at
// once.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, startBrowser } from './harness.js';

let daemon, browser, page;

before(async () => {
  daemon = await startDaemon();
  browser = await startBrowser();
  page = await browser.page();
  await page.goto(`${daemon.base}/#token=${daemon.token}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

/** Resolves with `promise`, or rejects after `ms`. */
function within(ms, promise, what) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`no ${what} in ${ms} ms`)), ms))]);
}

test('the engineer invites a client from the console and revokes it; its connection closes at once', async () => {
  await page.click('.side-tabs [role="tab"]:has-text("Invites")');
  await page.fill('.invite-form input', 'Artist');
  await page.click('.invite-form button[type="submit"]');
  const link = await page.waitForSelector('.invite-link a', { timeout: 5000 });
  const url = await link.getAttribute('href');
  assert.ok(url.startsWith(`${daemon.base}/#token=`), url);
  const token = new URL(url).hash.slice('#token='.length);
  const row = page.locator('.invite-row[data-active="true"]', { hasText: 'Artist' });
  await row.waitFor({ timeout: 5000 });
  assert.match(await row.textContent(), /14 days left/);

  const ws = new WebSocket(`${daemon.base.replace('http', 'ws')}/ws`);
  await within(3000, new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error('WebSocket did not open'));
  }), 'open');
  const reply = new Promise((resolve) => (ws.onmessage = (e) => resolve(JSON.parse(e.data))));
  ws.send(JSON.stringify({ op: 'auth', token }));
  assert.equal((await within(3000, reply, 'auth reply')).role, 'client');

  const closed = new Promise((resolve) => (ws.onclose = resolve));
  await row.locator('button', { hasText: 'Revoke' }).click();
  await within(1500, closed, 'close after Revoke');
  await page.locator('.invite-row[data-active="false"]', { hasText: 'Artist' }).waitFor({ timeout: 5000 });
  const clients = await daemon.api('GET', '/api/clients');
  assert.equal(clients.find((c) => c.name === 'Artist').revoked, true);
  assert.deepEqual(page.errors, []);
});
