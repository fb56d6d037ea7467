// TLS in the daemon, from a browser on a name that is not loopback: `lacquer tls` makes a
// certificate, `serve --tls-cert/--tls-key` listens on 127.0.0.2 with it, and headless
// Chromium reaches it as https://studio.test (mapped to 127.0.0.2, the self-signed
// certificate accepted). The page is a secure context, so Listen decodes audio; a plain
// request on the port is redirected to https and responses carry HSTS.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:tls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LACQUER, startDaemon, startBrowser, waitFor, sleep } from './harness.js';

// The test's own API calls go to the self-signed certificate too.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

let certs, daemon, browser, page, fingerprint;

/** `lacquer tls` into the test's folder; the new certificate's SHA-256 fingerprint. */
function makeCertificate() {
  const made = spawnSync(LACQUER, ['tls', '--out', certs, '--name', 'studio.test'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const found = /SHA-256\s+([0-9A-F:]{95})/.exec(made.stdout)?.[1];
  assert.ok(found, made.stdout);
  return found;
}

/** The fingerprint of the certificate the daemon presents now. */
function served() {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.2', port: Number(new URL(daemon.direct).port), servername: 'studio.test', rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

before(async () => {
  certs = mkdtempSync(join(tmpdir(), 'lacquer-tls-'));
  fingerprint = makeCertificate();
  daemon = await startDaemon({
    address: '127.0.0.2', scheme: 'https', hostName: 'studio.test',
    args: ['--tls-cert', join(certs, 'lacquer-cert.pem'), '--tls-key', join(certs, 'lacquer-key.pem')],
  });
  browser = await startBrowser({ args: ['--host-resolver-rules=MAP studio.test 127.0.0.2', '--ignore-certificate-errors'] });
  page = await browser.page();
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
  if (certs) rmSync(certs, { recursive: true, force: true });
});

test('plain HTTP on the TLS port is redirected to https; responses carry HSTS', async () => {
  const port = new URL(daemon.direct).port;
  const redirect = await new Promise((resolve, reject) => {
    request({ host: '127.0.0.2', port, path: '/healthz', headers: { Host: `studio.test:${port}` } }, resolve)
      .on('error', reject).end();
  });
  assert.equal(redirect.statusCode, 308);
  assert.equal(redirect.headers.location, `https://studio.test:${port}/healthz`);
  const health = await fetch(`${daemon.direct}/healthz`);
  assert.equal(health.status, 200);
  assert.match(health.headers.get('strict-transport-security') || '', /max-age=\d+/);
  assert.ok(daemon.log.join('').includes(fingerprint), 'the daemon logs the certificate it serves');
});

test('an invited client on https://studio.test is in a secure context and hears the stream', async () => {
  const sessions = await daemon.api('GET', '/api/sessions');
  const invite = await daemon.api('POST', `/api/sessions/${sessions[0].id}/invites`, { name: 'Remote artist' });
  assert.ok(invite.url.startsWith('https://'), invite.url);
  await page.goto(`${daemon.base}/${new URL(invite.url).hash}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
  assert.equal(await page.evaluate(() => window.isSecureContext), true);
  assert.equal(await page.evaluate(() => location.hostname), 'studio.test');
  await page.click('.listen-button');
  await page.waitForSelector('.live-badge[data-live="true"]', { timeout: 10000 });
  const report = await waitFor('the playout buffer to fill', async () => {
    const r = await page.evaluate(() => window.lacquerListener?.report());
    return r && r.bufferMs > 20 && r.rms > 1e-3 ? r : null;
  }, 10000);
  console.log(`https listen: codec ${report.codec}, buffer ${report.bufferMs.toFixed(0)} ms, RMS ${(20 * Math.log10(report.rms)).toFixed(1)} dBFS`);
  assert.deepEqual(page.errors, []);
});

test('SIGHUP serves a renewed certificate without a restart', async () => {
  assert.equal(await served(), fingerprint);
  const renewed = makeCertificate();
  assert.notEqual(renewed, fingerprint);
  process.kill(daemon.pid, 'SIGHUP');
  await waitFor('the renewed certificate', async () => ((await served()) === renewed ? true : (await sleep(100), null)), 5000);
  // The log line is written after the swap and reaches us through a pipe: wait for it too.
  await waitFor('the reload logged',
    () => daemon.log.join('').includes(`TLS certificate reloaded (SHA-256 ${renewed})`), 5000);
  assert.equal((await fetch(`${daemon.direct}/healthz`)).status, 200);
});
