// Loudness and level meters from the daemon's meter pushes, and the loudness-over-time
// strip with the chosen platform's target. Meter paths are matched by their names, so the
// panel shows whatever the daemon measures and a dash for what it does not.

import { el, prepareCanvas } from './store.js';

/** Loudness targets of the delivery platforms (LUFS, and the advised ceiling in dBTP). */
export const PLATFORMS = [
  { id: 'spotify', name: 'Spotify', lufs: -14, tp: -1 },
  { id: 'apple', name: 'Apple Music', lufs: -16, tp: -1 },
  { id: 'youtube', name: 'YouTube', lufs: -14, tp: -1 },
  { id: 'tidal', name: 'Tidal', lufs: -14, tp: -1 },
  { id: 'amazon', name: 'Amazon Music', lufs: -14, tp: -1 },
  { id: 'deezer', name: 'Deezer', lufs: -15, tp: -1 },
  { id: 'ebu-r128', name: 'EBU R128', lufs: -23, tp: -1 },
  { id: 'atsc-a85', name: 'ATSC A/85', lufs: -24, tp: -2 },
];

// Readouts: label, candidate meter names (output side first), unit, digits.
const READOUTS = [
  { key: 'm', label: 'M', names: ['lufs_m', 'momentary'], unit: 'LUFS' },
  { key: 's', label: 'S', names: ['lufs_s', 'short_term'], unit: 'LUFS' },
  { key: 'i', label: 'I', names: ['lufs_i', 'integrated'], unit: 'LUFS' },
  { key: 'lra', label: 'LRA', names: ['lra'], unit: 'LU' },
  { key: 'tp', label: 'TP max', names: ['tp_max', 'true_peak_max', 'tp', 'true_peak'], unit: 'dBTP' },
  { key: 'plr', label: 'PLR', names: ['plr'], unit: 'dB' },
  { key: 'corr', label: 'Corr', names: ['correlation', 'corr'], unit: '' },
];
const BARS = [
  { label: 'In L', names: ['/meter/in/peak_l'] },
  { label: 'In R', names: ['/meter/in/peak_r'] },
  { label: 'Out L', names: ['/meter/out/peak_l'] },
  { label: 'Out R', names: ['/meter/out/peak_r'] },
];
const FLOOR = -150;  // the daemon's "silence / not measured" value
const STRIP_SECONDS = 120;
const STRIP_LO = -36, STRIP_HI = -4;

/** The meter path for a readout: an output meter of one of the names, else any of them. */
function findPath(paths, names) {
  for (const side of ['/meter/out/', '/meter/']) {
    for (const n of names) {
      const hit = paths.find((p) => p.startsWith(side) && p.split('/').pop() === n);
      if (hit) return hit;
    }
  }
  return null;
}

export class MetersView {
  constructor(store) {
    this.store = store;
    this.paths = [];
    this.history = [];  // [{t (s, performance clock), lufs}]
    this.platform = PLATFORMS.find((p) => p.id === localStorage.getItem('lacquer.platform')) || PLATFORMS[0];
    this.readouts = new Map();
    const grid = el('div', { class: 'readouts' });
    for (const r of READOUTS) {
      const value = el('span', { class: 'value', text: '—' });
      grid.append(el('div', { class: 'readout-cell', 'data-readout': r.key }, el('span', { class: 'label', text: r.label }), value,
        el('span', { class: 'unit', text: r.unit })));
      this.readouts.set(r.key, { ...r, node: value, path: null });
    }
    const bars = el('div', { class: 'peak-bars' });
    this.bars = BARS.map((b) => {
      const meter = el('lq-meter', { min: '-60', max: '0', 'data-meter': b.names[0] });
      bars.append(el('div', { class: 'bar-row' }, el('span', { class: 'label', text: b.label }), meter));
      return { ...b, meter };
    });
    const select = el('select', { 'aria-label': 'Platform target' },
      PLATFORMS.map((p) => el('option', { value: p.id, selected: p === this.platform }, `${p.name} ${p.lufs} LUFS`)));
    select.addEventListener('change', () => {
      this.platform = PLATFORMS.find((p) => p.id === select.value);
      localStorage.setItem('lacquer.platform', this.platform.id);
    });
    this.strip = el('canvas', { class: 'loudness-strip', 'aria-label': 'Loudness over time' });
    // A new measurement of integrated, LRA and the maxima (the daemon also starts one on
    // every locate and track change).
    const reset = el('button', { type: 'button', class: 'meter-reset', 'data-path': '/meter/reset',
      title: 'Reset integrated, LRA and maxima' }, 'Reset');
    reset.addEventListener('click', () => reset.dispatchEvent(
      new CustomEvent('request', { detail: { path: '/meter/reset', value: undefined }, bubbles: true })));
    this.element = el('section', { class: 'meters', 'aria-label': 'Meters' }, grid, bars,
      el('div', { class: 'strip-head' }, el('span', { text: 'Loudness' }), reset, select), this.strip);
    this.loop();
  }

  /** A meters push: {values: {path: value}}. */
  onMeters(values) {
    const paths = Object.keys(values);
    if (paths.length !== this.paths.length) {
      this.paths = paths;
      for (const r of this.readouts.values()) r.path = findPath(paths, r.names);
    }
    for (const [path, v] of Object.entries(values)) this.store.update(path, v);
    for (const r of this.readouts.values()) {
      const v = r.path ? values[r.path] : undefined;
      r.node.textContent = v === undefined || v <= FLOOR ? '—' : Number(v).toFixed(r.key === 'corr' ? 2 : 1);
      if (r.key === 'tp') r.node.classList.toggle('over', v > this.platform.tp);
    }
    for (const b of this.bars) {
      const v = values[b.names[0]];
      if (v !== undefined) b.meter.value = v;
    }
    const loud = this.readouts.get('s').path || this.readouts.get('m').path;
    if (loud && values[loud] > FLOOR) {
      const now = performance.now() / 1000;
      this.history.push({ t: now, lufs: values[loud] });
      while (this.history.length && this.history[0].t < now - STRIP_SECONDS) this.history.shift();
    }
  }

  loop() {
    this.drawStrip();
    setTimeout(() => requestAnimationFrame(() => this.loop()), 100);
  }

  drawStrip() {
    const frame = prepareCanvas(this.strip);
    if (!frame) return;
    const { g, w, h } = frame;
    const y = (lufs) => h * (1 - (Math.min(Math.max(lufs, STRIP_LO), STRIP_HI) - STRIP_LO) / (STRIP_HI - STRIP_LO));
    g.font = '10px system-ui, sans-serif';
    g.fillStyle = '#6b7585';
    for (const db of [-30, -20, -10]) {
      g.fillRect(0, Math.round(y(db)), w, 1);
      g.fillText(String(db), 2, y(db) - 2);
    }
    g.fillStyle = '#d9a441';
    g.fillRect(0, Math.round(y(this.platform.lufs)) - 1, w, 2);
    g.fillText(`${this.platform.name} ${this.platform.lufs}`, w - 110, y(this.platform.lufs) - 4);
    if (this.history.length < 2) return;
    const now = performance.now() / 1000;
    g.beginPath();
    this.history.forEach((p, i) => {
      const x = w - ((now - p.t) / STRIP_SECONDS) * w;
      if (i === 0) g.moveTo(x, y(p.lufs));
      else g.lineTo(x, y(p.lufs));
    });
    g.strokeStyle = '#9fc3e6';
    g.lineWidth = 1.5;
    g.stroke();
  }
}
