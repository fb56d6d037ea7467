// The room's calibration (engineer, `#view=calibration`): per speaker of the chosen set, when it
// was last measured, a Measure button (/calibration/measure: the daemon plays the sweep on that
// speaker's monitor output and records the configured microphone; /calibration/status, pushed
// to every console, says measuring, done or why it failed), the measured response and the
// response the correction EQ makes of it (the bells designed as the monitor path designs
// them), Measure again (/calibration/verify: the sweep through the correction) and the response
// it measured after correction, the four correction bands to edit or bypass, and an A/B of the
// whole correction. Below, the SPL
// reference: pink noise on one speaker at a set level, the SPL a meter reads with it, and the
// monitor level in dB SPL. Every value shown is the daemon's (echoed changes from any console).

import { el } from './store.js';
import { api } from './connection.js';
import { designBiquad, magnitudeDb } from './biquad.js';

const SETS = ['main', 'alt', 'mini'];
const SIDES = ['left', 'right'];
const BANDS = 4;
const PLOT = { lo: 20, hi: 20000, top: 12, bottom: -24, width: 600, height: 200 };

const fixed = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const signed = (v, digits = 1) => (Number.isFinite(v) ? `${v > 0 ? '+' : ''}${v.toFixed(digits)}` : '–');
// "measuring main/left", "failed main/right: why", ... (the daemon's /calibration/status).
const STATUS = /^(measuring|verifying|measured|verified|failed) (\w+)\/(\w+)(?:: (.*))?$/s;
const STATUS_TEXT = { measuring: 'Measuring… the sweep plays on this speaker',
  verifying: 'Measuring again through the correction…', measured: 'Measured', verified: 'Measured again through the correction' };

function svg(tag, attrs = {}) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

const xOf = (f) => (PLOT.width * Math.log(f / PLOT.lo)) / Math.log(PLOT.hi / PLOT.lo);
const yOf = (db) => (PLOT.height * (PLOT.top - Math.min(Math.max(db, PLOT.bottom), PLOT.top))) / (PLOT.top - PLOT.bottom);

export class CalibrationView {
  constructor({ conn, token, store, toast }) {
    this.conn = conn;
    this.token = token;
    this.store = store;
    this.toast = toast;
    this.set = 'main';
    this.measured = new Map();  // "set/side" -> the stored calibration
    this.heldGains = new Map();  // band path -> gain kept while bypassed or compared flat
    this.speakers = {};
    this.statuses = new Map();  // side -> the card's status line, buttons
    conn.addEventListener('param', (e) => store.update(e.detail.path, e.detail.value));
    store.watch('/calibration/status', (s) => this.onStatus(s));
    conn.addEventListener('online', () => this.refresh());

    this.setSelect = el('select', { 'aria-label': 'Speaker set', class: 'cal-set' },
      SETS.map((s) => el('option', { value: s, text: s })));
    this.setSelect.addEventListener('change', () => {
      this.set = this.setSelect.value;
      this.draw();
    });
    this.microphone = el('span', { class: 'cal-mic' });
    this.cards = el('div', { class: 'cal-speakers' });
    this.element = el('main', { class: 'calibration' },
      el('header', { class: 'cal-head' }, el('h1', { text: 'Room calibration' }),
        el('label', {}, 'Speaker set ', this.setSelect), this.microphone,
        el('a', { href: '#', class: 'cal-back', text: 'Console' })),
      this.cards, this.splPanel());
    this.element.querySelector('.cal-back').addEventListener('click', (e) => {
      e.preventDefault();
      location.hash = '';
      location.reload();
    });
  }

  async refresh() {
    try {
      const state = await this.conn.request({ op: 'state' });
      this.store.updateAll(state.values);
      const cal = await api(this.token, 'GET', '/api/calibration');
      this.microphone.textContent = cal.microphone ? `Microphone: ${cal.microphone}` : 'No microphone configured ([calibration] microphone)';
      this.measured.clear();
      for (const c of cal.speakers) this.measured.set(`${c.speaker_set}/${c.speaker}`, c);
      this.draw();
    } catch (err) {
      this.toast(err.message, 'error');
    }
  }

