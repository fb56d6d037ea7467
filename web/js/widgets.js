// Touch controls as standard custom elements. They never change their own value: a gesture
// emits `request` with the wanted engineering value, and the page sets `value` when the
// daemon echoes what it applied. Knobs: vertical drag (slower in fine mode, with Shift or a
// second finger down), double-tap to default, tap the readout to type a value.

import { formatValue, toNorm, fromNorm, el } from './store.js';
import { labelOf, choiceLabel } from './labels.js';

const DRAG_FULL_RANGE_PX = 220;  // a deliberate thumb stroke covers the whole range
const FINE_FACTOR = 0.1;
const DOUBLE_TAP_MS = 320;
const TAP_SLOP_PX = 6;
const SEND_INTERVAL_MS = 40;  // well under the connection's message rate limit

let fineMode = false;
/** Global fine adjustment (the header's Fine button). */
export function setFineMode(on) {
  fineMode = on;
}

function request(node, value) {
  node.dispatchEvent(new CustomEvent('request', { detail: value, bubbles: true }));
}

/** Sends at most one value per interval while a gesture runs; the last one always goes. */
export class Throttle {
  constructor(send) {
    this.send = send;
    this.last = 0;
    this.timer = null;
    this.value = undefined;
  }
  push(value) {
    this.value = value;
    const now = performance.now();
    if (now - this.last >= SEND_INTERVAL_MS) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), SEND_INTERVAL_MS - (now - this.last));
    }
  }
  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.value === undefined) return;
    this.last = performance.now();
    const v = this.value;
    this.value = undefined;
    this.send(v);
  }
}

class BoundControl extends HTMLElement {
  set entry(entry) {
    this._entry = entry;
    this.dataset.path = entry.path;
    this.build();
  }
  get entry() {
    return this._entry;
  }
  set value(v) {
    this._value = v;
    this.render();
  }
  get value() {
    return this._value;
  }
  get defaultValue() {
    return this._entry.default;
  }
  /** The caption: the one given (`label`), else the entry's own. */
  get labelText() {
    return this.label || labelOf(this._entry);
  }
}

export class Knob extends BoundControl {
  build() {
    const e = this._entry;
    this.classList.add('control', 'knob');
    this.title = e.description || '';
    this.innerHTML = '';
    this.dial = el('div', { class: 'dial', tabindex: '0', role: 'slider', 'aria-label': this.labelText });
    this.dial.innerHTML = `<svg viewBox="0 0 64 64" aria-hidden="true">
      <path class="track" d="${arc(0, 1)}"/><path class="fill" d=""/>
      <line class="pointer" x1="32" y1="32" x2="32" y2="10"/></svg>`;
    this.readout = el('button', { class: 'readout', type: 'button', title: 'Type a value' });
    this.caption = el('span', { class: 'caption', text: this.labelText });
    this.append(this.dial, this.readout, this.caption);
    this.throttle = new Throttle((v) => request(this, v));
    this.dial.addEventListener('pointerdown', (ev) => this.down(ev));
    this.dial.addEventListener('pointermove', (ev) => this.move(ev));
    this.dial.addEventListener('pointerup', (ev) => this.up(ev));
    this.dial.addEventListener('pointercancel', (ev) => this.up(ev));
    this.dial.addEventListener('wheel', (ev) => this.wheel(ev), { passive: false });
    this.dial.addEventListener('keydown', (ev) => this.key(ev));
    this.readout.addEventListener('click', () => this.typeIn());
    this.pointers = new Set();
    this.lastTap = 0;
    this.render();
  }

  render() {
    if (!this.dial) return;
    const e = this._entry;
    const n = this._value === undefined ? 0 : toNorm(e, this._value);
    const from = e.min < 0 && e.max > 0 ? toNorm(e, 0) : 0;
    this.dial.querySelector('.fill').setAttribute('d', arc(Math.min(from, n), Math.max(from, n)));
    const angle = -135 + 270 * n;
    this.dial.querySelector('.pointer').setAttribute('transform', `rotate(${angle} 32 32)`);
    this.dial.setAttribute('aria-valuenow', String(this._value));
    this.readout.textContent = formatValue(e, this._value);
  }

