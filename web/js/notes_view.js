// The list of a session's notes, newest state from the daemon, with the engineer's actions
// (go to, resolve, reply) when the viewer is the engineer.

import { el, formatTime } from './store.js';

export class NotesView extends EventTarget {
  constructor(session, { engineer }) {
    super();
    this.session = session;
    this.engineer = engineer;
    this.selected = null;
    this.list = el('ol', { class: 'notes-list', 'aria-live': 'polite' });
    this.element = el('section', { class: 'notes', 'aria-label': 'Notes' }, this.list);
    session.addEventListener('notes', () => this.render());
    session.addEventListener('loaded', () => this.render());
  }

  select(id) {
    this.selected = id;
    this.render();
    const item = this.list.querySelector(`[data-note="${id}"]`);
    if (item) item.scrollIntoView({ block: 'nearest' });
  }

  render() {
    const notes = this.session.threads();
    this.list.replaceChildren(...notes.map((n) => this.item(n)));
    if (!notes.length) this.list.append(el('li', { class: 'empty', text: 'No notes yet.' }));
  }

  item(n) {
    const head = el('div', { class: 'note-head' },
      el('span', { class: 'note-time', text: `${this.session.trackTitle(n.trackIndex)} · ${formatTime(n.time_s)}` }),
      el('span', { class: 'note-author', text: n.author || '' }),
      n.compare ? el('span', { class: 'badge', text: n.compare }) : null,
      el('span', { class: `badge ${n.resolved ? 'resolved' : 'open'}`, text: n.resolved ? 'resolved' : 'open' }));
    const li = el('li', { class: `note${n.id === this.selected ? ' selected' : ''}${n.resolved ? ' is-resolved' : ''}`, 'data-note': n.id },
      head, el('p', { class: 'note-text', text: n.text }),
      this.session.repliesTo(n).map((r) => el('p', { class: 'note-reply', 'data-note': r.id }, `↳ ${r.author ? `${r.author}: ` : ''}${r.text}`)));
    li.addEventListener('click', (e) => {
      if (e.target.closest('button, input, form')) return;
      this.dispatchEvent(new CustomEvent('pick', { detail: n }));
    });
    if (this.engineer) li.append(this.actions(n));
    return li;
  }

  actions(n) {
    const row = el('div', { class: 'note-actions' });
    const go = el('button', { type: 'button', text: 'Go to' });
    go.addEventListener('click', () => this.dispatchEvent(new CustomEvent('goto', { detail: n })));
    row.append(go);
    if (!n.resolved) {
      const resolve = el('button', { type: 'button', text: 'Resolve' });
      resolve.addEventListener('click', () => this.session.resolve(n.id).catch((err) => this.error(err)));
      row.append(resolve);
    }
    const input = el('input', { type: 'text', placeholder: 'Reply…', 'aria-label': 'Reply' });
    const send = el('button', { type: 'submit', text: 'Reply' });
    const form = el('form', { class: 'reply-form' }, input, send);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      this.session.reply(n, text).then(() => (input.value = '')).catch((err) => this.error(err));
    });
    row.append(form);
    return row;
  }

  error(err) {
    this.dispatchEvent(new CustomEvent('error', { detail: err }));
  }
}
