// The client's review page: listen live, follow the engineer's transport, leave notes
// pinned to the moment actually heard, read everyone's notes and the engineer's replies.
// No chain controls: a client token could not use them anyway.

import { el, formatTime } from './store.js';
import { Timeline } from './timeline.js';
import { NotesView } from './notes_view.js';
import { Session } from './session.js';
import { Listener, listeningSupported } from './listen.js';

const OBSERVATIONS_POLL_MS = 10000;

export class ReviewView {
  constructor({ conn, token, toast }) {
    this.conn = conn;
    this.token = token;
    this.toast = toast;
    this.session = new Session(conn, token);
    this.timeline = new Timeline({ interactive: false });
    this.notes = new NotesView(this.session, { engineer: false });
    this.listener = listeningSupported() ? new Listener(token) : null;
    this.lag = [];  // recent (engineer position − heard position) in seconds

    this.element = el('div', { class: 'app review-app' },
      el('header', { class: 'topbar' }, el('strong', { class: 'brand', text: 'Lacquer' }),
        this.sessionTitle = el('span', { class: 'session-title' }),
        this.status = el('span', { class: 'status', text: conn.status || 'connecting', 'data-status': conn.status })),
      this.listenPanel(),
      el('section', { class: 'follow', 'aria-label': 'Transport' },
        el('div', { class: 'transport-row' },
          this.playState = el('span', { class: 'badge', text: 'stopped' }),
          this.clock = el('span', { class: 'clock', text: '0:00.0 / 0:00.0' })),
        this.trackList = el('ol', { class: 'track-list readonly', 'aria-label': 'Tracks' }),
        this.timeline.element),
      this.notePanel(),
      this.observationsPanel(),
      this.notes.element);

    conn.addEventListener('status', (e) => {
      this.status.textContent = e.detail;
      this.status.dataset.status = e.detail;
    });
    conn.addEventListener('transport', (e) => this.onTransport(e.detail));
    conn.addEventListener('online', () => this.refresh());
    conn.addEventListener('analysis', (e) => {
      if (e.detail.session === this.session.id && e.detail.track === this.session.trackId(this.transport?.track)) this.loadOverview(this.transport.track);
    });
    this.session.addEventListener('loaded', () => {
      this.sessionTitle.textContent = this.session.title;
      this.renderedTrack = undefined;  // titles are known now
      this.renderTracks();
      this.loadObservations();
      this.overviewTrack = undefined;
      if (this.transport) this.loadOverview(this.transport.track);
    });
    this.session.addEventListener('notes', () => this.timeline.setNotes(this.session.threads()));
    this.timeline.addEventListener('note', (e) => this.notes.select(e.detail.id));
    this.notes.addEventListener('pick', (e) => this.notes.select(e.detail.id));
    setInterval(() => this.tick(), 100);
    setInterval(() => this.loadObservations(), OBSERVATIONS_POLL_MS);
    // For diagnostics from the browser's console (and the browser tests).
    window.lacquerListener = { report: () => (this.listener ? { ...this.listener.report(), lagMs: this.lagMs() } : null) };
  }

  async refresh() {
    try {
      await this.session.load();
    } catch (err) {
      this.toast(err.message, 'error');
    }
  }

  /** What the engineer reported back from the QC ("2:31.2 · click, right channel"). */
  observationsPanel() {
    this.observationList = el('ol', { class: 'observation-list' });
    this.observations = el('section', { class: 'observations', 'aria-label': 'From the engineer', hidden: '' },
      el('h2', { text: 'From the engineer' }), this.observationList);
    return this.observations;
  }

