// The session the room is working on: its tracks (to turn the transport's track index into
// the store's track id and back), its notes kept current from the notes topic, and the
// replies that answer them.

import { api } from './connection.js';

export class Session extends EventTarget {
  constructor(conn, token) {
    super();
    this.conn = conn;
    this.token = token;
    this.id = null;
    this.title = '';
    this.tracks = [];  // [{id, title, ...}] in playlist order
    this.notes = new Map();
    conn.addEventListener('note.changed', (e) => this.onNote(e.detail.note));
  }

  /** Picks the session: the first one a client was invited to, else the newest. */
  async load() {
    let ids = this.conn.sessions;
    if (!ids.length) {
      try {
        const list = await api(this.token, 'GET', '/api/sessions');
        const sessions = Array.isArray(list) ? list : list?.sessions || [];
        ids = sessions.map((s) => s.id).sort((a, b) => b - a);
      } catch {
        ids = [];
      }
    }
    if (!ids.length) return;
    this.id = ids[0];
    try {
      const s = await api(this.token, 'GET', `/api/sessions/${this.id}`);
      const session = s?.session || s || {};
      this.title = [session.title, session.artist].filter(Boolean).join(' — ');
      this.tracks = s?.tracks || session.tracks || [];
    } catch {
      this.tracks = [];
    }
    await this.reloadNotes();
    this.dispatchEvent(new Event('loaded'));
  }

  async reloadNotes() {
    if (this.id === null) return;
    const reply = await this.conn.request({ op: 'notes', session: this.id });
    this.notes.clear();
    for (const n of reply.notes) this.notes.set(n.id, this.decorate(n));
    this.dispatchEvent(new Event('notes'));
  }

  onNote(n) {
    if (n.session !== this.id) return;
    this.notes.set(n.id, this.decorate(n));
    this.dispatchEvent(new Event('notes'));
  }

  decorate(n) {
    const index = n.track_index ?? this.tracks.findIndex((t) => t.id === n.track);
    return { ...n, trackIndex: index >= 0 ? index : null };
  }

  trackId(index) {
    return this.tracks[index]?.id ?? null;
  }

  /** The analysis of the track at `index` (GET .../analysis): the report, {pending: true}
   *  while the daemon works on it, or null when there is none (or no such track). */
  async analysis(index) {
    const id = this.trackId(index);
    if (id === null || this.id === null) return null;
    try {
      const r = await fetch(`/api/sessions/${this.id}/tracks/${id}/analysis`, { headers: { Authorization: `Bearer ${this.token}` } });
      const body = await r.json();
      if (r.status === 202) return { pending: true };
      return r.ok ? body : null;
    } catch {
      return null;
    }
  }

  trackTitle(index) {
    const t = this.tracks[index];
    return t?.title || (index === null || index === undefined ? 'Release' : `Track ${index + 1}`);
  }

  sortedNotes() {
    return [...this.notes.values()].sort((a, b) =>
      (a.trackIndex ?? -1) - (b.trackIndex ?? -1) || a.time_s - b.time_s || a.id - b.id);
  }

  /** Stores a note; resolves once the daemon acknowledged it as durable. */
  addNote({ trackIndex, timeS, text, compare }) {
    const message = { op: 'note', session: this.id, track: this.trackId(trackIndex), time: timeS, text };
    if (compare) message.compare = compare;
    return this.conn.request(message);
  }

  resolve(noteId) {
    return this.conn.request({ op: 'note.resolve', note: noteId });
  }

  /** Answers a note: a note at exactly the same place, which the page shows beneath it. */
  reply(note, text) {
    return this.conn.request({ op: 'note', session: this.id, track: note.track ?? null, time: note.time_s, text });
  }

  /** The earlier note this one answers (same track, same time to the bit), or null. */
  parentOf(n) {
    let parent = null;
    for (const o of this.notes.values()) {
      if (o.id < n.id && o.track === n.track && o.time_s === n.time_s && (!parent || o.id < parent.id)) parent = o;
    }
    return parent;
  }

  repliesTo(note) {
    return [...this.notes.values()].filter((n) => n.id !== note.id && this.parentOf(n)?.id === note.id)
      .sort((a, b) => a.id - b.id);
  }

  /** Notes that start a thread, in track and time order. */
  threads() {
    return this.sortedNotes().filter((n) => !this.parentOf(n));
  }
}
