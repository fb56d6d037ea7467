// The values the daemon has applied, by path, and who shows them. Only daemon replies and
// pushes write here, so every control on the page shows the echoed value, whoever moved it.

import { choiceLabel } from './labels.js';

export class Store {
  constructor() {
    this.values = new Map();
    this.watchers = new Map();
  }

  get(path) {
    return this.values.get(path);
  }

  /** Calls `fn(value)` now (when known) and on every change of `path`; returns an unwatch. */
  watch(path, fn) {
    if (!this.watchers.has(path)) this.watchers.set(path, new Set());
    this.watchers.get(path).add(fn);
    if (this.values.has(path)) fn(this.values.get(path));
    return () => this.watchers.get(path).delete(fn);
  }

  update(path, value) {
    this.values.set(path, value);
    const set = this.watchers.get(path);
    if (set) for (const fn of set) fn(value);
  }

  /** Applies a {path: value} object (the `state` reply). */
  updateAll(values) {
    for (const [path, value] of Object.entries(values)) this.update(path, value);
  }
}

/** Formats an engineering value with its unit for a label. */
export function formatValue(entry, value) {
  if (value === undefined || value === null) return '—';
  if (entry.type === 'boolean') return value ? 'on' : 'off';
  if (entry.type === 'choice' || entry.type === 'text') return choiceLabel(value);
  if (entry.type === 'integer') return String(value);
  const v = Number(value);
  const unit = entry.unit || '';
  if (unit === 'Hz') return v >= 1000 ? `${(v / 1000).toFixed(v >= 10000 ? 1 : 2)} kHz` : `${v.toFixed(v < 100 ? 1 : 0)} Hz`;
  if (unit === 'ratio') return `${v.toFixed(v < 10 ? 2 : 1)}:1`;
  if (unit === 'ms') return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ms`;
  const digits = Math.abs(v) < 10 ? 2 : 1;
  const sign = (unit === 'dB' || unit === 'dBTP') && v > 0 ? '+' : '';
  return `${sign}${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

/** 0..1 position of an engineering value on the entry's range, following its taper. */
export function toNorm(entry, value) {
  const lo = entry.min, hi = entry.max;
  if (hi === lo) return 0;
  const v = Math.min(Math.max(Number(value), lo), hi);
  if (entry.taper === 'log' && lo > 0) return Math.log(v / lo) / Math.log(hi / lo);
  return (v - lo) / (hi - lo);
}

/** Engineering value of a 0..1 position. */
export function fromNorm(entry, norm) {
  const n = Math.min(Math.max(norm, 0), 1);
  const lo = entry.min, hi = entry.max;
  if (entry.taper === 'log' && lo > 0) return lo * Math.pow(hi / lo, n);
  return lo + n * (hi - lo);
}

/** Creates an element with attributes and children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** "m:ss.t" for a time in seconds. */
export function formatTime(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s < 10 ? '0' : ''}${s.toFixed(1)}`;
}

/** Sizes a canvas to its CSS box at the device's pixel ratio and returns {g, w, h}, or
 *  null while it has no size (hidden). Drawing then uses CSS pixels. */
export function prepareCanvas(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (!w || !h) return null;
  if (canvas.width !== Math.round(w * dpr)) canvas.width = Math.round(w * dpr);
  if (canvas.height !== Math.round(h * dpr)) canvas.height = Math.round(h * dpr);
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  return { g, w, h };
}