  async loadObservations() {
    if (this.session.id === null || this.session.id === undefined) return;
    try {
      const r = await fetch(`/api/sessions/${this.session.id}/observations`, { headers: { Authorization: `Bearer ${this.token}` } });
      if (!r.ok) return;
      const list = await r.json();
      const title = (id) => this.session.tracks.find((t) => t.id === id)?.title;
      this.observationList.replaceChildren(...list.map((o) =>
        el('li', { 'data-id': String(o.id) }, title(o.track) ? `${title(o.track)}: ${o.text}` : o.text)));
      this.observations.hidden = list.length === 0;
    } catch {
      // Offline: the list stays as it was and the next poll tries again.
    }
  }

  listenPanel() {
    if (!this.listener) {
      return el('section', { class: 'listen' }, el('p', { class: 'hint',
        text: 'Listening needs a secure page (https) and a browser with WebCodecs and AudioWorklet.' }));
    }
    this.playButton = el('button', { type: 'button', class: 'listen-button', 'aria-pressed': 'false' }, 'Listen');
    this.playButton.addEventListener('click', () => this.toggleListen());
    this.liveBadge = el('span', { class: 'live-badge', 'data-live': 'false', text: 'not listening' });
    this.codecBadge = el('span', { class: 'badge codec', text: '—' });
    const lossless = el('button', { type: 'button', class: 'toggle', 'aria-pressed': 'false', title: 'Uncompressed audio: for a fast local network' }, 'Lossless');
    lossless.addEventListener('click', () => {
      const on = lossless.getAttribute('aria-pressed') !== 'true';
      lossless.setAttribute('aria-pressed', String(on));
      this.listener.setCodec(on ? 'pcm' : 'opus');
    });
    this.health = el('lq-meter', { class: 'buffer-health', min: '0', max: '200', title: 'Buffer (ms)' });
    this.latency = el('span', { class: 'latency', text: '' });
    const volume = el('input', { type: 'range', min: '0', max: '1', step: '0.01', value: '1', 'aria-label': 'Volume', class: 'volume' });
    volume.addEventListener('input', () => this.listener.setVolume(Number(volume.value)));
    this.listener.addEventListener('state', (e) => this.onListenState(e.detail));
    this.listener.addEventListener('status', (e) => this.onListenStatus(e.detail));
    return el('section', { class: 'listen', 'aria-label': 'Listen' },
      el('div', { class: 'listen-row' }, this.playButton, this.liveBadge, this.codecBadge, lossless),
      el('div', { class: 'listen-row' }, el('span', { class: 'label', text: 'Buffer' }), this.health, this.latency),
      el('label', { class: 'listen-row' }, el('span', { class: 'label', text: 'Volume' }), volume));
  }

  async toggleListen() {
    if (this.playButton.getAttribute('aria-pressed') === 'true') {
      this.listener.stop();
      this.playButton.setAttribute('aria-pressed', 'false');
      this.playButton.textContent = 'Listen';
      return;
    }
    try {
      await this.listener.start();
      this.playButton.setAttribute('aria-pressed', 'true');
      this.playButton.textContent = 'Stop';
    } catch (err) {
      this.toast(`Cannot start audio: ${err.message}`, 'error');
    }
  }

  onListenState(s) {
    if (s.state === 'error') this.toast(s.message, 'error');
    if (s.info) this.codecBadge.textContent = s.info.codec === 'opus' ? 'Opus · lossy' : 'PCM · lossless';
    if (s.state !== 'live') {
      this.liveBadge.dataset.live = 'false';
      this.liveBadge.textContent = s.state === 'stopped' ? 'not listening' : s.state;
    }
  }

  onListenStatus(r) {
    this.report = r;
    this.liveBadge.dataset.live = String(r.live);
    this.liveBadge.textContent = r.live ? 'live' : 'buffering';
    this.health.value = r.bufferMs;
    this.health.dataset.state = r.bufferMs < 0.5 * r.targetMs ? 'low' : 'ok';
    const lag = this.lagMs();
    this.latency.textContent = `${r.bufferMs.toFixed(0)} ms buffer (target ${r.targetMs.toFixed(0)}) · output ${r.outputLatencyMs.toFixed(0)} ms`
      + (lag !== null ? ` · ${lag.toFixed(0)} ms behind the room` : '');
    document.body.dataset.listenRms = r.rms.toFixed(6);
  }

