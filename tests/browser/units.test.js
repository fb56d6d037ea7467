// The UI's pure modules under Node: EQ responses against the analytic values of the RBJ and
// Butterworth designs, the playout buffer's behaviour on a simulated network and clock,
// the packet header layout and the spectrum's calibration.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { designBiquad, bandSections, magnitudeDb, butterworthSectionQ } from '../../web/js/biquad.js';
import { JitterBuffer, MIN_TARGET_S, MAX_TARGET_S } from '../../web/js/jitter_buffer.js';
import { parseHeader, HEADER_BYTES } from '../../web/js/listen.js';
import { Spectrum, fft } from '../../web/js/spectrum.js';

const FS = 48000;
const near = (actual, expected, tol, what) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ${tol} of ${expected}`);

test('bell: the gain at the centre, unity at DC and Nyquist', () => {
  const s = [designBiquad('bell', FS, 1000, 1.0, 6)];
  near(magnitudeDb(s, FS, 1000), 6, 1e-9, 'centre');
  near(magnitudeDb(s, FS, 1e-3), 0, 1e-6, 'DC');
  near(magnitudeDb(s, FS, FS / 2), 0, 1e-6, 'Nyquist');
  // RBJ's bell: the band edges at ±1/(2Q) octave... for Q = 1 the "midpoint gain" (dB/2)
  // sits at f0 * 2^(±BW/2) with BW = 2 asinh(1/(2Q)) / ln 2 in the analog prototype.
  const bw = (2 * Math.asinh(1 / 2)) / Math.LN2;
  near(magnitudeDb([designBiquad('bell', FS, 100, 1.0, 6)], FS, 100 * Math.pow(2, bw / 2)), 3, 0.02, 'midpoint gain');
});

test('shelves: full gain on their side, half the gain in dB at the corner', () => {
  const low = [designBiquad('low_shelf', FS, 200, Math.SQRT1_2, -8)];
  near(magnitudeDb(low, FS, 1e-3), -8, 1e-6, 'low shelf at DC');
  near(magnitudeDb(low, FS, 200), -4, 1e-9, 'low shelf at f0');
  near(magnitudeDb(low, FS, FS / 2), 0, 1e-6, 'low shelf at Nyquist');
  const high = [designBiquad('high_shelf', FS, 8000, Math.SQRT1_2, 5)];
  near(magnitudeDb(high, FS, FS / 2), 5, 1e-6, 'high shelf at Nyquist');
  near(magnitudeDb(high, FS, 8000), 2.5, 1e-9, 'high shelf at f0');
});

test('pass filters: -3 dB at the corner and 12 dB/oct per section', () => {
  near(magnitudeDb(bandSections({ type: 'low_pass', freq: 1000, q: Math.SQRT1_2, slope: 12 }, FS), FS, 1000),
    20 * Math.log10(Math.SQRT1_2), 1e-9, '12 dB/oct at f0');
  for (const slope of [24, 36, 48]) {
    const hp = bandSections({ type: 'high_pass', freq: 1000, q: 5, slope }, FS);
    assert.equal(hp.length, slope / 12, 'sections');
    near(magnitudeDb(hp, FS, 1000), -10 * Math.log10(2), 1e-6, `${slope} dB/oct at f0`);
    // Butterworth, order n = slope/6: |H(f)|² = 1 / (1 + (f0/f)^(2n)) in the analog domain;
    // a decade below a 1 kHz corner at 48 kHz the bilinear warp is far under 0.1 dB.
    const n = slope / 6;
    near(magnitudeDb(hp, FS, 100), -10 * Math.log10(1 + Math.pow(10, 2 * n)), 0.1, `${slope} dB/oct a decade down`);
  }
  // Poles of a 4th-order Butterworth at 22.5° and 67.5° from the imaginary axis.
  near(butterworthSectionQ(4, 0), 1 / (2 * Math.sin(Math.PI / 8)), 1e-12, 'Q of section 1');
  near(butterworthSectionQ(4, 1), 1 / (2 * Math.sin((3 * Math.PI) / 8)), 1e-12, 'Q of section 2');
});

test('notch: no output at the centre', () => {
  assert.ok(magnitudeDb(bandSections({ type: 'notch', freq: 3000, q: 4 }, FS), FS, 3000) < -100);
});

/** Feeds a buffer 20 ms chunks on a simulated clock and drains it at the output rate. */
function simulate(buffer, { seconds, feedRatio = 1, jitterS = () => 0, burstAtS = null }) {
  const chunk = 960;
  const quantum = 128;
  const out = [new Float32Array(quantum), new Float32Array(quantum)];
  let sent = 0, trackTime = 0, outT = 0, nextArrival = 0;
  const levels = [];
  let burst = [];
  while (outT < seconds) {
    // Chunks are produced every 20 ms of the sender's clock (feedRatio: its speed vs ours).
    while (nextArrival <= outT) {
      const produced = sent * (chunk / FS) / feedRatio;
      const arrival = produced + jitterS(sent);
      const l = new Float32Array(chunk).fill(0.25), r = new Float32Array(chunk).fill(-0.25);
      const meta = { trackTime, compare: 0, track: 0 };
      if (burstAtS !== null && produced >= burstAtS && produced < burstAtS + 0.5) {
        burst.push([l, r, meta]);  // held up on the way for half a second
      } else {
        for (const [bl, br, bm] of burst) buffer.push(bl, br, arrival, bm);
        burst = [];
        buffer.push(l, r, arrival, meta);
      }
      trackTime += chunk;
      sent += 1;
      nextArrival = (sent * (chunk / FS)) / feedRatio + jitterS(sent);
    }
    buffer.pull(out[0], out[1]);
    outT += quantum / FS;
    levels.push(buffer.buffered / FS);
  }
  return levels;
}

test('playout buffer: fills to the target before playing and tracks the playhead time', () => {
  const b = new JitterBuffer(FS);
  const out = [new Float32Array(128), new Float32Array(128)];
  b.push(new Float32Array(960).fill(0.5), new Float32Array(960).fill(0.5), 0, { trackTime: 48000, compare: 2, track: 1 });
  assert.equal(b.pull(out[0], out[1]), false, 'plays nothing below the target');
  assert.equal(out[0][0], 0);
  for (let i = 1; i < 4; ++i) b.push(new Float32Array(960).fill(0.5), new Float32Array(960).fill(0.5), i * 0.02, { trackTime: 48000 + i * 960, compare: 2, track: 1 });
  assert.ok(b.buffered >= b.targetFrames);
  assert.deepEqual(b.playhead(), { trackTime: 48000, compare: 2, track: 1 });
  assert.equal(b.pull(out[0], out[1]), true);
  assert.equal(out[0][5], 0.5);
  assert.equal(b.playhead().trackTime, 48000 + 128);
});

test('playout buffer: steady arrivals keep the minimum target and never underrun', () => {
  const b = new JitterBuffer(FS);
  simulate(b, { seconds: 10 });
  near(b.targetFrames / FS, MIN_TARGET_S, 1e-3, 'target');
  assert.equal(b.stats.underruns, 0);
  assert.equal(b.stats.skips, 0);
});

test('playout buffer: jittery arrivals raise the target, capped at 150 ms', () => {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const b = new JitterBuffer(FS);
  simulate(b, { seconds: 20, jitterS: () => 0.04 * random() });
  assert.ok(b.targetFrames / FS > MIN_TARGET_S + 0.02, `target ${b.targetFrames / FS}`);
  assert.ok(b.targetFrames / FS <= MAX_TARGET_S);
  const wild = new JitterBuffer(FS);
  simulate(wild, { seconds: 20, jitterS: () => 0.4 * random() });
  near(wild.targetFrames / FS, MAX_TARGET_S, 1e-3, 'capped target');
});

test('playout buffer: clock drift of ±0.1 % is absorbed by dropping or repeating frames', () => {
  for (const feedRatio of [1.001, 0.999]) {
    const b = new JitterBuffer(FS);
    const levels = simulate(b, { seconds: 120, feedRatio });
    const late = levels.slice(levels.length / 2);
    const target = b.targetFrames / FS;
    assert.ok(Math.max(...late) < target + 0.05, `level stays near the target (max ${Math.max(...late)})`);
    assert.equal(b.stats.underruns, 0, 'no underrun');
    assert.equal(b.stats.skips, 0, 'no skip');
    if (feedRatio > 1) assert.ok(b.stats.dropped > 0 && b.stats.repeated === 0);
    else assert.ok(b.stats.repeated > 0 && b.stats.dropped === 0);
  }
});

test('playout buffer: skips ahead after a burst instead of staying late', () => {
  const b = new JitterBuffer(FS);
  const levels = simulate(b, { seconds: 6, burstAtS: 2 });
  assert.ok(b.stats.skips >= 1, 'skipped');
  // Half a second arrived at once; without the skip the listener would stay that late.
  const end = levels[levels.length - 1];
  assert.ok(end <= MAX_TARGET_S + 0.03, `latency back within the largest target (${end})`);
  // The playhead still reports the track time of the frame it plays.
  const head = b.playhead();
  assert.equal(head.trackTime % 1, 0);
});

test('listen packet header: little-endian fields at their offsets', () => {
  const buf = new ArrayBuffer(HEADER_BYTES + 3);
  const v = new DataView(buf);
  v.setUint8(0, 1);
  v.setUint8(1, 1);
  v.setUint8(2, 3);
  v.setUint8(3, 1);
  v.setUint32(4, 4000000000, true);
  v.setBigUint64(8, 123456789012n, true);
  v.setUint16(16, 960, true);
  v.setUint16(18, 2, true);
  assert.deepEqual(parseHeader(buf), { codec: 1, compare: 3, playing: true, sequence: 4000000000,
    trackTime: 123456789012, frames: 960, track: 2 });
  v.setUint8(0, 2);
  assert.equal(parseHeader(buf), null, 'unknown version');
  assert.equal(parseHeader(new ArrayBuffer(10)), null, 'short frame');
});

test('spectrum: a full-scale sine reads 0 dB at its frequency', () => {
  const re = new Float64Array(8), im = new Float64Array(8);
  re[1] = 1;
  fft(re, im);
  for (let k = 0; k < 8; ++k) near(Math.hypot(re[k], im[k]), 1, 1e-12, `impulse bin ${k}`);
  const s = new Spectrum(FS);
  const f = 85 * (FS / 4096);  // on a bin centre
  const n = 5 * FS;
  const l = new Float32Array(n);
  for (let i = 0; i < n; ++i) l[i] = Math.sin((2 * Math.PI * f * i) / FS);
  s.push(l, l);
  near(s.levelDb(f), 0, 0.05, 'sine level');
  assert.ok(s.levelDb(5000) < -60, 'far from the sine');
});