  path(side, rest) {
    return `/monitor/speakers/${this.set}/${side}/${rest}`;
  }

  /** One card per speaker of the set, rebuilt when the set changes. */
  draw() {
    this.unwatch?.forEach((u) => u());
    this.unwatch = [];
    this.statuses.clear();
    this.cards.replaceChildren(...SIDES.map((side) => this.card(side)));
    this.showStatus(this.store.get('/calibration/status'));
  }

  card(side) {
    const stored = this.measured.get(`${this.set}/${side}`);
    const result = stored?.result;
    const when = stored ? new Date(stored.measured_unix_ms).toLocaleString() : 'never measured';
    const measure = el('button', { type: 'button', class: 'cal-measure', text: 'Measure' });
    const again = el('button', { type: 'button', class: 'cal-verify', text: 'Measure again',
      title: 'Measure through the correction: the response after it' });
    const status = el('p', { class: 'cal-status', role: 'status' });
    measure.addEventListener('click', () => this.measure(side, false));
    again.addEventListener('click', () => this.measure(side, true));
    this.statuses.set(side, { status, buttons: [measure, again] });
    const ab = el('button', { type: 'button', class: 'toggle cal-ab', 'aria-pressed': 'true', text: 'Correction A/B' });
    ab.addEventListener('click', () => this.compare(side, ab));

    const plot = svg('svg', { viewBox: `0 0 ${PLOT.width} ${PLOT.height}`, class: 'cal-plot', role: 'img',
      'aria-label': `Response of the ${side} speaker` });
    for (const db of [6, 0, -6, -12, -18]) {
      plot.append(svg('line', { x1: 0, x2: PLOT.width, y1: yOf(db), y2: yOf(db), class: db === 0 ? 'axis' : 'grid' }));
    }
    for (const f of [50, 100, 200, 500, 1000, 2000, 5000, 10000]) {
      plot.append(svg('line', { x1: xOf(f), x2: xOf(f), y1: 0, y2: PLOT.height, class: 'grid' }));
    }
    const before = svg('polyline', { class: 'before' });
    const after = svg('polyline', { class: 'after' });
    const remeasured = svg('polyline', { class: 'remeasured' });
    plot.append(before, after, remeasured);
    const verified = stored?.after?.result;
    if (verified) {
      remeasured.setAttribute('points', verified.response.freq_hz.map((f, i) =>
        `${xOf(f).toFixed(1)},${yOf(verified.response.level_db[i] - verified.level_db).toFixed(1)}`).join(' '));
    }

    const bands = el('table', { class: 'cal-bands' },
      el('thead', {}, el('tr', {}, ['Band', 'Freq (Hz)', 'Gain (dB)', 'Q', 'On'].map((h) => el('th', { text: h })))));
    const body = el('tbody');
    for (let b = 1; b <= BANDS; ++b) body.append(this.bandRow(side, b));
    bands.append(body);

    const alignment = el('p', { class: 'cal-align' });
    const redraw = () => {
      const level = result ? result.level_db : 0;
      const freq = result?.response.freq_hz || [];
      const db = result?.response.level_db || [];
      const points = (fn) => freq.map((f, i) => `${xOf(f).toFixed(1)},${yOf(fn(f, db[i]) - level).toFixed(1)}`).join(' ');
      before.setAttribute('points', points((f, v) => v));
      const rate = result?.sample_rate || 48000;  // the rate the monitor path runs at
      const sections = this.sections(side, rate);
      after.setAttribute('points', points((f, v) => v + magnitudeDb(sections, rate, f)));
      alignment.textContent = `Trim ${signed(this.store.get(this.path(side, 'trim')))} dB · delay ${fixed(this.store.get(this.path(side, 'delay')), 2)} ms`;
    };
    for (let b = 1; b <= BANDS; ++b) {
      for (const k of ['freq', 'gain', 'q']) this.unwatch.push(this.store.watch(this.path(side, `eq/${b}/${k}`), redraw));
    }
    for (const k of ['trim', 'delay']) this.unwatch.push(this.store.watch(this.path(side, k), redraw));
    redraw();

    const facts = result
      ? `Delay ${fixed(result.delay_ms, 2)} ms · level ${signed(result.level_db)} dB · noise floor ${fixed(result.noise_floor?.rms_dbfs)} dBFS`
      : 'No measurement yet';
    const afterWhen = stored?.after ? `Measured again ${new Date(stored.after.measured_unix_ms).toLocaleString()}` : 'Not measured again since';
    return el('section', { class: 'cal-speaker', 'data-side': side },
      el('header', {}, el('h2', { text: side === 'left' ? 'Left' : 'Right' }),
        el('span', { class: 'cal-date', text: `Last measured: ${when}` }), measure, again, ab),
      status, el('p', { class: 'cal-facts', text: facts }), plot,
      el('p', { class: 'cal-legend' }, el('span', { class: 'before', text: 'measured' }), ' ',
        el('span', { class: 'after', text: 'with correction' }), ' ',
        el('span', { class: 'remeasured', text: 'measured after correction' }), ' · ',
        el('span', { class: 'cal-after-date', text: afterWhen })),
      bands, alignment);
  }

