// Frequency responses of the EQ bands, designed exactly as the chain designs them (RBJ
// cookbook, bilinear transform with the frequency pre-warped; pass filters above 12 dB/oct
// as cascades of Butterworth sections), so the curve on the screen is the curve you hear.

/** Coefficients {b0, b1, b2, a1, a2} of one RBJ section, normalised so that a0 = 1. */
export function designBiquad(shape, sampleRate, freqHz, q, gainDb) {
  const f = Math.min(Math.max(freqHz, 1), 0.49 * sampleRate);
  const w0 = (2 * Math.PI * f) / sampleRate;
  const cosW = Math.cos(w0);
  const halfSin = Math.sin(0.5 * w0);
  const oneMinusCos = 2 * halfSin * halfSin;
  const alpha = Math.sin(w0) / (2 * Math.min(Math.max(q, 0.025), 100));
  const a = Math.pow(10, gainDb / 40);
  const norm = (b0, b1, b2, a0, a1, a2) => ({
    b0: b0 / a0, b1: b1 / a0, b2: b2 / a0, a1: a1 / a0, a2: a2 / a0,
  });
  switch (shape) {
    case 'bell':
      return norm(1 + alpha * a, -2 * cosW, 1 - alpha * a, 1 + alpha / a, -2 * cosW, 1 - alpha / a);
    case 'low_shelf': {
      const k = 2 * Math.sqrt(a) * alpha;
      return norm(a * ((a + 1) - (a - 1) * cosW + k), 2 * a * ((a - 1) - (a + 1) * cosW),
        a * ((a + 1) - (a - 1) * cosW - k), (a + 1) + (a - 1) * cosW + k,
        -2 * ((a - 1) + (a + 1) * cosW), (a + 1) + (a - 1) * cosW - k);
    }
    case 'high_shelf': {
      const k = 2 * Math.sqrt(a) * alpha;
      return norm(a * ((a + 1) + (a - 1) * cosW + k), -2 * a * ((a - 1) + (a + 1) * cosW),
        a * ((a + 1) + (a - 1) * cosW - k), (a + 1) - (a - 1) * cosW + k,
        2 * ((a - 1) - (a + 1) * cosW), (a + 1) - (a - 1) * cosW - k);
    }
    case 'low_pass':
      return norm(0.5 * oneMinusCos, oneMinusCos, 0.5 * oneMinusCos, 1 + alpha, -2 * cosW, 1 - alpha);
    case 'high_pass': {
      const onePlusCos = 2 - oneMinusCos;
      return norm(0.5 * onePlusCos, -onePlusCos, 0.5 * onePlusCos, 1 + alpha, -2 * cosW, 1 - alpha);
    }
    case 'notch':
      return norm(1, -2 * cosW, 1, 1 + alpha, -2 * cosW, 1 - alpha);
    default:
      return { b0: 1, b1: 0, b2: 0, a1: 0, a2: 0 };
  }
}

/** Q of second-order section k of an even-order Butterworth filter. */
export function butterworthSectionQ(order, k) {
  return 1 / (2 * Math.sin(((2 * k + 1) * Math.PI) / (2 * order)));
}

/**
 * The sections of one EQ band. `band` is {type, freq, gain, q, slope} with `type` one of
 * the schema's choices and `slope` in dB/oct (12, 24, 36, 48).
 */
export function bandSections(band, sampleRate) {
  switch (band.type) {
    case 'bell':
    case 'low_shelf':
    case 'high_shelf':
      return [designBiquad(band.type, sampleRate, band.freq, band.q, band.gain)];
    case 'notch':
      return [designBiquad('notch', sampleRate, band.freq, band.q, 0)];
    case 'high_pass':
    case 'low_pass': {
      const order = Math.min(Math.max(Math.round(Number(band.slope) / 6), 2), 8);
      if (order === 2) return [designBiquad(band.type, sampleRate, band.freq, band.q, 0)];
      const out = [];
      for (let k = 0; k < order / 2; ++k) {
        out.push(designBiquad(band.type, sampleRate, band.freq, butterworthSectionQ(order, k), 0));
      }
      return out;
    }
    default:
      return [];
  }
}

/** |H(e^jw)| in dB of a cascade of sections at `freqHz`. */
export function magnitudeDb(sections, sampleRate, freqHz) {
  const w = (2 * Math.PI * freqHz) / sampleRate;
  const c1 = Math.cos(w), s1 = Math.sin(w), c2 = Math.cos(2 * w), s2 = Math.sin(2 * w);
  let db = 0;
  for (const s of sections) {
    // H = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2) with z^-n = cos(nw) - j sin(nw).
    const nr = s.b0 + s.b1 * c1 + s.b2 * c2, ni = -(s.b1 * s1 + s.b2 * s2);
    const dr = 1 + s.a1 * c1 + s.a2 * c2, di = -(s.a1 * s1 + s.a2 * s2);
    db += 10 * Math.log10((nr * nr + ni * ni) / (dr * dr + di * di));
  }
  return db;
}

/** `count` frequencies spaced evenly on a log axis from `loHz` to `hiHz`. */
export function logFrequencies(loHz, hiHz, count) {
  const out = new Float64Array(count);
  const ratio = Math.log(hiHz / loHz);
  for (let i = 0; i < count; ++i) out[i] = loHz * Math.exp((ratio * i) / (count - 1));
  return out;
}
