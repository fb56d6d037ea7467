// The engineer's invites: a link for a new client of the open session, and every client
// with its sessions, expiry and a Revoke button (revoking closes that client's connection
// and live listening at once).

import { el } from './store.js';
import { api } from './connection.js';

const DAY_MS = 86400000;

function stateOf(c, now) {
  if (c.revoked) return 'revoked';
  if (c.expires_unix_ms !== null && c.expires_unix_ms <= now) return 'expired';
  if (c.expires_unix_ms === null) return 'no expiry';
  const days = Math.ceil((c.expires_unix_ms - now) / DAY_MS);
  return `${days} day${days === 1 ? '' : 's'} left`;
}

export class InvitesView {
  constructor({ token, session, toast }) {
    this.token = token;
    this.session = session;
    this.toast = toast;
    this.list = el('div', { class: 'invite-list' });
    this.link = el('output', { class: 'invite-link' });
    const name = el('input', { type: 'text', placeholder: 'Client name', 'aria-label': 'Client name', maxlength: '64' });
    const form = el('form', { class: 'invite-form' }, name, el('button', { type: 'submit', text: 'Invite' }));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const who = name.value.trim();
      if (who) this.invite(who).then(() => (name.value = ''));
    });
    this.element = el('section', { class: 'invites', 'aria-label': 'Invites' },
      el('p', { class: 'hint', text: 'A link lets a client listen to and annotate the open session.' }),
      form, this.link, this.list);
  }

  async invite(name) {
    if (this.session.id === null) return this.toast('No session is open', 'error');
    try {
      const made = await api(this.token, 'POST', `/api/sessions/${this.session.id}/invites`, { name });
      this.link.replaceChildren(el('a', { href: made.url, text: made.url, target: '_blank', rel: 'noopener' }));
      await this.refresh();
    } catch (err) {
      this.toast(err.message, 'error');
    }
  }

  async revoke(client) {
    try {
      await api(this.token, 'POST', `/api/clients/${client.id}/revoke`);
      this.toast(`Revoked ${client.name}`);
      await this.refresh();
    } catch (err) {
      this.toast(err.message, 'error');
    }
  }

  async refresh() {
    let clients = [];
    try {
      clients = await api(this.token, 'GET', '/api/clients');
    } catch (err) {
      this.toast(err.message, 'error');
      return;
    }
    const now = Date.now();
    const rows = clients.filter((c) => c.role === 'client').sort((a, b) => b.id - a.id).map((c) => {
      const state = stateOf(c, now);
      const active = !c.revoked && !state.startsWith('expired');
      return el('div', { class: 'invite-row', 'data-client': String(c.id), 'data-active': String(active) },
        el('span', { class: 'invite-name', text: c.name }),
        el('span', { class: 'invite-state', text: `${state} · session ${c.sessions.join(', ') || '—'}` }),
        active ? el('button', { type: 'button', text: 'Revoke', onclick: () => this.revoke(c) }) : null);
    });
    this.list.replaceChildren(...(rows.length ? rows : [el('p', { class: 'hint', text: 'No clients yet.' })]));
  }
}