  /** The correction bells of a speaker as the monitor path designs them (gain 0: none). */
  sections(side, rate) {
    const out = [];
    for (let b = 1; b <= BANDS; ++b) {
      const gain = this.store.get(this.path(side, `eq/${b}/gain`)) || 0;
      if (gain === 0) continue;
      out.push(designBiquad('bell', rate, this.store.get(this.path(side, `eq/${b}/freq`)),
        this.store.get(this.path(side, `eq/${b}/q`)), gain));
    }
    return out;
  }

  bandRow(side, b) {
    const base = this.path(side, `eq/${b}`);
    const input = (k, step) => {
      const field = el('input', { type: 'number', step, class: `cal-${k}`, 'aria-label': `Band ${b} ${k}` });
      field.addEventListener('change', () => this.send(`${base}/${k}`, Number(field.value)));
      this.unwatch.push(this.store.watch(`${base}/${k}`, (v) => {
        if (document.activeElement !== field) field.value = k === 'freq' ? fixed(v, v < 100 ? 1 : 0) : fixed(v, 2);
      }));
      return field;
    };
    const on = el('input', { type: 'checkbox', class: 'cal-on', 'aria-label': `Band ${b} on` });
    this.unwatch.push(this.store.watch(`${base}/gain`, (g) => { on.checked = g !== 0 || !this.heldGains.has(`${base}/gain`); }));
    on.addEventListener('change', () => this.bypass(`${base}/gain`, !on.checked));
    return el('tr', { 'data-band': String(b) }, el('td', { text: String(b) }),
      el('td', {}, input('freq', '0.1')), el('td', {}, input('gain', '0.1')), el('td', {}, input('q', '0.01')),
      el('td', {}, on));
  }

  /** Bypassing a band sets its gain to 0 and keeps the gain here to restore it. */
  bypass(gainPath, off) {
    if (off) {
      const g = this.store.get(gainPath) || 0;
      if (g === 0) return;
      this.heldGains.set(gainPath, g);
      this.send(gainPath, 0);
    } else if (this.heldGains.has(gainPath)) {
      const g = this.heldGains.get(gainPath);
      this.heldGains.delete(gainPath);
      this.send(gainPath, g);
    }
  }

