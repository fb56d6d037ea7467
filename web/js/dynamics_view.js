// The dynamics stages drawn. Each compressor (the comp, every multiband band, the de-esser's
// high band) gets its static transfer curve, input level to output level in dB, computed from
// the values the daemon holds; on it the live operating point: the detector level the daemon
// meters (/meter/STAGE/detector) and the output level its gain reduction (/meter/STAGE/gr)
// gives; and below it the gain reduction of the last seconds. The multiband's bands are drawn
// over the live spectrum with a handle per crossover to drag, as the EQ's bands are.
//
// Transfer axes: input -60..0 dB left to right across the canvas, output -60..0 dB bottom to
// top, so 1:1 is the diagonal; x = w (in + 60) / 60, y = h (0 - out) / 60.

import { el, prepareCanvas } from './store.js';
import { Throttle } from './widgets.js';

const DB_LO = -60, DB_HI = 0;
const GRID_DB = [-48, -36, -24, -12];
const METER_FLOOR = -150;      // the daemon's "silence / not measured" value
const HISTORY_S = 6;
const HISTORY_MIN_DB = 6;      // the history's scale: at least 0..6 dB of reduction
const CURVE = '#f1e6d0', POINT = '#ff6b3d', REDUCTION = '#e0a040';
/** The comp's automatic makeup cancels the curve's reduction at this level (CompStage::kAutoMakeupLevelDb). */
const AUTO_MAKEUP_LEVEL_DB = -18;

/**
 * Static gain reduction (dB, >= 0) of the Giannoulis-Massberg-Reiss soft knee, as the daemon's
 * compressors compute it (static_gain_reduction_db in dsp/include/lacquer/dsp/dynamics.hpp):
 * with slope = 1 - 1/ratio (ratio within 1..100) and W the knee's full width (>= 0), 0 while
 * 2 (x - T) <= -W, slope (x - T + W/2)^2 / (2W) while 2 (x - T) < W, slope (x - T) above.
 */
export function staticGainReductionDb(levelDb, thresholdDb, ratio, kneeDb) {
  const slope = 1 - 1 / Math.min(Math.max(ratio, 1), 100);
  const knee = Math.max(kneeDb, 0);
  const over = levelDb - thresholdDb;
  if (2 * over <= -knee) return 0;
  if (2 * over < knee) {
    const t = over + 0.5 * knee;
    return (slope * t * t) / (2 * knee);
  }
  return slope * over;
}

const db = (x) => 20 * Math.log10(x);
const gain = (dB) => Math.pow(10, dB / 20);

/**
 * What each dynamics stage does to a steady level: `params` are the values it reads (under its
 * prefix), `reduction(x)` the static gain reduction at detector level x, `output(x, gr)` the
 * output level for input x at reduction gr, `active` false while it passes the signal as is.
 */
const MODELS = {
  comp: {
    params: ['threshold', 'ratio', 'knee', 'makeup', 'auto_makeup', 'mix', 'bypass'],
    make: (v) => {
      const reduction = (x) => staticGainReductionDb(x, v.threshold, v.ratio, v.knee);
      const makeup = v.makeup + (v.auto_makeup ? reduction(AUTO_MAKEUP_LEVEL_DB) : 0);
      const mix = Math.min(Math.max(v.mix, 0), 100) / 100;
      // Parallel compression blends gains: x (1 + mix (g - 1)), g the makeup and reduction.
      return { reduction, output: (x, gr) => x + db(1 + mix * (gain(makeup - gr) - 1)), active: !v.bypass };
    },
  },
  band: {
    params: ['threshold', 'ratio', 'knee', 'makeup', 'bypass'],
    make: (v, stage) => ({
      reduction: (x) => staticGainReductionDb(x, v.threshold, v.ratio, v.knee),
      output: (x, gr) => (v.bypass ? x : x - gr + v.makeup),
      active: !v.bypass && !stage.bypass && v.band <= stage.bands,
    }),
  },
  // The high band alone: hard knee, at most `range` of reduction.
  deesser: {
    params: ['threshold', 'ratio', 'range', 'bypass'],
    make: (v) => ({
      reduction: (x) => Math.min(Math.max(v.range, 0), staticGainReductionDb(x, v.threshold, v.ratio, 0)),
      output: (x, gr) => x - gr,
      active: !v.bypass,
    }),
  },
};

