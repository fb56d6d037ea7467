// The album panel: the session as a release. Its metadata (title, artist, year, label,
// catalogue number), the tracks in order with each one's loudness, LRA and true peak beside
// the album's spread, and each track's album fields (title, performer, songwriter, ISRC,
// pregap, crossfade, vinyl side). Tracks move by dragging their handle, by the arrow keys
// on it, or by the up and down buttons. Every edit goes to the daemon, which validates it:
// a refused value stays in its field, marked, with the daemon's reason under it. The panel
// shows what the daemon stored (the album it answers, and again on its `album` push).
// Below the tracks, the delivery panel (delivery_view.js) delivers the album.

import { el } from './store.js';
import { api } from './connection.js';
import { DeliveryView } from './delivery_view.js';

const CEILING_DBTP = -1.0;  // the streaming services' ceiling: a true peak above it is flagged

const RELEASE_FIELDS = [
  { key: 'title', label: 'Title' },
  { key: 'artist', label: 'Artist' },
  { key: 'year', label: 'Year', type: 'number', parse: (v) => (v.trim() === '' ? null : Number(v)) },
  { key: 'label', label: 'Label' },
  { key: 'catalogue', label: 'Catalogue (EAN/UPC)', inputmode: 'numeric' },
];

const number = (v) => (v.trim() === '' ? 0 : Number(v));
const TRACK_FIELDS = [
  { key: 'title', label: 'Title' },
  { key: 'performer', label: 'Performer' },
  { key: 'songwriter', label: 'Songwriter' },
  { key: 'isrc', label: 'ISRC', placeholder: 'CCXXXYYNNNNN' },
  { key: 'pregap_s', label: 'Pregap (s)', type: 'number', step: '0.1', parse: number },
  { key: 'crossfade_s', label: 'Crossfade (s)', type: 'number', step: '0.1', parse: number },
  { key: 'side', label: 'Vinyl side', placeholder: 'A', maxlength: '1' },
];

const fixed = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : '–');

export class AlbumView {
  constructor({ token, session, toast }) {
    this.token = token;
    this.session = session;
    this.toast = toast;
    this.album = null;
    this.open = null;  // id of the track whose fields are shown
    this.rows = new Map();  // track id → the elements of its row
    this.release = el('form', { class: 'album-release', 'aria-label': 'Release' });
    this.release.addEventListener('submit', (e) => e.preventDefault());
    this.spread = el('p', { class: 'album-spread', 'aria-live': 'polite' });
    this.tracks = el('ol', { class: 'album-tracks', 'aria-label': 'Tracks in album order' });
    this.element = el('section', { class: 'album-panel', 'aria-label': 'Album' },
      el('h2', { text: 'Album' }), this.release, el('h3', { text: 'Tracks' }), this.spread, this.tracks,
      el('p', { class: 'hint', text: 'Drag a track by its handle, or focus the handle and use the arrow keys, to change the order.' }));
    this.delivery = new DeliveryView({ token, session, toast });
    this.element.append(this.delivery.element);
  }

  path(rest = '') {
    return `/api/sessions/${this.session.id}${rest}`;
  }

  /** Fetches the album and shows it. */
  async refresh() {
    if (this.session.id === null) return;
    this.delivery.refresh();
    try {
      this.show(await api(this.token, 'GET', this.path('/album')));
    } catch (err) {
      this.toast(`Album: ${err.message}`, 'error');
    }
  }

  /** Sends a change; shows the album the daemon answers, or the reason it refused under
   *  `field` (the input that made it). */
  async change(method, rest, body, field) {
    try {
      const album = await api(this.token, method, this.path(rest), body);
      if (field) this.mark(field, null);
      this.show(album, field);
      return true;
    } catch (err) {
      if (field) this.mark(field, err.message);
      else this.toast(err.message, 'error');
      return false;
    }
  }

  mark(input, reason) {
    input.setAttribute('aria-invalid', String(Boolean(reason)));
    const note = input.closest('.album-field').querySelector('.field-error');
    note.textContent = reason || '';
    note.hidden = !reason;
  }

  /** A labelled input for `f`, into `inputs` by key; `send(value, input)` commits a change. */
  field(f, id, inputs, send) {
    const input = el('input', {
      id, type: f.type || 'text', step: f.step, inputmode: f.inputmode, maxlength: f.maxlength,
      placeholder: f.placeholder, autocomplete: 'off', spellcheck: 'false', 'data-field': f.key, 'aria-invalid': 'false',
    });
    input.addEventListener('change', () => send((f.parse || String)(input.value), input));
    inputs.set(f.key, input);
    return el('div', { class: 'album-field' }, el('label', { for: id, text: f.label }), input,
      el('p', { class: 'field-error', role: 'alert', hidden: '' }));
  }