  /** A/B: every band of the speaker bypassed (B, flat) or back (A, the correction). */
  compare(side, button) {
    const flat = button.getAttribute('aria-pressed') === 'true';
    button.setAttribute('aria-pressed', String(!flat));
    for (let b = 1; b <= BANDS; ++b) this.bypass(this.path(side, `eq/${b}/gain`), flat);
  }

  /** Starts a measurement (or one through the correction); its progress comes as status. */
  async measure(side, verify) {
    const { status } = this.statuses.get(side);
    try {
      await this.conn.set(verify ? '/calibration/verify' : '/calibration/measure', `${this.set}/${side}`);
    } catch (err) {
      status.textContent = err.message;
      status.classList.add('error');
    }
  }

  /** The daemon's /calibration/status, from whichever console or surface started it. */
  onStatus(text) {
    const m = this.showStatus(text);
    // The whole state comes again on every refresh: only a new status is news.
    if (text === this.lastStatus) return;
    this.lastStatus = text;
    if (m?.[1] === 'measured') this.heldGains.clear();
    if (m?.[1] === 'measured' || m?.[1] === 'verified') this.refresh();
  }

  showStatus(text) {
    const m = STATUS.exec(text || '');
    const running = m && (m[1] === 'measuring' || m[1] === 'verifying');
    for (const { buttons } of this.statuses.values()) buttons.forEach((b) => { b.disabled = Boolean(running); });
    if (!m || m[2] !== this.set || !this.statuses.has(m[3])) return m;
    const { status } = this.statuses.get(m[3]);
    status.textContent = m[1] === 'failed' ? m[4] : STATUS_TEXT[m[1]];
    status.classList.toggle('error', m[1] === 'failed');
    return m;
  }

  send(path, value) {
    this.conn.set(path, value).catch((err) => this.toast(err.message, 'error'));
  }

  /** Pink noise, the SPL the meter reads with it, and the monitor level in dB SPL. */
  splPanel() {
    const choice = (path, options, label) => {
      const s = el('select', { 'aria-label': label, 'data-path': path }, options.map((o) => el('option', { value: o, text: o })));
      s.addEventListener('change', () => this.send(path, s.value));
      this.store.watch(path, (v) => { s.value = v; });
      return s;
    };
    const number = (path, label, step) => {
      const f = el('input', { type: 'number', step, 'aria-label': label, 'data-path': path });
      f.addEventListener('change', () => this.send(path, Number(f.value)));
      this.store.watch(path, (v) => { if (document.activeElement !== f) f.value = fixed(v, 1); });
      return f;
    };
    const reading = el('output', { class: 'cal-spl' });
    const show = () => {
      const ref = this.store.get(`/monitor/speakers/${this.set}/reference_spl`);
      const level = this.store.get('/monitor/level');
      reading.textContent = ref > 0 && Number.isFinite(level)
        ? `Monitor level: ${fixed(ref + level)} dB SPL (a -20 dBFS RMS signal)`
        : 'Monitor level in dB SPL: enter the reference SPL';
    };
    for (const s of SETS) this.store.watch(`/monitor/speakers/${s}/reference_spl`, show);
    this.store.watch('/monitor/level', show);
    this.setSelect.addEventListener('change', show);
    const refs = SETS.map((s) => el('label', { 'data-set': s }, `Reference SPL (${s}) `,
      number(`/monitor/speakers/${s}/reference_spl`, `Reference SPL of ${s}`, '0.1')));
    return el('section', { class: 'cal-reference' }, el('h2', { text: 'SPL reference' }),
      el('div', { class: 'cal-row' },
        el('label', {}, 'Pink noise ', choice('/monitor/noise', ['off', 'mid', 'full'], 'Pink noise')),
        el('label', {}, 'on ', choice('/monitor/noise_speaker', SIDES, 'Noise speaker')),
        el('label', {}, 'at ', number('/monitor/noise_level', 'Noise level', '0.5'), ' dBFS RMS')),
      el('div', { class: 'cal-row' }, refs), reading);
  }
}