/** A compressor's transfer curve with its operating point, and its gain-reduction history. */
export class TransferView {
  /**
   * `prefix`: its parameters (/chain/comp, /chain/multiband/2…); `meter`: its meters' prefix
   * (/meter/comp…); `kind`: comp, band or deesser; `title`: what it is, for its labels.
   */
  constructor({ store, prefix, meter, kind, title, band }) {
    this.store = store;
    this.prefix = prefix;
    this.kind = kind;
    this.band = band;
    this.history = [];  // [{t (s, performance clock), gr}]
    this.level = null;
    this.gr = 0;
    this.canvas = el('canvas', { class: 'transfer-canvas', role: 'img', 'aria-label': `${title}: transfer curve, input to output level` });
    this.strip = el('canvas', { class: 'gr-history', role: 'img', 'aria-label': `${title}: gain reduction, last ${HISTORY_S} s` });
    this.element = el('div', { class: 'transfer-view', 'data-transfer': prefix }, this.canvas, this.strip);
    for (const p of MODELS[kind].params) store.watch(`${prefix}/${p}`, () => this.invalidate());
    if (kind === 'band') {
      store.watch('/chain/multiband/bands', () => this.invalidate());
      store.watch('/chain/multiband/bypass', () => this.invalidate());
    }
    store.watch(`${meter}/detector`, (v) => {
      this.level = Number(v) > METER_FLOOR ? Number(v) : null;
      this.invalidate();
    });
    store.watch(`${meter}/gr`, (v) => {
      this.gr = Math.abs(Number(v)) || 0;
      const now = performance.now() / 1000;
      this.history.push({ t: now, gr: this.gr });
      while (this.history.length && this.history[0].t < now - HISTORY_S) this.history.shift();
      this.invalidate();
    });
    new ResizeObserver(() => this.invalidate()).observe(this.canvas);
    this.loop();
  }

  model() {
    const v = {};
    for (const p of MODELS[this.kind].params) v[p] = this.store.get(`${this.prefix}/${p}`);
    for (const p of ['threshold', 'ratio', 'knee', 'makeup', 'mix', 'range']) v[p] = Number(v[p] ?? (p === 'ratio' ? 1 : p === 'mix' ? 100 : 0));
    v.band = this.band;
    const stage = { bypass: Boolean(this.store.get('/chain/multiband/bypass')), bands: Number(this.store.get('/chain/multiband/bands') ?? 4) };
    return MODELS[this.kind].make(v, stage);
  }

  invalidate() {
    this.dirty = true;
  }

  loop() {
    // The history scrolls: redrawn while it holds anything, the curve when a value changes.
    if (this.dirty || this.history.length) this.draw();
    requestAnimationFrame(() => this.loop());
  }

  x(dB, w) {
    return ((dB - DB_LO) / (DB_HI - DB_LO)) * w;
  }
  y(dB, h) {
    return ((DB_HI - dB) / (DB_HI - DB_LO)) * h;
  }

  draw() {
    this.dirty = false;
    this.drawCurve();
    this.drawHistory();
  }