  /** Puts the stored value in an input, except while it is typed in or holds a refused
   *  value; `committed` (the input whose change was just stored) takes it anyway, as the
   *  daemon may have normalised it. */
  setValue(input, value, committed) {
    const busy = input === document.activeElement || input.getAttribute('aria-invalid') === 'true';
    if (!busy || input === committed) input.value = value ?? '';
  }

  /** Shows `album`. Elements are updated in place, never rebuilt, so a field keeps its
   *  focus and what is being typed in it while pushes arrive. */
  show(album, committed = null) {
    this.album = album;
    if (!this.releaseInputs) {
      this.releaseInputs = new Map();
      this.release.append(...RELEASE_FIELDS.map((f) => this.field(f, `album-${f.key}`, this.releaseInputs,
        (value, input) => this.change('PATCH', '/album', { [f.key]: value }, input))));
    }
    for (const f of RELEASE_FIELDS) this.setValue(this.releaseInputs.get(f.key), album[f.key], committed);
    this.showSpread(album);
    const lufs = album.tracks.map((t) => t.analysis?.integrated_lufs).filter(Number.isFinite);
    const range = { lo: Math.min(...lufs), hi: Math.max(...lufs) };
    const ids = new Set(album.tracks.map((t) => t.id));
    for (const [id, row] of this.rows) {
      if (ids.has(id)) continue;
      row.li.remove();
      this.rows.delete(id);
    }
    album.tracks.forEach((t, i) => {
      if (!this.rows.has(t.id)) this.rows.set(t.id, this.makeRow(t.id));
      const row = this.rows.get(t.id);
      this.updateRow(row, t, i, album.tracks.length, range, committed);
      // Moved only when out of place: moving a row takes the focus from what is in it.
      if (this.tracks.children[i] !== row.li) this.tracks.insertBefore(row.li, this.tracks.children[i] || null);
    });
  }

  showSpread(album) {
    const s = album.spread;
    const title = (position) => {
      const t = album.tracks.find((x) => x.position === position);
      return t ? `${position}. ${t.title || 'untitled'}` : String(position);
    };
    this.spread.textContent = s
      ? `Loudness spread ${fixed(s.loudness_spread_lu)} LU · loudest ${title(s.loudest)} · quietest ${title(s.quietest)}`
      : 'Loudness spread: needs two analysed tracks';
  }

  /** The elements of track `id`'s row: handle, position, titles, its loudness beside the
   *  album's range, the buttons that move it, and its fields (shown when open). */
  makeRow(id) {
    const row = { id, inputs: new Map() };
    const index = () => this.order().indexOf(id);
    row.handle = el('button', { type: 'button', class: 'album-handle', id: `album-handle-${id}`, title: 'Drag to reorder' }, '≡');
    row.handle.addEventListener('pointerdown', (e) => this.drag(e, row.li));
    row.handle.addEventListener('keydown', (e) => {
      const step = { ArrowUp: -1, ArrowDown: 1 }[e.key];
      if (!step) return;
      e.preventDefault();
      this.move(id, index() + step, row.handle.id);
    });
    row.up = el('button', { type: 'button', class: 'album-move', id: `album-up-${id}` }, '▲');
    row.down = el('button', { type: 'button', class: 'album-move', id: `album-down-${id}` }, '▼');
    row.up.addEventListener('click', () => this.move(id, index() - 1, row.up.id));
    row.down.addEventListener('click', () => this.move(id, index() + 1, row.down.id));
    row.position = el('span', { class: 'album-position' });
    row.name = el('span', { class: 'album-name' });
    row.credits = el('span', { class: 'album-credits' });
    row.edit = el('button', { type: 'button', class: 'album-title', id: `album-edit-${id}`, title: 'Edit the track\'s album fields' }, row.name, row.credits);
    row.edit.addEventListener('click', () => {
      this.open = this.open === id ? null : id;
      this.show(this.album);
    });
    row.lufs = el('span', { class: 'num', 'data-figure': 'lufs', title: 'Integrated loudness, LUFS' });
    row.lra = el('span', { class: 'num', 'data-figure': 'lra', title: 'Loudness range, LU' });
    row.tp = el('span', { class: 'num', 'data-figure': 'tp', title: 'True peak, dBTP' });
    row.dot = el('span', { class: 'album-spread-dot' });
    row.bar = el('span', { class: 'album-spread-bar', role: 'img' }, row.dot);
    row.gaps = el('span', { class: 'num album-gaps', title: 'Pregap, and crossfade from the previous track' });
    row.fields = el('div', { class: 'album-track-fields', hidden: '' }, ...TRACK_FIELDS.map((f) => this.field(f, `track-${id}-${f.key}`, row.inputs,
      (value, input) => this.change('PATCH', `/tracks/${id}`, { [f.key]: value }, input))));
    row.li = el('li', { class: 'album-track', 'data-track': String(id) },
      el('div', { class: 'album-row' }, row.handle, row.position, row.edit,
        el('div', { class: 'album-figures' }, row.lufs, row.lra, row.tp, row.bar, row.gaps), row.up, row.down),
      row.fields);
    return row;
  }