  /** How far what we hear trails the engineer's transport, from the transport pushes. */
  lagMs() {
    if (this.lag.length < 3) return null;
    const sorted = [...this.lag].sort((a, b) => a - b);
    return 1000 * sorted[Math.floor(sorted.length / 2)];
  }

  /** The whole track on the timeline, from the daemon's analysis of the track at `index`. */
  async loadOverview(index) {
    this.overviewTrack = index;
    const report = await this.session.analysis(index);
    if (this.overviewTrack === index) this.timeline.setOverview(report, index);
  }

  onTransport(t) {
    this.transport = t;
    this.transportAt = performance.now();
    if (t.track !== this.overviewTrack && this.session.id !== null) this.loadOverview(t.track);
    this.timeline.setTransport(t);
    this.playState.textContent = t.playing ? 'playing' : 'stopped';
    this.playState.dataset.playing = String(t.playing);
    this.clock.textContent = `${formatTime(t.position_s)} / ${formatTime(t.duration_s)}`;
    const heard = this.listener?.heard();
    if (t.playing && heard && heard.track === t.track && this.report?.live) {
      this.lag.push(t.position_s - heard.trackTimeS);
      if (this.lag.length > 30) this.lag.shift();
    }
    this.renderTracks();
  }

  /** Where a note goes: the moment heard while listening, else the engineer's position. */
  notePlace() {
    const heard = this.listener?.heard();
    if (heard && this.report?.live) return { trackIndex: heard.track, timeS: heard.trackTimeS, compare: heard.compare, heard: true };
    if (!this.transport) return null;
    const since = this.transport.playing ? (performance.now() - this.transportAt) / 1000 : 0;
    return { trackIndex: this.transport.track, timeS: this.transport.position_s + since, compare: null, heard: false };
  }

  tick() {
    const place = this.notePlace();
    if (this.noteButton) {
      this.noteButton.textContent = place ? `Note at ${formatTime(place.timeS)}` : 'Note';
    }
    if (place && place.heard) {
      this.timeline.heard = { track: place.trackIndex, trackTimeS: place.timeS };
      this.timeline.draw();
    }
  }

  notePanel() {
    const text = el('textarea', { rows: '2', placeholder: 'What did you hear?', 'aria-label': 'Note', maxlength: '4000' });
    this.noteButton = el('button', { type: 'submit', class: 'note-button' }, 'Note');
    const form = el('form', { class: 'note-form' }, text, this.noteButton);
    let pinned = null;
    // The moment is taken when the listener starts writing: that is what they reacted to.
    text.addEventListener('focus', () => {
      if (!text.value) pinned = this.notePlace();
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = text.value.trim();
      const place = pinned || this.notePlace();
      if (!body || !place) return;
      try {
        const reply = await this.session.addNote({ ...place, text: body });
        text.value = '';
        pinned = null;
        this.toast(`Note saved at ${formatTime(place.timeS)}`);
        document.body.dataset.lastNote = JSON.stringify({ id: reply.note_id, time_s: place.timeS, heard: place.heard, compare: place.compare });
      } catch (err) {
        this.toast(`Note not saved: ${err.message}`, 'error');
      }
    });
    return el('section', { class: 'compose', 'aria-label': 'Leave a note' }, form);
  }

  renderTracks() {
    const count = Math.max(this.session.tracks.length, this.transport?.tracks || 0);
    const current = this.transport?.track;
    if (this.trackList.childElementCount === count && this.renderedTrack === current) return;
    this.renderedTrack = current;
    const items = [];
    for (let i = 0; i < count; ++i) {
      items.push(el('li', { class: i === current ? 'current' : '' }, this.session.trackTitle(i)));
    }
    this.trackList.replaceChildren(...items);
  }
}