  drawCurve() {
    const frame = prepareCanvas(this.canvas);
    if (!frame) return;
    const { g, w, h } = frame;
    const m = this.model();
    g.strokeStyle = '#262b33';
    g.lineWidth = 1;
    for (const d of GRID_DB) {
      const x = Math.round(this.x(d, w)) + 0.5, y = Math.round(this.y(d, h)) + 0.5;
      g.beginPath();
      g.moveTo(x, 0);
      g.lineTo(x, h);
      g.moveTo(0, y);
      g.lineTo(w, y);
      g.stroke();
    }
    g.strokeStyle = '#3a414d';  // 1:1
    g.setLineDash([4, 4]);
    g.beginPath();
    g.moveTo(0, h);
    g.lineTo(w, 0);
    g.stroke();
    g.setLineDash([]);
    g.fillStyle = '#8a94a4';
    g.font = '10px system-ui, sans-serif';
    g.textBaseline = 'top';
    for (const d of [-48, -24]) g.fillText(`−${-d}`, this.x(d, w) + 2, h - 12);
    g.beginPath();
    for (let px = 0; px <= w; ++px) {
      const input = DB_LO + (px / w) * (DB_HI - DB_LO);
      const y = this.y(m.output(input, m.reduction(input)), h);
      if (px === 0) g.moveTo(px, y);
      else g.lineTo(px, y);
    }
    g.strokeStyle = m.active ? CURVE : '#6b7280';
    g.lineWidth = 2;
    g.setLineDash(m.active ? [] : [6, 6]);
    g.stroke();
    g.setLineDash([]);
    // The operating point: the level the detector reads, out at the reduction applied.
    const level = this.level;
    if (level === null || level < DB_LO) return;
    const px = this.x(Math.min(level, DB_HI), w);
    const py = this.y(m.output(Math.min(level, DB_HI), this.gr), h);
    g.beginPath();
    g.arc(px, Math.min(Math.max(py, 0), h), 5, 0, 2 * Math.PI);
    g.fillStyle = POINT;
    g.fill();
  }

  drawHistory() {
    const frame = prepareCanvas(this.strip);
    if (!frame) return;
    const { g, w, h } = frame;
    const now = performance.now() / 1000;
    const most = this.history.reduce((a, p) => Math.max(a, p.gr), 0);
    const scale = Math.max(HISTORY_MIN_DB, Math.ceil(most / HISTORY_MIN_DB) * HISTORY_MIN_DB);
    // Reduction hangs from the top, as on a hardware meter.
    if (this.history.length > 1) {
      g.beginPath();
      g.moveTo(w - ((now - this.history[0].t) / HISTORY_S) * w, 0);
      for (const p of this.history) g.lineTo(w - ((now - p.t) / HISTORY_S) * w, (p.gr / scale) * h);
      g.lineTo(w, (this.gr / scale) * h);
      g.lineTo(w, 0);
      g.closePath();
      g.fillStyle = REDUCTION + '99';
      g.fill();
    }
    g.fillStyle = '#8a94a4';
    g.font = '10px system-ui, sans-serif';
    g.textBaseline = 'bottom';
    g.textAlign = 'left';
    g.fillText(`GR ${this.gr > 0.05 ? `−${this.gr.toFixed(1)}` : '0.0'} dB`, 3, h - 2);
    g.textAlign = 'right';
    g.fillText(`${scale} dB`, w - 3, h - 2);
  }
}

const F_LO = 20, F_HI = 20000;
const SPEC_FLOOR_DB = -96;
const POINTS = 256;
const HANDLE_HIT_PX = 28;
/** Neighbouring crossovers stay at least this ratio apart (about 1/7 octave). */
const CROSSOVER_GAP = 1.1;
const BAND_COLOURS = ['#e8a25c', '#8fc76a', '#5ca7d9', '#c784d6'];

/**
 * The multiband's bands over the live spectrum: each band's span tinted, its gain reduction
 * hanging from the top, and a handle per crossover. Dragging a handle sends its frequency,
 * kept within the schema's range and between its neighbours; `editable` false (a listener)
 * shows the same without handles to take.
 */
