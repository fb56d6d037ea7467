// The session's reference tracks (masters the client points to): which one the monitors'
// compare plays, adding one from a file in the media folders, and its long-term spectrum laid
// over the EQ's live spectrum, loudness-matched to the track being mastered.

import { el } from './store.js';
import { api } from './connection.js';

export class ReferencesView extends EventTarget {
  constructor({ token, session, send, toast }) {
    super();
    this.token = token;
    this.session = session;
    this.send = send;
    this.toast = toast;
    this.references = [];
    this.select = el('select', { 'aria-label': 'Reference track' });
    this.select.addEventListener('change', () => this.send('/reference/select', Number(this.select.value)));
    this.status = el('output', { class: 'reference-status' });
    const file = el('input', { type: 'text', placeholder: 'File in a media folder', 'aria-label': 'Reference file' });
    const form = el('form', { class: 'reference-form' }, file, el('button', { type: 'submit', text: 'Add' }));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const path = file.value.trim();
      if (path) this.add(path).then((ok) => ok && (file.value = ''));
    });
    this.element = el('section', { class: 'references', 'aria-label': 'Reference tracks' },
      el('p', { class: 'hint', text: 'Compare → reference plays the selected one, unprocessed and loudness-matched; its spectrum is drawn over the EQ.' }),
      this.select, this.status, form);
  }

  async add(file) {
    if (this.session.id === null) {
      this.toast('No session is open', 'error');
      return false;
    }
    try {
      await api(this.token, 'POST', `/api/sessions/${this.session.id}/references`, { file, title: file.split('/').pop() });
      await this.refresh();
      return true;
    } catch (err) {
      this.toast(err.message, 'error');
      return false;
    }
  }

  async refresh() {
    if (this.session.id === null) return;
    try {
      this.references = await api(this.token, 'GET', `/api/sessions/${this.session.id}/references`);
    } catch (err) {
      this.references = [];
    }
    this.render();
  }

  render() {
    const chosen = this.references.find((r) => r.selected);
    this.select.replaceChildren(el('option', { value: '0', text: 'No reference' }),
      ...this.references.map((r) => el('option', { value: String(r.position), text: `${r.position}. ${r.title || r.file.split('/').pop()}` })));
    this.select.value = String(chosen ? chosen.position : 0);
    this.status.textContent = !chosen ? '' : chosen.error ? `cannot play: ${chosen.error}` : chosen.ready ? 'ready' : 'loading…';
    this.element.dataset.ready = String(Boolean(chosen?.ready));
    this.dispatchEvent(new CustomEvent('spectrum', { detail: chosen?.analysis || null }));
  }
}

/**
 * The reference's third-octave levels as the live spectrum would read them: each band's
 * sine-equivalent level spread over the band, read through a 1.5-bin Hann window, and moved
 * by `gainDb` (the loudness match).
 */
export function referenceCurve(spectrum, binHz, gainDb) {
  const bandwidth = Math.pow(10, 0.05) - Math.pow(10, -0.05);  // of a third octave, relative
  return spectrum.bands_hz.map((f, i) => ({
    freq: f,
    db: spectrum.level_db[i] === null ? null : spectrum.level_db[i] + gainDb + 10 * Math.log10((1.5 * binHz) / (bandwidth * f)),
  }));
}
