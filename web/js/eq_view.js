// The EQ as a curve: the summed response of the enabled bands, each band's own response
// faintly, a handle per band to drag (frequency across, gain up and down), and the live
// output spectrum behind. Tapping a handle selects its band for the knobs below.

import { bandSections, magnitudeDb, logFrequencies } from './biquad.js';
import { Throttle } from './widgets.js';
import { el, prepareCanvas } from './store.js';

const F_LO = 20, F_HI = 20000;
const DB_RANGE = 20;          // the curve's axis: ±20 dB (the gain range is ±18)
const GRID_HZ = [50, 100, 200, 500, 1000, 2000, 5000, 10000];
const GRID_DB = [-12, -6, 0, 6, 12];
const SPEC_FLOOR_DB = -96;    // spectrum: floor to 0 dBFS over the full height
const POINTS = 256;
const HANDLE_HIT_PX = 32;
const BAND_COLOURS = ['#e8a25c', '#d9c35a', '#8fc76a', '#5cc2a8', '#5ca7d9', '#8c8fe0', '#c784d6', '#e07a9a'];

export class EqView extends EventTarget {
  /** `bands`: how many EQ bands the schema has; `store` holds the echoed values. */
  constructor(bands, store, sampleRate = 48000) {
    super();
    this.bands = bands;
    this.store = store;
    this.sampleRate = sampleRate;
    this.selected = 1;
    this.spectrum = null;
    this.reference = null;
    this.freqs = logFrequencies(F_LO, F_HI, POINTS);
    this.canvas = el('canvas', { class: 'eq-canvas', 'aria-label': 'EQ response; drag a band handle' });
    this.element = el('div', { class: 'eq-view' }, this.canvas);
    this.throttles = new Map();
    this.canvas.addEventListener('pointerdown', (e) => this.down(e));
    this.canvas.addEventListener('pointermove', (e) => this.move(e));
    this.canvas.addEventListener('pointerup', (e) => this.up(e));
    this.canvas.addEventListener('pointercancel', (e) => this.up(e));
    for (let b = 1; b <= bands; ++b) {
      for (const p of ['enabled', 'type', 'freq', 'gain', 'q', 'slope']) {
        store.watch(`/chain/eq/${b}/${p}`, () => this.invalidate());
      }
    }
    store.watch('/chain/eq/bypass', () => this.invalidate());
    new ResizeObserver(() => this.invalidate()).observe(this.canvas);
    this.loop();
  }

  band(b) {
    const g = (p) => this.store.get(`/chain/eq/${b}/${p}`);
    return { enabled: Boolean(g('enabled')), type: g('type') ?? 'bell', freq: Number(g('freq') ?? 1000),
      gain: Number(g('gain') ?? 0), q: Number(g('q') ?? 0.707), slope: Number(g('slope') ?? 12) };
  }

  select(b) {
    this.selected = b;
    this.invalidate();
    this.dispatchEvent(new CustomEvent('select', { detail: b }));
  }

  invalidate() {
    this.dirty = true;
  }

  loop() {
    // The spectrum moves continuously; the curve only when a value changes.
    if (this.dirty || (this.spectrum && this.spectrum.frames !== this.drawnFrames)) this.draw();
    requestAnimationFrame(() => this.loop());
  }

  /** The reference track's long-term spectrum, [{freq, db}] on the live spectrum's scale, or null. */
  setReference(curve) {
    this.reference = curve;
    this.invalidate();
  }

  drawReference(g, w, h) {
    const points = (this.reference || []).filter((p) => p.db !== null && p.freq >= F_LO && p.freq <= F_HI);
    this.canvas.dataset.referenceBands = String(points.length);
    if (!points.length) return;
    g.beginPath();
    points.forEach((p, i) => {
      const y = h * (Math.max(p.db, SPEC_FLOOR_DB) / SPEC_FLOOR_DB);
      if (i === 0) g.moveTo(this.x(p.freq, w), y);
      else g.lineTo(this.x(p.freq, w), y);
    });
    g.setLineDash([6, 4]);
    g.strokeStyle = 'rgba(230, 170, 80, 0.9)';
    g.lineWidth = 1.5;
    g.stroke();
    g.setLineDash([]);
  }

  x(f, w) {
    return (Math.log(f / F_LO) / Math.log(F_HI / F_LO)) * w;
  }
  freqAt(x, w) {
    return F_LO * Math.pow(F_HI / F_LO, x / w);
  }
  y(db, h) {
    return h / 2 - (db / DB_RANGE) * (h / 2);
  }