export class BandsView {
  /** `crossovers`: the schema entries of /chain/multiband/crossover/K/freq, in order. */
  constructor({ store, crossovers, editable }) {
    this.store = store;
    this.crossovers = crossovers;
    this.editable = editable;
    this.spectrum = null;
    this.gr = [0, 0, 0, 0];
    this.canvas = el('canvas', { class: 'bands-canvas', role: editable ? 'group' : 'img',
      'aria-label': editable ? 'Multiband bands over the spectrum; drag a crossover' : 'Multiband bands over the spectrum' });
    this.canvas.classList.toggle('readonly', !editable);
    this.element = el('div', { class: 'bands-view' }, this.canvas);
    this.throttles = new Map();
    if (editable) {
      this.canvas.addEventListener('pointerdown', (e) => this.down(e));
      this.canvas.addEventListener('pointermove', (e) => this.move(e));
      this.canvas.addEventListener('pointerup', (e) => this.up(e));
      this.canvas.addEventListener('pointercancel', (e) => this.up(e));
    }
    for (const c of crossovers) store.watch(c.path, () => this.invalidate());
    store.watch('/chain/multiband/bands', () => this.invalidate());
    store.watch('/chain/multiband/bypass', () => this.invalidate());
    for (let b = 1; b <= 4; ++b) {
      store.watch(`/meter/multiband/${b}/gr`, (v) => {
        this.gr[b - 1] = Math.abs(Number(v)) || 0;
        this.invalidate();
      });
    }
    new ResizeObserver(() => this.invalidate()).observe(this.canvas);
    this.freqs = Array.from({ length: POINTS }, (_, i) => F_LO * Math.pow(F_HI / F_LO, i / (POINTS - 1)));
    this.loop();
  }

  invalidate() {
    this.dirty = true;
  }

  loop() {
    if (this.dirty || (this.spectrum && this.spectrum.frames !== this.drawnFrames)) this.draw();
    requestAnimationFrame(() => this.loop());
  }

  /** Crossovers in use: one fewer than the bands. */
  active() {
    const bands = Number(this.store.get('/chain/multiband/bands') ?? this.crossovers.length + 1);
    return Math.min(this.crossovers.length, Math.max(bands - 1, 0));
  }

  freq(k) {
    return Number(this.store.get(this.crossovers[k].path) ?? this.crossovers[k].default);
  }

  x(f, w) {
    return (Math.log(f / F_LO) / Math.log(F_HI / F_LO)) * w;
  }
  freqAt(x, w) {
    return F_LO * Math.pow(F_HI / F_LO, x / w);
  }

  draw() {
    this.dirty = false;
    const frame = prepareCanvas(this.canvas);
    if (!frame) return;
    const { g, w, h } = frame;
    if (this.spectrum && this.spectrum.frames) {
      this.drawnFrames = this.spectrum.frames;
      g.beginPath();
      g.moveTo(0, h);
      for (const f of this.freqs) g.lineTo(this.x(f, w), h * (Math.max(this.spectrum.levelDb(f), SPEC_FLOOR_DB) / SPEC_FLOOR_DB));
      g.lineTo(w, h);
      g.closePath();
      g.fillStyle = 'rgba(120, 150, 190, 0.22)';
      g.fill();
    }
    const splits = this.active();
    const edges = [0];
    for (let k = 0; k < splits; ++k) edges.push(this.x(this.freq(k), w));
    edges.push(w);
    const bypassed = Boolean(this.store.get('/chain/multiband/bypass'));
    g.font = '600 12px system-ui, sans-serif';
    g.textBaseline = 'top';
    g.textAlign = 'center';
    for (let b = 0; b <= splits; ++b) {
      const left = edges[b], right = edges[b + 1];
      const colour = BAND_COLOURS[b];
      g.fillStyle = colour + '1c';
      g.fillRect(left, 0, right - left, h);
      // The band's reduction hangs from the top: the full height is 24 dB.
      g.fillStyle = colour + (bypassed ? '33' : '88');
      g.fillRect(left, 0, right - left, Math.min(this.gr[b] / 24, 1) * h);
      g.fillStyle = colour;
      g.fillText(String(b + 1), (left + right) / 2, 4);
    }
    g.font = '11px system-ui, sans-serif';
    for (let k = 0; k < splits; ++k) {
      const x = edges[k + 1];
      g.strokeStyle = CURVE;
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(x, 0);
      g.lineTo(x, h);
      g.stroke();
      if (this.editable) {
        g.beginPath();
        g.arc(x, h / 2, 9, 0, 2 * Math.PI);
        g.fillStyle = this.drag?.k === k ? '#d9a441' : CURVE;
        g.fill();
      }
      const f = this.freq(k);
      g.fillStyle = '#c8ced8';
      g.textAlign = x > w - 40 ? 'right' : x < 40 ? 'left' : 'center';
      g.fillText(f >= 1000 ? `${(f / 1000).toFixed(f >= 10000 ? 1 : 2)}k` : `${Math.round(f)}`, x, h - 16);
    }
  }

