// The engineer's console: compare and monitor controls on top, the chain's stages, the
// meters, notes and snapshots beside them, the transport and timeline below. Every control
// sends `set` and shows only what the daemon echoes back.

import { el, formatTime } from './store.js';
import { controlFor, setFineMode } from './widgets.js';
import { buildStages, placeGainReduction } from './stages.js';
import { MetersView } from './meters_view.js';
import { Timeline } from './timeline.js';
import { NotesView } from './notes_view.js';
import { Session } from './session.js';
import { InvitesView } from './invites_view.js';
import { AlbumView } from './album_view.js';
import { Listener, listeningSupported } from './listen.js';
import { Spectrum, SPECTRUM_BIN_HZ } from './spectrum.js';
import { ReferencesView, referenceCurve } from './references_view.js';

export class ConsoleView {
  constructor({ conn, token, schema, store, toast }) {
    this.conn = conn;
    this.store = store;
    this.toast = toast;
    this.byPath = new Map(schema.map((e) => [e.path, e]));
    this.token = token;
    this.session = new Session(conn, token);
    this.meters = new MetersView(store);
    this.timeline = new Timeline({ interactive: true });
    this.notes = new NotesView(this.session, { engineer: true });
    this.invites = new InvitesView({ token, session: this.session, toast });
    this.stages = buildStages(schema, store, { editable: conn.role === 'engineer' });
    this.album = new AlbumView({ token, session: this.session, toast });
    this.album.element.hidden = true;
    this.listener = listeningSupported() ? new Listener(token) : null;
    this.references = new ReferencesView({ token, session: this.session, send: (p, v) => this.send(p, v), toast });

    this.element = el('div', { class: 'app console-app' },
      this.topbar(), this.stages.strip,
      el('main', { class: 'console-main' },
        el('div', { class: 'work' }, this.stages.panels, this.album.element),
        el('aside', { class: 'side' }, this.meters.element, this.sideTabs())),
      this.transportBar());

    this.element.addEventListener('request', (e) => this.onRequest(e));
    conn.addEventListener('param', (e) => store.update(e.detail.path, e.detail.value));
    conn.addEventListener('meters', (e) => this.onMeters(e.detail.values));
    conn.addEventListener('transport', (e) => this.onTransport(e.detail));
    conn.addEventListener('online', () => this.refresh());
    // Titles and order may have changed: the album panel and the track list follow.
    conn.addEventListener('album', (e) => {
      if (e.detail.session_id !== this.session.id) return;
      if (!this.album.element.hidden) this.album.refresh();
      this.session.load();
    });
    conn.addEventListener('delivery', (e) => this.album.delivery.onPush(e.detail.delivery));
    this.stages.strip.addEventListener('click', (e) => {
      if (e.target.closest('.stage-open')) this.showAlbum(false);
    });
    conn.addEventListener('analysis', (e) => {
      // The push is a summary: fetch the whole report (waveform, curves, services).
      if (e.detail.session === this.session.id && e.detail.track === this.currentTrackId()) this.loadAnalysis(this.transport.track);
    });
    this.timeline.addEventListener('locate', (e) => this.send('/transport/locate', Number(e.detail.toFixed(3))));
    this.timeline.addEventListener('note', (e) => this.notes.select(e.detail.id));
    this.timeline.addEventListener('observe', (e) => this.observe(e.detail));
    this.notes.addEventListener('goto', (e) => this.gotoNote(e.detail));
    this.notes.addEventListener('pick', (e) => this.notes.select(e.detail.id));
    this.notes.addEventListener('error', (e) => toast(e.detail.message, 'error'));
    this.session.addEventListener('notes', () => this.timeline.setNotes(this.session.threads()));
    this.session.addEventListener('loaded', () => this.onSession());
    const eq = this.stages.panels.querySelector('.stage-panel[data-stage="eq"]')?.eqView;
    const bands = this.stages.panels.querySelector('.stage-panel[data-stage="multiband"]')?.bandsView;
    if (this.listener) {
      const spectrum = new Spectrum();
      if (eq) eq.spectrum = spectrum;
      if (bands) bands.spectrum = spectrum;
      this.listener.startAnalysis((l, r) => spectrum.push(l, r));
    }
    // The reference's spectrum at the loudness of the track being mastered, as the match plays it.
    this.references.addEventListener('spectrum', (e) => {
      this.referenceReport = e.detail;
      this.overlayReference(eq);
    });
    this.eqView = eq;
    store.watch('/reference/select', () => this.references.refresh());
  }