  down(ev) {
    this.pointers.add(ev.pointerId);
    if (this.pointers.size > 1) return;  // a second finger only switches to fine
    this.dial.setPointerCapture(ev.pointerId);
    this.drag = { id: ev.pointerId, y: ev.clientY, x: ev.clientX, norm: toNorm(this._entry, this._value ?? this._entry.default), moved: false };
    ev.preventDefault();
  }

  move(ev) {
    const d = this.drag;
    if (!d || ev.pointerId !== d.id) return;
    const dy = d.y - ev.clientY;
    if (!d.moved && Math.abs(dy) + Math.abs(ev.clientX - d.x) < TAP_SLOP_PX) return;
    d.moved = true;
    const fine = fineMode || ev.shiftKey || this.pointers.size > 1;
    // Re-anchor on every move so switching fine on or off mid-gesture does not jump.
    d.norm = Math.min(Math.max(d.norm + (dy / DRAG_FULL_RANGE_PX) * (fine ? FINE_FACTOR : 1), 0), 1);
    d.y = ev.clientY;
    this.throttle.push(this.quantise(fromNorm(this._entry, d.norm)));
  }

  up(ev) {
    this.pointers.delete(ev.pointerId);
    const d = this.drag;
    if (!d || ev.pointerId !== d.id) return;
    this.drag = null;
    this.throttle.flush();
    if (d.moved || ev.type === 'pointercancel') return;
    const now = performance.now();
    if (now - this.lastTap < DOUBLE_TAP_MS) {
      this.lastTap = 0;
      request(this, this._entry.default);
    } else {
      this.lastTap = now;
    }
  }

  wheel(ev) {
    ev.preventDefault();
    const step = (ev.shiftKey || fineMode ? 0.002 : 0.02) * -Math.sign(ev.deltaY);
    const n = toNorm(this._entry, this._value ?? this._entry.default) + step;
    this.throttle.push(this.quantise(fromNorm(this._entry, n)));
  }

  key(ev) {
    const steps = { ArrowUp: 1, ArrowRight: 1, ArrowDown: -1, ArrowLeft: -1, PageUp: 10, PageDown: -10 };
    if (ev.key === 'Enter') return this.typeIn();
    if (ev.key === 'Delete' || ev.key === 'Backspace') return request(this, this._entry.default);
    if (!(ev.key in steps)) return;
    ev.preventDefault();
    const n = toNorm(this._entry, this._value ?? this._entry.default) + steps[ev.key] * (ev.shiftKey ? 0.001 : 0.01);
    request(this, this.quantise(fromNorm(this._entry, n)));
  }

  quantise(v) {
    return this._entry.type === 'integer' ? Math.round(v) : Number(v.toPrecision(6));
  }

  typeIn() {
    const e = this._entry;
    const input = el('input', {
      class: 'type-in', type: 'number', inputmode: 'decimal', step: 'any',
      min: e.min, max: e.max, value: this._value ?? e.default, 'aria-label': this.labelText,
    });
    this.readout.replaceWith(input);
    input.focus();
    input.select();
    let done = false;
    const finish = (commit) => {
      if (done) return;
      done = true;
      const v = parseFloat(input.value);
      input.replaceWith(this.readout);
      if (commit && Number.isFinite(v)) request(this, v);
    };
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') finish(true);
      if (ev.key === 'Escape') finish(false);
    });
    input.addEventListener('blur', () => finish(true));
  }
}

/** An arc of the knob's 270° travel between two 0..1 positions, as an SVG path. */
function arc(n0, n1) {
  const r = 24, cx = 32, cy = 32;
  const a0 = ((-225 + 270 * n0) * Math.PI) / 180;
  const a1 = ((-225 + 270 * n1) * Math.PI) / 180;
  const p = (a) => `${(cx + r * Math.cos(a)).toFixed(2)} ${(cy + r * Math.sin(a)).toFixed(2)}`;
  const large = (n1 - n0) * 270 > 180 ? 1 : 0;
  return `M ${p(a0)} A ${r} ${r} 0 ${large} 1 ${p(a1 + (n1 === n0 ? 1e-4 : 0))}`;
}

