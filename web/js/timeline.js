// The track timeline: the whole track from the daemon's analysis (its waveform, with the
// short-term loudness over it) as soon as the analysis is there, else a level overview that
// fills in as the track plays (peak of the output meters per slice of time); the playhead,
// what this listener hears, and the notes as markers. Tapping a marker selects its note; tapping elsewhere asks to locate there.
// Below it the track's QC from the daemon's analysis: its events as marks (tap one to
// locate there and select it; on the console "Note this" files it for the client) and the
// loudness and true-peak summary, and what each streaming service does to its level.

import { el, formatTime, prepareCanvas } from './store.js';

const SLICES = 400;
const MARKER_HIT_PX = 22;
const EDGE_PX = 14;  // room above for note markers and below for the time labels
const LOUDNESS_FLOOR_LUFS = -40;  // the short-term curve spans the drawing from here to 0 LUFS

const PLATFORM_CEILING_DBTP = -1.0;
const CHANNELS = ['left channel', 'right channel'];

/** What an event says to a client: "click, right channel". */
function eventText(e) {
  const where = e.channel === null || e.channel === undefined ? '' : `, ${CHANNELS[e.channel] ?? `channel ${e.channel + 1}`}`;
  return `${e.type.replace(/_/g, ' ')}${where}`;
}

export class Timeline extends EventTarget {
  constructor({ interactive }) {
    super();
    this.interactive = interactive;
    this.duration = 0;
    this.position = 0;
    this.heard = null;
    this.notes = [];
    this.selectedNote = null;
    this.overviews = new Map();  // track index → Float32Array of slice levels (dBFS)
    this.shape = null;  // the analysed track's {track, duration, waveform, loudness}
    this.track = 0;
    this.canvas = el('canvas', { class: 'timeline-canvas', 'aria-label': interactive ? 'Timeline: tap to locate' : 'Timeline' });
    this.analysis = null;  // the current track's report, {pending: true}, or null
    this.marks = el('div', { class: 'qc-marks', role: 'group', 'aria-label': 'QC events' });
    this.summary = el('div', { class: 'qc-summary', 'aria-live': 'polite' });
    this.platforms = el('details', { class: 'qc-platforms', hidden: '' });
    this.element = el('div', { class: 'timeline' }, el('div', { class: 'timeline-track' }, this.canvas, this.marks), this.summary, this.platforms);
    if (interactive) this.element.append(this.eventNoteForm());
    this.canvas.addEventListener('pointerup', (e) => this.tap(e));
    new ResizeObserver(() => this.draw()).observe(this.canvas);
  }

  setTransport(t) {
    const changed = t.track !== this.track || t.duration_s !== this.duration;
    this.track = t.track;
    this.duration = t.duration_s || 0;
    this.position = t.position_s || 0;
    this.playing = t.playing;
    if (changed) {
      this.draw();
      this.placeMarks();
    }
  }

  /** The whole-track drawing of the track at index `track` from its analysis report (or
   *  none, with a report that has no waveform). */
  setOverview(report, track) {
    const wave = report?.waveform, curve = report?.loudness_curve;
    this.shape = wave?.hop_s > 0 && wave.max?.length ? {
      track, duration: report.duration_s || wave.hop_s * wave.max.length, waveform: wave,
      loudness: curve?.hop_s > 0 && curve.short_term?.length ? curve : null,
    } : null;
    this.canvas.dataset.overview = this.shape ? 'analysis' : 'live';
    this.canvas.title = this.shape ? 'The whole track: waveform, and short-term loudness in amber (−40 to 0 LUFS)'
      : 'The output level, where the track has played';
    this.draw();
  }

  /** The current track's analysis (GET .../analysis), the track at index `track`. */
  setAnalysis(report, track) {
    this.analysis = report;
    this.setOverview(report, track);
    const l = report?.loudness;
    const db = (v, unit) => (Number.isFinite(v) ? `${v.toFixed(1)} ${unit}` : '–');
    if (!report) this.summary.textContent = '';
    else if (report.pending) this.summary.textContent = 'QC: analysing…';
    else if (report.error) this.summary.textContent = `QC: ${report.error}`;
    else {
      const events = report.events?.length ?? 0;
      this.summary.textContent = `QC: ${db(l?.integrated_lufs, 'LUFS')} integrated · LRA ${db(l?.lra_lu, 'LU')} · ` +
        `true peak ${db(l?.true_peak_dbtp, 'dBTP')} · ${events} ${events === 1 ? 'event' : 'events'}`;
    }
    const marks = (report?.events || []).map((e) => {
      const label = `${e.type.replace(/_/g, ' ')} at ${formatTime(e.time_s)}${e.channel === null ? '' : ` (channel ${e.channel + 1})`}`;
      const b = el('button', { type: 'button', class: 'qc-mark', title: e.detail ? `${label}: ${e.detail}` : label,
        'aria-label': label, 'data-type': e.type, 'data-severity': e.severity, 'data-time': String(e.time_s) });
      b.addEventListener('click', () => {
        this.selectEvent(e, b);
        this.dispatchEvent(new CustomEvent('locate', { detail: e.time_s }));
      });
      return b;
    });
    this.marks.replaceChildren(...marks);
    this.showPlatforms(report?.platforms || []);
    this.selectEvent(null);
    this.placeMarks();
  }