  async refresh() {
    try {
      const state = await this.conn.request({ op: 'state' });
      this.store.updateAll(state.values);
      await this.session.load();
    } catch (err) {
      this.toast(err.message, 'error');
    }
  }

  onRequest(e) {
    e.stopPropagation();
    const d = e.detail;
    const path = d && typeof d === 'object' ? d.path : e.target.dataset.path;
    const value = d && typeof d === 'object' ? d.value : d;
    this.send(path, value);
  }

  send(path, value) {
    return this.conn.set(path, value).then((reply) => {
      if (reply.path !== undefined && reply.value !== undefined) this.store.update(reply.path, reply.value);
      return reply;
    }).catch((err) => this.toast(`${path}: ${err.message}`, 'error'));
  }

  onMeters(values) {
    this.meters.onMeters(values);
    if (!this.grPlaced) {
      this.grPlaced = true;
      placeGainReduction(this.element, Object.keys(values), this.store);
    }
    const l = values['/meter/out/peak_l'], r = values['/meter/out/peak_r'];
    if (l !== undefined) this.timeline.addLevel(Math.max(l, r ?? l));
  }

  onTransport(t) {
    this.transport = t;
    if (t.track !== this.analysedTrack) this.loadAnalysis(t.track);
    this.timeline.setTransport(t);
    this.timeline.draw();
    this.clock.textContent = `${formatTime(t.position_s)} / ${formatTime(t.duration_s)}`;
    this.playButton.setAttribute('aria-pressed', String(Boolean(t.playing)));
    this.loopButton.setAttribute('aria-pressed', String(Boolean(t.loop)));
    this.renderTracks();
  }

  /** The album panel in place of the stage panels, or back. */
  showAlbum(on) {
    this.album.element.hidden = !on;
    this.stages.panels.hidden = on;
    this.stages.strip.classList.toggle('album-open', on);  // no stage shown as selected then
    this.albumButton.setAttribute('aria-pressed', String(on));
    if (on) this.album.refresh();
  }

  onSession() {
    this.sessionTitle.textContent = this.session.title || '';
    this.renderedTrack = undefined;  // titles are known now
    this.renderTracks();
    this.timeline.setNotes(this.session.threads());
    this.analysedTrack = undefined;
    if (this.transport) this.loadAnalysis(this.transport.track);
    this.references.refresh();
  }

  overlayReference(eq) {
    if (!eq) return;
    const ref = this.referenceReport;
    if (!ref?.spectrum) return eq.setReference(null);
    const own = this.trackReport?.loudness?.integrated_lufs;
    const theirs = ref.loudness?.integrated_lufs;
    const gain = Number.isFinite(own) && Number.isFinite(theirs) ? own - theirs : 0;
    eq.setReference(referenceCurve(ref.spectrum, SPECTRUM_BIN_HZ, gain));
  }

  currentTrackId() {
    return this.session.tracks[this.transport?.track]?.id;
  }

  /** The QC and the whole-track overview of the track at `index` for the timeline. */
  async loadAnalysis(index) {
    this.analysedTrack = index;
    const report = await this.session.analysis(index);
    if (this.analysedTrack !== index) return;
    this.timeline.setAnalysis(report, index);
    this.trackReport = report;
    this.overlayReference(this.eqView);
  }

