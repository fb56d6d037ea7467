// The delivery panel, inside the album panel: choose the formats (CD, streaming, hi-res,
// vinyl) and the streaming loudness and service, start a delivery in the daemon, follow each
// format's progress as the daemon pushes it, and cancel it while it waits or runs. When a
// delivery is done it shows each format's compliance verdict with a link to its report and
// every file for download; when rules failed, which ones, and a start again that accepts them. Downloads need the engineer
// token, which a plain link cannot carry: a click fetches the file with it and saves it.

import { el } from './store.js';
import { api } from './connection.js';

const FORMATS = [
  { key: 'cd', label: 'CD', title: 'Image + CUE sheet, 44.1 kHz / 16-bit, and the tracks cut from it' },
  { key: 'streaming', label: 'Streaming', title: 'Per track 24-bit FLAC and BWF WAV, to the service\'s loudness' },
  { key: 'hires', label: 'Hi-res', title: 'Per track 24-bit FLAC at the source rate, as mastered' },
  { key: 'vinyl', label: 'Vinyl', title: 'One 24-bit file per side, unlimited, high-passed at 20 Hz, with a timing sheet' },
];
const SERVICES = ['spotify', 'apple', 'youtube', 'tidal', 'deezer', 'amazon'];
const STATES = { queued: 'Queued', running: 'Running', done: 'Delivered', failed: 'Failed', interrupted: 'Interrupted', cancelled: 'Cancelled' };

export class DeliveryView {
  constructor({ token, session, toast }) {
    this.token = token;
    this.session = session;
    this.toast = toast;
    this.items = new Map();  // delivery id → its elements
    this.formats = new Map(FORMATS.map((f) => [f.key, el('input', { type: 'checkbox', id: `deliver-${f.key}`, checked: f.key !== 'vinyl' })]));
    this.loudness = el('select', { id: 'deliver-loudness' },
      el('option', { value: 'track', text: 'each track' }), el('option', { value: 'album', text: 'whole album' }));
    this.target = el('select', { id: 'deliver-target' }, ...SERVICES.map((s) => el('option', { value: s, text: s })));
    this.startButton = el('button', { type: 'button', class: 'primary', id: 'deliver-start' }, 'Start delivery');
    this.startButton.addEventListener('click', () => this.start());
    this.list = el('ol', { class: 'delivery-list', 'aria-label': 'Deliveries, newest first', 'aria-live': 'polite' });
    this.element = el('section', { class: 'delivery-panel', 'aria-label': 'Delivery' },
      el('h3', { text: 'Delivery' }),
      el('div', { class: 'delivery-form' },
        el('fieldset', { class: 'delivery-formats' }, el('legend', { text: 'Formats' }),
          ...FORMATS.map((f) => el('label', { for: `deliver-${f.key}`, title: f.title }, this.formats.get(f.key), f.label))),
        el('div', { class: 'album-field' }, el('label', { for: 'deliver-loudness', text: 'Streaming loudness' }), this.loudness),
        el('div', { class: 'album-field' }, el('label', { for: 'deliver-target', text: 'Service' }), this.target),
        this.startButton),
      this.list);
  }

  path(rest = '') {
    return `/api/sessions/${this.session.id}/deliveries${rest}`;
  }

  /** Fetches the session's deliveries and shows them. */
  async refresh() {
    if (this.session.id === null) return;
    try {
      const { deliveries } = await api(this.token, 'GET', this.path());
      for (const [id, item] of this.items) {
        if (!deliveries.some((d) => d.id === id)) {
          item.li.remove();
          this.items.delete(id);
        }
      }
      for (const d of deliveries) this.show(d);
    } catch (err) {
      this.toast(`Deliveries: ${err.message}`, 'error');
    }
  }

  /** Starts a delivery with the chosen options (and `overrides`, rules accepted failing). */
  async start(overrides = []) {
    const formats = FORMATS.map((f) => f.key).filter((k) => this.formats.get(k).checked);
    if (formats.length === 0) {
      this.toast('Choose at least one format to deliver', 'error');
      return;
    }
    const body = { formats, loudness: this.loudness.value, target: this.target.value };
    if (overrides.length) body.overrides = overrides;
    try {
      this.show(await api(this.token, 'POST', this.path(), body));
    } catch (err) {
      this.toast(`Delivery: ${err.message}`, 'error');
    }
  }

  /** Asks the daemon to cancel delivery `id`; its end comes as a push. */
  async cancel(id) {
    try {
      await api(this.token, 'DELETE', this.path(`/${id}`));
    } catch (err) {
      this.toast(`Cancel: ${err.message}`, 'error');
    }
  }

  /** A pushed delivery of this session. */
  onPush(delivery) {
    if (delivery.session_id === this.session.id) this.show(delivery);
  }

