// What every browser test needs: its own jackd (dummy backend) and `lacquer serve` on free
// ports with a temporary database and token, a headless Chromium with a fresh profile, and
// a page wrapper that collects console errors.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const LACQUER = process.env.LACQUER_BINARY || join(dirname(fileURLToPath(import.meta.url)), '../../build/daemon/lacquer');
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.LACQUER_CHROMIUM || '/usr/bin/chromium';

let counter = 0;

// A port free for TCP and UDP, below the kernel's range for outgoing connections (from
// 32768), so client sockets of other tests running at the same time cannot take it first.
async function freePort() {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await bindsTo(port, createServer(), (s, done) => s.listen(port, '127.0.0.1', done))
      && await bindsTo(port, createSocket('udp4'), (s, done) => s.bind(port, '127.0.0.1', done))) return port;
  }
  throw new Error('no free port');
}

function bindsTo(port, socket, bind) {
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    bind(socket, () => socket.close(() => resolve(true)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/**
 * Starts jackd and the daemon; `stop()` ends both and removes the temporary files. `address`
 * is where it listens, `args` more `serve` flags (e.g. TLS), `scheme` and `hostName` what the
 * browser's `base` URL names; `api` always speaks to the address itself.
 */
export async function startDaemon({ demo = true, address = '127.0.0.1', args: extra = [], scheme = 'http', hostName = null } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'lacquer-web-'));
  const jackName = `lqweb-${process.pid}-${++counter}`;
  const token = randomBytes(16).toString('hex');
  const httpPort = await freePort();
  const oscPort = await freePort();
  const log = [];
  const jack = spawn('jackd', ['-n', jackName, '-d', 'dummy', '-r', '48000', '-p', '256'], { stdio: 'ignore' });
  const waited = spawnSync('jack_wait', ['-s', jackName, '-w', '-t', '10'], { encoding: 'utf8' });
  if (waited.status !== 0) {
    jack.kill('SIGKILL');
    throw new Error(`jackd ${jackName} did not start: ${waited.stdout}${waited.stderr}`);
  }
  const args = ['serve', '--jack-server', jackName, '--http', `${address}:${httpPort}`, ...extra,
    '--osc', String(oscPort), '--db', join(dir, 'lacquer.db')];
  if (demo) args.push('--demo');
  const daemon = spawn(LACQUER, args, { env: { ...process.env, LACQUER_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
  daemon.stdout.on('data', (d) => log.push(String(d)));
  daemon.stderr.on('data', (d) => log.push(String(d)));
  let exited = null;
  daemon.on('exit', (code) => (exited = code));
  const direct = `${scheme}://${address}:${httpPort}`;
  const base = hostName ? `${scheme}://${hostName}:${httpPort}` : direct;
  const stop = async () => {
    if (exited === null) {
      daemon.kill('SIGTERM');
      await waitFor('the daemon to stop', () => exited !== null, 5000).catch(() => daemon.kill('SIGKILL'));
    }
    jack.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('the daemon to answer /healthz', async () => {
      if (exited !== null) throw new Error(`lacquer exited with ${exited}:\n${log.join('')}`);
      return (await fetch(`${direct}/healthz`)).ok;
    }, 15000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { base, direct, token, dir, log, stop, pid: daemon.pid, api: (method, path, body) => apiCall(direct, token, method, path, body) };
}

async function apiCall(base, token, method, path, body) {
  const init = { method, headers: { Authorization: `Bearer ${token}` } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(base + path, init);
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Headless Chromium (Debian's) with a new profile directory; `args` are further flags. */
export async function startBrowser({ args = [] } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'lacquer-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync', ...args],
    viewport: { width: 1024, height: 768 },
  });
  return {
    context,
    /** A new tab that records console errors and uncaught exceptions in `errors`. */
    async page() {
      const page = await context.newPage();
      page.errors = [];
      page.on('console', (m) => m.type() === 'error' && page.errors.push(m.text()));
      page.on('pageerror', (e) => page.errors.push(String(e)));
      return page;
    },
    /** A new tab at `url` once the page is ready (connected, drawn, loaded). */
    async open(url) {
      const page = await this.page();
      await page.goto(url);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Creates a session (`meta`: title, artist…) with `tracks` ({file, title…}) through the API
 *  and opens it in the daemon; resolves with {id, trackIds}. */
export async function openSession(daemon, meta, tracks) {
  const id = (await daemon.api('POST', '/api/sessions', meta)).id;
  const trackIds = [];
  for (const t of tracks) trackIds.push((await daemon.api('POST', `/api/sessions/${id}/tracks`, t)).id);
  await daemon.api('POST', `/api/sessions/${id}/open`);
  return { id, trackIds };
}

/** A second control client speaking /ws from Node (no Origin header, as a surface). */
export async function wsClient(base, token) {
  const ws = new WebSocket(base.replace('http', 'ws') + '/ws');
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error('WebSocket did not open'));
  });
  const pending = new Map();
  const pushes = [];
  let next = 1;
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.id !== undefined && pending.has(m.id)) {
      pending.get(m.id)(m);
      pending.delete(m.id);
    } else {
      pushes.push(m);
    }
  };
  const request = (msg) => new Promise((resolve) => {
    const id = next++;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ ...msg, id }));
  });
  const auth = await request({ op: 'auth', token });
  if (!auth.ok) throw new Error(`auth refused: ${JSON.stringify(auth)}`);
  return { request, pushes, close: () => ws.close() };
}

/** Writes interleaved little-endian PCM `data` as a WAV file. */
export function writeWav(path, data, { rate = 48000, channels = 2, bits = 16 } = {}) {
  const block = (channels * bits) / 8;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);  // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * block, 28);
  header.writeUInt16LE(block, 32);
  header.writeUInt16LE(bits, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([header, data]));
}

/**
 * Where screenshots go: the README's (docs/screenshots) with LACQUER_UPDATE_SCREENSHOTS=1,
 * else a temporary folder that `done()` removes, so a test run leaves the source tree as it
 * was.
 */
export function screenshotDir() {
  if (process.env.LACQUER_UPDATE_SCREENSHOTS !== '1') {
    const dir = mkdtempSync(join(tmpdir(), 'lacquer-shots-'));
    return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
  }
  const dir = join(REPO, 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return { dir, done: () => {} };
}

export { sleep, waitFor };