  /** Files a QC event as an observation for the client (POST .../observations). */
  async observe({ time_s, type, text }) {
    const track = this.currentTrackId();
    if (track === undefined || this.session.id === null) return;
    try {
      const r = await fetch(`/api/sessions/${this.session.id}/observations`, {
        method: 'POST', headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ track, time_s, topic: type, text }) });
      const body = await r.json();
      if (!r.ok) throw new Error(body?.message || `HTTP ${r.status}`);
      this.toast(`Noted for the client: ${body.text}`);
    } catch (err) {
      this.toast(`Could not note it: ${err.message}`, 'error');
    }
  }

  gotoNote(n) {
    if (n.trackIndex === null) return;
    const go = this.transport && this.transport.track !== n.trackIndex
      ? this.send('/transport/track', n.trackIndex) : Promise.resolve();
    go.then(() => this.send('/transport/locate', n.time_s));
    this.notes.select(n.id);
  }

  topbar() {
    const fine = el('button', { type: 'button', class: 'toggle', 'aria-pressed': 'false', title: 'Fine adjustment: controls move ten times slower' }, 'Fine');
    fine.addEventListener('click', () => {
      const on = fine.getAttribute('aria-pressed') !== 'true';
      fine.setAttribute('aria-pressed', String(on));
      setFineMode(on);
    });
    this.sessionTitle = el('span', { class: 'session-title' });
    this.status = el('span', { class: 'status', text: this.conn.status || 'connecting', 'data-status': this.conn.status });
    this.conn.addEventListener('status', (e) => {
      this.status.textContent = e.detail;
      this.status.dataset.status = e.detail;
    });
    const bar = el('header', { class: 'topbar' }, el('strong', { class: 'brand', text: 'Lacquer' }), this.sessionTitle, this.status, fine);
    // Short labels, so the bar stays one row on a tablet; the help text says the rest.
    for (const [path, label] of [['/monitor/compare', 'Compare'], ['/monitor/match', 'Match'], ['/monitor/dim', 'Dim'], ['/monitor/mono', 'Mono']]) {
      const entry = this.byPath.get(path);
      if (!entry) continue;
      const node = controlFor(entry, label);
      node.classList.add('compact');
      this.store.watch(path, (v) => (node.value = v));
      bar.append(node);
    }
    if (this.listener) bar.append(this.listenButton());
    return bar;
  }

  listenButton() {
    const b = el('button', { type: 'button', class: 'toggle', 'aria-pressed': 'false', title: 'Hear the chain on this device' }, 'Listen');
    b.addEventListener('click', async () => {
      if (b.getAttribute('aria-pressed') === 'true') {
        this.listener.stop();
        b.setAttribute('aria-pressed', 'false');
      } else {
        await this.listener.start();
        b.setAttribute('aria-pressed', 'true');
      }
    });
    return b;
  }

  sideTabs() {
    const snapshots = this.snapshotsPanel();
    const tabs = [['Notes', this.notes.element], ['Snapshots', snapshots], ['Invites', this.invites.element]];
    const bar = el('div', { class: 'tabs', role: 'tablist' });
    const show = (i) => tabs.forEach(([, panel], k) => {
      panel.hidden = k !== i;
      bar.children[k].setAttribute('aria-selected', String(k === i));
    });
    tabs.forEach(([name], i) => {
      const b = el('button', { type: 'button', role: 'tab', text: name });
      b.addEventListener('click', () => {
        show(i);
        if (tabs[i][1] === this.invites.element) this.invites.refresh();
      });
      bar.append(b);
    });
    // The room's measurement has a page of its own (app.js reads the view from the hash).
    const room = el('a', { href: '#view=calibration', class: 'room-link', text: 'Room calibration' });
    room.addEventListener('click', (e) => {
      e.preventDefault();
      location.hash = 'view=calibration';
      location.reload();
    });
    const box = el('div', { class: 'side-tabs' }, bar, ...tabs.map(([, p]) => p), room);
    show(0);
    return box;
  }

  snapshotsPanel() {
    const known = new Set(JSON.parse(sessionStorage.getItem('lacquer.snapshots') || '["A","B"]'));
    const list = el('div', { class: 'snapshot-list' });
    const remember = (name) => {
      known.add(name);
      sessionStorage.setItem('lacquer.snapshots', JSON.stringify([...known]));
      render();
    };
    const store = (name) => this.conn.request({ op: 'snapshot.store', name })
      .then(() => {
        remember(name);
        this.toast(`Stored “${name}”`);
      }).catch((err) => this.toast(err.message, 'error'));
    const recall = (name) => this.conn.request({ op: 'snapshot.recall', name })
      .then(() => this.toast(`Recalled “${name}”`)).catch((err) => this.toast(err.message, 'error'));
    const render = () => list.replaceChildren(...[...known].map((name) => el('div', { class: 'snapshot-row' },
      el('span', { class: 'snapshot-name', text: name }),
      el('button', { type: 'button', text: 'Store', onclick: () => store(name) }),
      el('button', { type: 'button', text: 'Recall', onclick: () => recall(name) }))));
    const input = el('input', { type: 'text', placeholder: 'Snapshot name', 'aria-label': 'Snapshot name', maxlength: '64' });
    const form = el('form', { class: 'snapshot-form' }, input, el('button', { type: 'submit', text: 'Store' }));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const name = input.value.trim();
      if (name) store(name).then(() => (input.value = ''));
    });
    const compare = this.byPath.get('/monitor/compare');
    const ab = compare ? controlFor(compare, 'Listen to') : null;
    if (ab) this.store.watch('/monitor/compare', (v) => (ab.value = v));
    render();
    return el('section', { class: 'snapshots', 'aria-label': 'Snapshots' },
      el('p', { class: 'hint', text: 'A and B are the snapshots the compare plays; store the current chain into either.' }),
      ab, form, list, this.references.element);
  }

  transportBar() {
    const button = (label, title, fn) => el('button', { type: 'button', class: 'transport-button', title, 'aria-label': title, text: label, onclick: fn });
    this.playButton = button('▶', 'Play', () => this.send('/transport/play'));
    this.playButton.setAttribute('aria-pressed', 'false');
    const stop = button('■', 'Stop', () => this.send('/transport/stop'));
    this.loopButton = button('⟲', 'Loop', () => this.send('/transport/loop', !(this.transport?.loop)));
    this.loopButton.setAttribute('aria-pressed', 'false');
    this.clock = el('span', { class: 'clock', text: '0:00.0 / 0:00.0' });
    this.trackList = el('div', { class: 'track-list', role: 'group', 'aria-label': 'Tracks' });
    // Beside the tracks: the album panel orders and names them.
    this.albumButton = el('button', { type: 'button', class: 'toggle album-button', 'aria-pressed': 'false', title: 'The release: its metadata, track order, gaps and codes' }, 'Album');
    this.albumButton.addEventListener('click', () => this.showAlbum(this.album.element.hidden));
    return el('footer', { class: 'transport' },
      el('div', { class: 'transport-row' }, this.playButton, stop, this.loopButton, this.clock, this.trackList, this.albumButton),
      this.timeline.element);
  }

  renderTracks() {
    const count = Math.max(this.session.tracks.length, this.transport?.tracks || 0);
    const current = this.transport?.track;
    if (this.trackList.childElementCount !== count || this.renderedTrack !== current) {
      this.renderedTrack = current;
      const buttons = [];
      for (let i = 0; i < count; ++i) {
        const b = el('button', { type: 'button', class: 'track', 'aria-pressed': String(i === current), title: this.session.trackTitle(i) },
          `${i + 1}. ${this.session.trackTitle(i)}`);
        b.addEventListener('click', () => this.send('/transport/track', i));
        buttons.push(b);
      }
      this.trackList.replaceChildren(...buttons);
    }
  }
}