  draw() {
    this.dirty = false;
    const frame = prepareCanvas(this.canvas);
    if (!frame) return;
    const { g, w, h } = frame;
    this.drawGrid(g, w, h);
    if (this.spectrum && this.spectrum.frames) {
      this.drawnFrames = this.spectrum.frames;
      g.beginPath();
      for (let i = 0; i < POINTS; ++i) {
        const db = Math.max(this.spectrum.levelDb(this.freqs[i]), SPEC_FLOOR_DB);
        const y = h * (db / SPEC_FLOOR_DB);
        if (i === 0) g.moveTo(0, h);
        g.lineTo(this.x(this.freqs[i], w), y);
      }
      g.lineTo(w, h);
      g.closePath();
      g.fillStyle = 'rgba(120, 150, 190, 0.22)';
      g.fill();
    }
    this.drawReference(g, w, h);
    this.drawLabels(g, w, h);  // over the spectrum, which would hide them
    const bypassed = Boolean(this.store.get('/chain/eq/bypass'));
    const total = new Float64Array(POINTS);
    for (let b = 1; b <= this.bands; ++b) {
      const band = this.band(b);
      if (!band.enabled) continue;
      const sections = bandSections(band, this.sampleRate);
      g.beginPath();
      for (let i = 0; i < POINTS; ++i) {
        const db = magnitudeDb(sections, this.sampleRate, this.freqs[i]);
        total[i] += db;
        const y = this.y(Math.max(Math.min(db, DB_RANGE), -DB_RANGE * 2), h);
        if (i === 0) g.moveTo(0, y);
        else g.lineTo(this.x(this.freqs[i], w), y);
      }
      g.strokeStyle = BAND_COLOURS[(b - 1) % BAND_COLOURS.length] + (b === this.selected ? 'aa' : '44');
      g.lineWidth = 1;
      g.stroke();
    }
    g.beginPath();
    for (let i = 0; i < POINTS; ++i) {
      const y = this.y(Math.max(Math.min(total[i], DB_RANGE * 1.5), -DB_RANGE * 3), h);
      if (i === 0) g.moveTo(0, y);
      else g.lineTo(this.x(this.freqs[i], w), y);
    }
    g.strokeStyle = bypassed ? '#6b7280' : '#f1e6d0';
    g.lineWidth = 2;
    g.setLineDash(bypassed ? [6, 6] : []);
    g.stroke();
    g.setLineDash([]);
    for (let b = 1; b <= this.bands; ++b) {
      const { x, y } = this.handle(b, w, h);
      const band = this.band(b);
      g.beginPath();
      g.arc(x, y, b === this.selected ? 13 : 10, 0, 2 * Math.PI);
      g.fillStyle = band.enabled ? BAND_COLOURS[(b - 1) % BAND_COLOURS.length] : '#3a3f4a';
      g.fill();
      if (b === this.selected) {
        g.strokeStyle = '#f1e6d0';
        g.lineWidth = 2;
        g.stroke();
      }
      g.fillStyle = band.enabled ? '#111' : '#9aa3b2';
      g.font = '600 12px system-ui, sans-serif';
      g.textAlign = 'center';
      g.textBaseline = 'middle';
      g.fillText(String(b), x, y + 0.5);
    }
  }

  drawGrid(g, w, h) {
    g.strokeStyle = '#262b33';
    g.lineWidth = 1;
    for (const f of GRID_HZ) {
      const x = Math.round(this.x(f, w)) + 0.5;
      g.beginPath();
      g.moveTo(x, 0);
      g.lineTo(x, h);
      g.stroke();
    }
    for (const db of GRID_DB) {
      const y = Math.round(this.y(db, h)) + 0.5;
      g.strokeStyle = db === 0 ? '#3a414d' : '#262b33';
      g.beginPath();
      g.moveTo(0, y);
      g.lineTo(w, y);
      g.stroke();
    }
  }

  /** The axes' values: frequencies along the bottom, gains in dB (signed) at the left. */
  drawLabels(g, w, h) {
    g.fillStyle = '#8a94a4';
    g.font = '11px system-ui, sans-serif';
    g.textAlign = 'left';  // the handles' numbers are centred, and the context keeps that
    g.textBaseline = 'top';
    for (const f of GRID_HZ) g.fillText(f >= 1000 ? `${f / 1000}k` : String(f), Math.round(this.x(f, w)) + 3.5, h - 14);
    g.textBaseline = 'middle';
    for (const db of GRID_DB) {
      const text = db > 0 ? `+${db}` : db < 0 ? `−${-db}` : '0 dB';
      g.fillText(text, 4, Math.round(this.y(db, h)) - 6.5);
    }
  }

  handle(b, w, h) {
    const band = this.band(b);
    const shaped = band.type === 'bell' || band.type.endsWith('shelf');
    return { x: this.x(band.freq, w), y: this.y(shaped ? band.gain : 0, h) };
  }

  down(e) {
    const r = this.canvas.getBoundingClientRect();
    const px = e.clientX - r.left, py = e.clientY - r.top;
    let best = null, bestD = HANDLE_HIT_PX;
    for (let b = 1; b <= this.bands; ++b) {
      const { x, y } = this.handle(b, r.width, r.height);
      const d = Math.hypot(x - px, y - py);
      if (d < bestD || (d === bestD && b === this.selected)) {
        best = b;
        bestD = d;
      }
    }
    if (best === null) return;
    this.select(best);
    this.canvas.setPointerCapture(e.pointerId);
    const { x, y } = this.handle(best, r.width, r.height);
    this.drag = { id: e.pointerId, band: best, dx: x - px, dy: y - py };
    e.preventDefault();
  }

  move(e) {
    const d = this.drag;
    if (!d || e.pointerId !== d.id) return;
    const r = this.canvas.getBoundingClientRect();
    const x = Math.min(Math.max(e.clientX - r.left + d.dx, 0), r.width);
    const y = Math.min(Math.max(e.clientY - r.top + d.dy, 0), r.height);
    const freq = Number(this.freqAt(x, r.width).toPrecision(4));
    this.send(`/chain/eq/${d.band}/freq`, freq);
    const type = this.band(d.band).type;
    if (type === 'bell' || type.endsWith('shelf')) {
      const gain = Math.round((((r.height / 2 - y) / (r.height / 2)) * DB_RANGE) * 10) / 10;
      this.send(`/chain/eq/${d.band}/gain`, gain);
    }
  }

  up(e) {
    if (!this.drag || e.pointerId !== this.drag.id) return;
    this.drag = null;
    for (const t of this.throttles.values()) t.flush();
  }

  send(path, value) {
    if (!this.throttles.has(path)) {
      this.throttles.set(path, new Throttle((v) => this.element.dispatchEvent(
        new CustomEvent('request', { detail: { path, value: v }, bubbles: true }))));
    }
    this.throttles.get(path).push(value);
  }
}