  /** Shows delivery `d`, newest first; its elements are kept and updated in place. */
  show(d) {
    let item = this.items.get(d.id);
    if (!item) {
      item = this.makeItem(d);
      this.items.set(d.id, item);
      const newer = [...this.items.values()].filter((x) => x.id > d.id).map((x) => x.li);
      const before = [...this.list.children].find((li) => !newer.includes(li));
      this.list.insertBefore(item.li, before || null);
    }
    item.state.textContent = STATES[d.state] || d.state;
    item.li.dataset.state = d.state;
    item.current.textContent = d.state === 'running' ? d.current : '';
    item.cancel.hidden = d.state !== 'queued' && d.state !== 'running';
    for (const [format, bar] of item.bars) {
      const f = d.progress?.[format] ?? 0;
      bar.fill.style.width = `${(f * 100).toFixed(1)}%`;
      bar.meter.setAttribute('aria-valuenow', String(Math.round(f * 100)));
      bar.meter.setAttribute('aria-valuetext', `${format} ${Math.round(f * 100)} %`);
      const r = d.reports?.[format];
      bar.verdict.replaceChildren(...(r ? this.verdict(d, format, r) : []));
    }
    item.outcome.replaceChildren(...this.outcome(d).filter(Boolean));
  }

  makeItem(d) {
    const item = { id: d.id, bars: new Map() };
    item.state = el('span', { class: 'delivery-state' });
    item.current = el('span', { class: 'delivery-current' });
    item.outcome = el('div', { class: 'delivery-outcome' });
    item.cancel = el('button', { type: 'button', class: 'delivery-cancel', 'aria-label': `Cancel ${d.name}` }, 'Cancel');
    item.cancel.addEventListener('click', () => this.cancel(d.id));
    const rows = d.formats.map((format) => {
      const fill = el('span', { class: 'delivery-fill' });
      const meter = el('span', { class: 'delivery-bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-label': `${format} progress` }, fill);
      const verdict = el('span', { class: 'delivery-verdict' });
      item.bars.set(format, { fill, meter, verdict });
      return el('div', { class: 'delivery-format', 'data-format': format }, el('span', { class: 'delivery-format-name', text: format }), meter, verdict);
    });
    item.li = el('li', { class: 'delivery', 'data-delivery': String(d.id) },
      el('div', { class: 'delivery-head' }, el('span', { class: 'delivery-name', text: d.name }), item.state, item.current, item.cancel),
      ...rows, item.outcome);
    return item;
  }

  /** A format's verdict: passed or failed, its rule and warning counts, its report. */
  verdict(d, format, r) {
    const text = `${r.passed ? 'passed' : 'failed'} · ${r.rules} rules${r.warnings ? ` · ${r.warnings} warning${r.warnings === 1 ? '' : 's'}` : ''}`;
    return [el('span', { class: r.passed ? 'ok' : 'bad', text }), this.fileLink(d, r.html, 'report')];
  }

  /** What a finished delivery leaves: its files, or why it failed. */
  outcome(d) {
    if (d.state === 'done') {
      const warnings = (d.rules || []).filter((r) => r.warning);
      return [
        warnings.length ? el('details', { class: 'delivery-warnings' }, el('summary', { text: `${warnings.length} warning${warnings.length === 1 ? '' : 's'}` }),
          el('ul', {}, ...warnings.map((r) => el('li', { text: `${r.file}: ${r.rule}: ${r.detail}` })))) : null,
        el('details', { class: 'delivery-files' }, el('summary', { text: `${d.files.length} files` }),
          el('ul', {}, ...d.files.map((f) => el('li', {}, this.fileLink(d, f, f))))),
      ];
    }
    if (d.state === 'cancelled') return [el('p', { class: 'delivery-error', text: d.error || 'cancelled' })];
    if (d.state !== 'failed' && d.state !== 'interrupted') return [];
    const out = [el('p', { class: 'bad delivery-error', role: 'alert', text: d.error || 'failed' })];
    const rules = d.failed_rules || [];
    if (rules.length) {
      out.push(el('ul', { class: 'delivery-failed' }, ...rules.map((r) => el('li', { text: `${r.file}: ${r.rule}: ${r.detail}` }))));
      const names = [...new Set(rules.map((r) => r.rule))];
      const again = el('button', { type: 'button', class: 'delivery-accept' }, `Deliver again, accepting ${names.join(', ')}`);
      again.addEventListener('click', () => this.start(names));
      out.push(again);
    }
    return out;
  }

  /** A link to one of the delivery's files: fetched with the token and saved on click. */
  fileLink(d, file, text) {
    const href = this.path(`/${d.id}/files/${file.split('/').map(encodeURIComponent).join('/')}`);
    const a = el('a', { href, class: 'delivery-file', 'data-file': file, text });
    a.addEventListener('click', async (e) => {
      e.preventDefault();
      try {
        const response = await fetch(href, { headers: { Authorization: `Bearer ${this.token}` } });
        if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
        const url = URL.createObjectURL(await response.blob());
        const save = el('a', { href: url, download: file.split('/').pop() });
        document.body.append(save);
        save.click();
        save.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60000);
      } catch (err) {
        this.toast(`${file}: ${err.message}`, 'error');
      }
    });
    return a;
  }
}