  /** The gain each streaming service applies to the track and the true peak after it;
   * a peak above -1 dBTP (the services' ceiling) is flagged. */
  showPlatforms(platforms) {
    const signed = (v) => (Number.isFinite(v) ? `${v > 0 ? '+' : ''}${v.toFixed(1)}` : '–');
    const rows = platforms.map((p) => el('tr', { 'data-name': p.name },
      el('td', { title: p.note || '' }, p.label || p.name),
      el('td', { class: 'num' }, signed(p.gain_db)),
      el('td', { class: 'num', 'data-over': String(p.true_peak_after_dbtp > PLATFORM_CEILING_DBTP) }, signed(p.true_peak_after_dbtp))));
    this.platforms.replaceChildren(el('summary', { text: 'Streaming services' }),
      el('table', {}, el('thead', {}, el('tr', {}, el('th', { text: 'Service' }), el('th', { class: 'num', text: 'Gain dB' }),
        el('th', { class: 'num', text: 'True peak after, dBTP' }))), el('tbody', {}, ...rows)));
    this.platforms.hidden = rows.length === 0;
  }

  /** Marks `event` (its button `mark`) selected; on the console it can then be noted. */
  selectEvent(event, mark) {
    this.selectedEvent = event;
    for (const b of this.marks.children) b.setAttribute('aria-pressed', String(b === mark));
    if (!this.noteForm) return;
    this.noteForm.hidden = !event;
    if (event) {
      this.noteText.value = '';
      this.noteText.placeholder = eventText(event);
    }
  }