export class Switch extends BoundControl {
  build() {
    this.classList.add('control', 'switch');
    this.innerHTML = '';
    this.button = el('button', { type: 'button', class: 'toggle', title: this._entry.description || '', 'aria-pressed': 'false' },
      this.labelText);
    this.button.addEventListener('click', () => request(this, !this._value));
    this.append(this.button);
    this.render();
  }
  render() {
    if (!this.button) return;
    this.button.setAttribute('aria-pressed', this._value ? 'true' : 'false');
  }
}

export class Choice extends BoundControl {
  build() {
    const e = this._entry;
    this.classList.add('control', 'choice');
    this.innerHTML = '';
    this.append(el('span', { class: 'caption', text: this.labelText }));
    if (e.choices.length <= (Number(this.getAttribute('max-buttons')) || 5)) {
      this.group = el('div', { class: 'segments', role: 'group', title: e.description || '' });
      for (const c of e.choices) {
        const b = el('button', { type: 'button', 'data-choice': c, 'aria-pressed': 'false' }, choiceLabel(c));
        b.addEventListener('click', () => request(this, c));
        this.group.append(b);
      }
      this.append(this.group);
    } else {
      this.select = el('select', { title: e.description || '', 'aria-label': this.labelText },
        e.choices.map((c) => el('option', { value: c }, choiceLabel(c))));
      this.select.addEventListener('change', () => {
        const wanted = this.select.value;
        this.select.value = this._value;  // until the echo arrives
        request(this, wanted);
      });
      this.append(this.select);
    }
    this.render();
  }
  render() {
    if (this.group) {
      for (const b of this.group.children) b.setAttribute('aria-pressed', b.dataset.choice === this._value ? 'true' : 'false');
    } else if (this.select && this._value !== undefined) {
      this.select.value = this._value;
    }
  }
}

export class Stepper extends BoundControl {
  build() {
    this.classList.add('control', 'stepper');
    this.title = this._entry.description || '';
    this.innerHTML = '';
    const minus = el('button', { type: 'button', 'aria-label': 'less' }, '−');
    const plus = el('button', { type: 'button', 'aria-label': 'more' }, '+');
    this.readout = el('span', { class: 'readout' });
    minus.addEventListener('click', () => request(this, Math.max(this._entry.min, (this._value ?? this._entry.default) - 1)));
    plus.addEventListener('click', () => request(this, Math.min(this._entry.max, (this._value ?? this._entry.default) + 1)));
    this.append(el('span', { class: 'caption', text: this.labelText }),
      el('div', { class: 'stepper-row' }, minus, this.readout, plus));
    this.render();
  }
  render() {
    if (this.readout) this.readout.textContent = formatValue(this._entry, this._value);
  }
}

/** A bar meter: `min`/`max` attributes in dB, `value` property; `reverse` for gain reduction. */
export class MeterBar extends HTMLElement {
  connectedCallback() {
    if (this.fill) return;
    this.classList.add('meter-bar');
    this.fill = el('div', { class: 'meter-fill' });
    this.append(this.fill);
  }
  set value(v) {
    if (!this.fill) this.connectedCallback();
    const lo = Number(this.getAttribute('min') ?? -60), hi = Number(this.getAttribute('max') ?? 0);
    const n = Math.min(Math.max((v - lo) / (hi - lo), 0), 1);
    this.fill.style.transform = this.hasAttribute('vertical') ? `scaleY(${n})` : `scaleX(${n})`;
    this.dataset.value = Number.isFinite(v) ? v.toFixed(1) : '';
  }
}

customElements.define('lq-knob', Knob);
customElements.define('lq-switch', Switch);
customElements.define('lq-choice', Choice);
customElements.define('lq-stepper', Stepper);
customElements.define('lq-meter', MeterBar);

/** The widget for a schema entry. `label` overrides the caption. */
export function controlFor(entry, label) {
  const tag = entry.type === 'boolean' ? 'lq-switch'
    : entry.type === 'choice' ? 'lq-choice'
      : entry.type === 'integer' ? 'lq-stepper' : 'lq-knob';
  const node = document.createElement(tag);
  if (label) node.label = label;
  node.entry = entry;
  return node;
}