  updateRow(row, t, i, count, range, committed) {
    const a = t.analysis;
    const name = t.title || `Track ${t.position}`;
    row.li.dataset.position = String(t.position);
    row.handle.setAttribute('aria-label', `Move ${name} (position ${t.position} of ${count}): drag, or arrow keys`);
    row.up.setAttribute('aria-label', `Move ${name} up`);
    row.down.setAttribute('aria-label', `Move ${name} down`);
    row.up.disabled = i === 0;
    row.down.disabled = i === count - 1;
    row.position.textContent = String(t.position);
    row.name.textContent = name;
    row.credits.textContent = [t.performer, t.isrc, t.side && `side ${t.side}`].filter(Boolean).join(' · ') || 'no credits';
    row.edit.setAttribute('aria-expanded', String(this.open === t.id));
    row.lufs.textContent = a ? `${fixed(a.integrated_lufs)} LUFS` : 'not analysed';
    row.lra.textContent = a ? `LRA ${fixed(a.lra_lu)}` : '';
    row.tp.textContent = a ? `${fixed(a.true_peak_dbtp)} dBTP` : '';
    row.tp.dataset.over = String(a?.true_peak_dbtp > CEILING_DBTP);
    this.placeOnSpread(row, a?.integrated_lufs, range);
    row.gaps.textContent = `gap ${fixed(t.pregap_s)} s${t.crossfade_s > 0 ? ` · ×fade ${fixed(t.crossfade_s)} s` : ''}`;
    row.fields.hidden = this.open !== t.id;
    for (const f of TRACK_FIELDS) this.setValue(row.inputs.get(f.key), t[f.key], committed);
  }

  /** Where the track's loudness lies between the album's quietest and loudest track, and
   *  how far below the loudest it is. */
  placeOnSpread(row, lufs, { lo, hi }) {
    row.bar.hidden = !Number.isFinite(lufs) || !(hi >= lo);
    if (row.bar.hidden) return;
    const at = hi > lo ? (lufs - lo) / (hi - lo) : 1;
    const below = `${fixed(hi - lufs)} LU below the loudest track`;
    row.dot.style.left = `${(at * 100).toFixed(1)}%`;
    row.bar.dataset.below = (hi - lufs).toFixed(2);
    row.bar.setAttribute('aria-label', below);
    row.bar.title = below;
  }

  order() {
    return this.album.tracks.map((t) => t.id);
  }

  /** Moves track `id` to index `to`, then puts the focus back on `focusId`. */
  async move(id, to, focusId) {
    const ids = this.order();
    const from = ids.indexOf(id);
    if (to < 0 || to >= ids.length || from === to) return;
    ids.splice(to, 0, ...ids.splice(from, 1));
    await this.change('PUT', '/album/order', { track_ids: ids });
    const node = document.getElementById(focusId);
    if (node && !node.disabled) node.focus();
    else document.getElementById(`album-handle-${id}`)?.focus();
  }

  /** Drags a track's row by its handle (pointer events: mouse, pen and touch alike); the
   *  rows make room as it passes them, and the new order is sent on release. */
  drag(e, li) {
    if (e.button !== 0) return;
    e.preventDefault();
    li.classList.add('dragging');
    // Listened for on the window: moving the row in the document drops a pointer capture.
    const move = (ev) => {
      if (ev.pointerId !== e.pointerId) return;
      for (const other of this.tracks.children) {
        if (other === li) continue;
        const r = other.getBoundingClientRect();
        const mid = r.top + r.height / 2;
        const after = li.compareDocumentPosition(other) & Node.DOCUMENT_POSITION_FOLLOWING;
        if (after && ev.clientY > mid) other.after(li);
        else if (!after && ev.clientY < mid) other.before(li);
      }
    };
    const end = (ev) => {
      if (ev.pointerId !== e.pointerId) return;
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', end);
      window.removeEventListener('pointercancel', end);
      li.classList.remove('dragging');
      const ids = [...this.tracks.children].map((n) => Number(n.dataset.track));
      // A refused order puts the rows back where the daemon has them.
      if (ids.some((id, k) => id !== this.order()[k])) this.change('PUT', '/album/order', { track_ids: ids }).then((ok) => ok || this.show(this.album));
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', end);
    window.addEventListener('pointercancel', end);
  }
}