  /** "Note this": files the selected event as an observation for the client
   * (the `observe` event: {time_s, type, text}), in the engineer's words or the event's. */
  eventNoteForm() {
    this.noteText = el('input', { type: 'text', class: 'qc-note-text', 'aria-label': 'Observation for the client', maxlength: '500' });
    this.noteForm = el('form', { class: 'qc-note', hidden: '' }, this.noteText,
      el('button', { type: 'submit', class: 'qc-note-button' }, 'Note this'));
    this.noteForm.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const e = this.selectedEvent;
      if (!e) return;
      const text = this.noteText.value.trim() || eventText(e);
      this.dispatchEvent(new CustomEvent('observe', { detail: { time_s: e.time_s, type: e.type, text } }));
      this.selectEvent(null);
    });
    return this.noteForm;
  }

  placeMarks() {
    const duration = this.duration > 0 ? this.duration : this.analysis?.duration_s;
    for (const b of this.marks.children) {
      b.style.left = duration > 0 ? `${(Math.min(Number(b.dataset.time), duration) / duration) * 100}%` : '0';
    }
  }

  /** Adds the current output level at the playhead to the overview. */
  addLevel(db) {
    if (!this.playing || !(this.duration > 0) || !Number.isFinite(db)) return;
    if (!this.overviews.has(this.track)) this.overviews.set(this.track, new Float32Array(SLICES).fill(-Infinity));
    const slices = this.overviews.get(this.track);
    const k = Math.min(SLICES - 1, Math.floor((this.position / this.duration) * SLICES));
    slices[k] = Math.max(slices[k], db);
  }

  setNotes(notes) {
    this.notes = notes;
    this.draw();
  }

  /** The length the timeline spans: the transport's, else the analysed track's. */
  span() {
    if (this.duration > 0) return this.duration;
    return this.shape?.track === this.track ? this.shape.duration : 0;
  }

  x(t, w) {
    const d = this.span();
    return d > 0 ? (Math.min(Math.max(t, 0), d) / d) * w : 0;
  }

  draw() {
    const frame = prepareCanvas(this.canvas);
    if (!frame) return;
    const { g, w, h } = frame;
    const mid = h / 2;
    g.fillStyle = '#1b1f26';
    g.fillRect(0, mid - 0.5, w, 1);
    if (this.shape?.track === this.track) this.drawShape(g, w, h);
    else this.drawLevels(g, w, mid);
    const duration = this.span();
    g.fillStyle = '#6b7585';
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'top';
    if (duration > 0) {
      const step = duration > 240 ? 60 : duration > 60 ? 30 : 10;
      for (let t = step; t < duration; t += step) {
        const x = Math.round(this.x(t, w)) + 0.5;
        g.fillRect(x, h - 6, 1, 6);
        g.fillText(formatTime(t).replace(/\.\d$/, ''), x + 3, h - 16);
      }
    }
    for (const n of this.notesHere()) {
      const x = this.x(n.time_s, w);
      const selected = this.selectedNote === n.id;
      g.fillStyle = n.resolved ? '#5b6b5b' : n.role === 'engineer' ? '#7aa7d9' : '#e8a25c';
      g.beginPath();
      g.moveTo(x, 14);
      g.lineTo(x - 7, 2);
      g.lineTo(x + 7, 2);
      g.closePath();
      g.fill();
      g.fillRect(x - (selected ? 1 : 0.5), 2, selected ? 2 : 1, h - 4);
    }
    if (this.heard !== null && this.heard.track === this.track) {
      g.fillStyle = '#8fc76a';
      g.fillRect(Math.round(this.x(this.heard.trackTimeS, w)) - 1, 0, 2, h);
    }
    g.fillStyle = '#f1e6d0';
    g.fillRect(Math.round(this.x(this.position, w)) - 1, 0, 2, h);
  }

  /** The live overview: the output's peak level per slice, where the track has played. */
  drawLevels(g, w, mid) {
    const slices = this.overviews.get(this.track);
    if (!slices) return;
    g.fillStyle = '#4b5a70';
    const sw = w / SLICES;
    for (let k = 0; k < SLICES; ++k) {
      if (!Number.isFinite(slices[k])) continue;
      const a = Math.max(0, (slices[k] + 48) / 48) * (mid - EDGE_PX);
      g.fillRect(k * sw, mid - a, Math.max(sw - 0.5, 1), 2 * a);
    }
  }

  /** The analysed track: its waveform (minimum and maximum of the mono sum per pixel column,
   *  brighter where the playhead has passed) and its short-term loudness as a line. */
  drawShape(g, w, h) {
    const { duration, waveform, loudness } = this.shape;
    const mid = h / 2, amp = mid - EDGE_PX;
    const played = this.x(this.position, w);
    // The values [i0, i1) of a curve `hop` seconds apart, n long, that pixel column `px` shows.
    const hops = (px, hop, n) => {
      const i0 = Math.floor(((px / w) * duration) / hop);
      return [i0, Math.min(n, Math.max(i0 + 1, Math.floor((((px + 1) / w) * duration) / hop)))];
    };
    for (let px = 0; px < w; ++px) {
      const [i0, i1] = hops(px, waveform.hop_s, waveform.max.length);
      let lo = Infinity, hi = -Infinity;
      for (let i = i0; i < i1; ++i) {
        lo = Math.min(lo, waveform.min[i]);
        hi = Math.max(hi, waveform.max[i]);
      }
      if (!(hi >= lo)) continue;
      const top = mid - Math.min(hi, 1) * amp, bottom = mid - Math.max(lo, -1) * amp;
      g.fillStyle = px < played ? '#7f95b3' : '#4b5a70';
      g.fillRect(px, top, 1, Math.max(bottom - top, 1));
    }
    if (!loudness) return;
    // Whole pixel rows, so the line stays its own colour over the waveform.
    const y = (lufs) => Math.round(mid + amp - Math.min(Math.max((lufs - LOUDNESS_FLOOR_LUFS) / -LOUDNESS_FLOOR_LUFS, 0), 1) * 2 * amp);
    g.strokeStyle = '#d9a441';
    g.lineWidth = 2;
    g.beginPath();
    let drawing = false;
    for (let px = 0; px < w; ++px) {
      const [i0, i1] = hops(px, loudness.hop_s, loudness.short_term.length);
      let top = -Infinity;
      for (let i = i0; i < i1; ++i) if (Number.isFinite(loudness.short_term[i])) top = Math.max(top, loudness.short_term[i]);
      if (top < LOUDNESS_FLOOR_LUFS) {
        drawing = false;  // silence: a gap in the line
        continue;
      }
      if (drawing) g.lineTo(px, y(top));
      else g.moveTo(px, y(top));
      drawing = true;
    }
    g.stroke();
  }

  notesHere() {
    return this.notes.filter((n) => n.trackIndex === this.track);
  }

  tap(e) {
    const r = this.canvas.getBoundingClientRect();
    const px = e.clientX - r.left;
    let best = null, bestD = MARKER_HIT_PX;
    for (const n of this.notesHere()) {
      const d = Math.abs(this.x(n.time_s, r.width) - px);
      if (d < bestD) {
        best = n;
        bestD = d;
      }
    }
    if (best && e.clientY - r.top < 30) {
      this.dispatchEvent(new CustomEvent('note', { detail: best }));
      return;
    }
    if (this.interactive && this.span() > 0) {
      this.dispatchEvent(new CustomEvent('locate', { detail: (px / r.width) * this.span() }));
    } else if (best) {
      this.dispatchEvent(new CustomEvent('note', { detail: best }));
    }
  }
}