  /** The frequency crossover k may take: within the schema's range, between its neighbours. */
  clamp(k, f) {
    const entry = this.crossovers[k];
    let lo = entry.min, hi = entry.max;
    if (k > 0) lo = Math.max(lo, this.freq(k - 1) * CROSSOVER_GAP);
    if (k + 1 < this.active()) hi = Math.min(hi, this.freq(k + 1) / CROSSOVER_GAP);
    return Math.min(Math.max(f, lo), hi);
  }

  down(e) {
    const r = this.canvas.getBoundingClientRect();
    const px = e.clientX - r.left;
    let best = null, bestD = HANDLE_HIT_PX;
    for (let k = 0; k < this.active(); ++k) {
      const d = Math.abs(this.x(this.freq(k), r.width) - px);
      if (d < bestD) {
        best = k;
        bestD = d;
      }
    }
    if (best === null) return;
    this.canvas.setPointerCapture(e.pointerId);
    this.drag = { id: e.pointerId, k: best, dx: this.x(this.freq(best), r.width) - px };
    this.invalidate();
    e.preventDefault();
  }

  move(e) {
    const d = this.drag;
    if (!d || e.pointerId !== d.id) return;
    const r = this.canvas.getBoundingClientRect();
    const f = Number(this.freqAt(e.clientX - r.left + d.dx, r.width).toPrecision(4));
    this.send(this.crossovers[d.k].path, this.clamp(d.k, f));
  }

  up(e) {
    if (!this.drag || e.pointerId !== this.drag.id) return;
    this.drag = null;
    for (const t of this.throttles.values()) t.flush();
    this.invalidate();
  }

  send(path, value) {
    if (!this.throttles.has(path)) {
      this.throttles.set(path, new Throttle((v) => this.element.dispatchEvent(
        new CustomEvent('request', { detail: { path, value: v }, bubbles: true }))));
    }
    this.throttles.get(path).push(value);
  }
}

/**
 * Adds the dynamics views to a stage's panel: the comp's and the de-esser's curve under the
 * panel's head, the multiband's bands view there and a curve in each band's group. Returns
 * the BandsView (multiband) for the console to give it the spectrum, else null.
 */
export function addDynamicsViews(panel, stage, store, { editable }) {
  const head = panel.querySelector('.panel-head');
  if (stage.id === 'comp' || stage.id === 'deesser') {
    const title = stage.id === 'comp' ? 'Comp' : 'De-esser high band';
    const view = new TransferView({ store, prefix: stage.prefix, meter: `/meter/${stage.id}`, kind: stage.id, title });
    head.after(el('div', { class: 'dynamics-views' }, view.element));
    return null;
  }
  if (stage.id !== 'multiband') return null;
  const crossovers = stage.entries.filter((e) => /^\/chain\/multiband\/crossover\/\d+\/freq$/.test(e.path))
    .sort((a, b) => a.path.localeCompare(b.path));
  const bands = new BandsView({ store, crossovers, editable });
  head.after(bands.element);
  for (const group of panel.querySelectorAll('fieldset.group[data-band]')) {
    const band = Number(group.dataset.band);
    const view = new TransferView({ store, prefix: `/chain/multiband/${band}`, meter: `/meter/multiband/${band}`, kind: 'band', title: `Band ${band}`, band });
    group.querySelector('.group-body').before(view.element);
  }
  return bands;
}
