// The live spectrum behind the EQ curve: the chain's output as the listen stream carries it,
// a Hann-windowed 4096-point FFT of the mid signal every 2048 frames, power averaged over
// about half a second so the picture is calm.

const SIZE = 4096;
const HOP = 2048;
/** Width of one analysis bin at 48 kHz, the listen stream's rate. */
export const SPECTRUM_BIN_HZ = 48000 / SIZE;

/** In-place radix-2 FFT of (re, im), length a power of two. */
export function fft(re, im) {
  const n = re.length;
  for (let i = 1, j = 0; i < n; ++i) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang), wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1, ci = 0;
      for (let k = 0; k < len / 2; ++k) {
        const a = i + k, b = a + len / 2;
        const tr = re[b] * cr - im[b] * ci, ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
        const nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
}

export class Spectrum {
  constructor(sampleRate = 48000) {
    this.sampleRate = sampleRate;
    this.ring = new Float32Array(SIZE);
    this.filled = 0;
    this.sinceHop = 0;
    this.window = new Float32Array(SIZE);
    let sum = 0;
    for (let i = 0; i < SIZE; ++i) {
      this.window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / SIZE);
      sum += this.window[i];
    }
    this.windowSum = sum;
    this.power = new Float64Array(SIZE / 2);
    this.re = new Float64Array(SIZE);
    this.im = new Float64Array(SIZE);
    this.frames = 0;
  }

  push(left, right) {
    for (let i = 0; i < left.length; ++i) {
      this.ring[this.filled % SIZE] = 0.5 * (left[i] + right[i]);
      this.filled += 1;
      if (++this.sinceHop >= HOP && this.filled >= SIZE) {
        this.sinceHop = 0;
        this.analyse();
      }
    }
  }

  analyse() {
    const start = this.filled % SIZE;
    for (let i = 0; i < SIZE; ++i) {
      this.re[i] = this.ring[(start + i) % SIZE] * this.window[i];
      this.im[i] = 0;
    }
    fft(this.re, this.im);
    // Scaled so a full-scale sine reads 0 dB at its bin.
    const scale = 2 / this.windowSum;
    const a = 0.2;  // ~0.5 s of averaging at one analysis per 43 ms
    for (let k = 0; k < SIZE / 2; ++k) {
      const p = (this.re[k] * this.re[k] + this.im[k] * this.im[k]) * scale * scale;
      this.power[k] += a * (p - this.power[k]);
    }
    this.frames += 1;
  }

  /** Level in dB at `freqHz`, the loudest bin within ±1/12 octave. */
  levelDb(freqHz) {
    if (!this.frames) return -Infinity;
    const binHz = this.sampleRate / SIZE;
    const lo = Math.max(1, Math.floor((freqHz * 0.944) / binHz));
    const hi = Math.min(SIZE / 2 - 1, Math.ceil((freqHz * 1.059) / binHz));
    let p = 0;
    for (let k = lo; k <= hi; ++k) p = Math.max(p, this.power[k]);
    return 10 * Math.log10(p + 1e-20);
  }
}
