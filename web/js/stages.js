// The chain and the monitor section drawn from the schema: one stage per /chain/<stage>
// (in chain order) plus /monitor, each with its bypass, its gain-reduction meters and its
// controls grouped by band. Nothing here knows a parameter by name except the EQ, whose
// bands also get the response curve, and the dynamics stages, which get their transfer
// curves and the multiband's bands over the spectrum (dynamics_view.js).

import { controlFor } from './widgets.js';
import { el } from './store.js';
import { labelOfSegments, nameOf } from './labels.js';
import { EqView } from './eq_view.js';
import { addDynamicsViews } from './dynamics_view.js';

const TITLES = { input: 'Input', eq: 'EQ', multiband: 'Multiband', comp: 'Comp', stereo: 'Stereo',
  deesser: 'De-esser', limiter: 'Limiter', output: 'Output', monitor: 'Monitor' };

/** Stages in schema order: [{id, title, prefix, entries, bypass}]. */
export function groupStages(schema) {
  const stages = new Map();
  for (const entry of schema) {
    const m = /^\/(chain)\/([a-z_]+)\/|^\/(monitor)\//.exec(entry.path);
    if (!m || entry.type === 'trigger') continue;
    const id = m[2] || m[3];
    const prefix = m[2] ? `/chain/${id}` : '/monitor';
    if (!stages.has(id)) stages.set(id, { id, title: TITLES[id] || id, prefix, entries: [], bypass: null, chain: Boolean(m[2]) });
    const stage = stages.get(id);
    if (entry.path === `${prefix}/bypass`) stage.bypass = entry;
    else stage.entries.push(entry);
  }
  return [...stages.values()];
}

/** Splits a stage's entries into titled groups, each with a short label per entry. */
function groupsOf(stage) {
  const groups = new Map();
  const add = (key, title, entry, label, extra = {}) => {
    if (!groups.has(key)) groups.set(key, { key, title, items: [], ...extra });
    groups.get(key).items.push({ entry, label });
  };
  for (const entry of stage.entries) {
    const rel = entry.path.slice(stage.prefix.length + 1).split('/');
    if (rel.length === 1) add('main', '', entry, labelOfSegments(rel));
    else if (/^\d+$/.test(rel[0])) add(`band-${rel[0]}`, `Band ${rel[0]}`, entry, labelOfSegments(rel.slice(1)), { band: Number(rel[0]) });
    else if (rel[0] === 'crossover') add('crossover', 'Crossovers', entry, `Bands ${rel[1]}–${Number(rel[1]) + 1}`);
    else if (rel[0] === 'speakers') add(`set-${rel[1]}`, `Speaker set “${rel[1]}” — calibration`, entry, labelOfSegments(rel.slice(2)), { details: true });
    else add(rel[0], nameOf(rel[0]), entry, labelOfSegments(rel.slice(1)));
  }
  return [...groups.values()];
}

function bindAll(root, store) {
  for (const node of root.querySelectorAll('[data-path]')) {
    if (node.entry) store.watch(node.dataset.path, (v) => (node.value = v));
  }
}

/**
 * Builds the stage strip (a tile per stage) and the panels; returns {strip, panels, show}.
 * `editable` false draws the multiband's crossovers without handles to drag.
 */
export function buildStages(schema, store, { editable = true } = {}) {
  const stages = groupStages(schema);
  const strip = el('nav', { class: 'stage-strip', 'aria-label': 'Stages' });
  const panels = el('div', { class: 'stage-panels' });
  const tiles = new Map();
  const views = new Map();

  const show = (id) => {
    for (const [sid, tile] of tiles) tile.classList.toggle('selected', sid === id);
    for (const [sid, panel] of views) panel.hidden = sid !== id;
    sessionStorage.setItem('lacquer.stage', id);
  };

  for (const stage of stages) {
    const tile = el('div', { class: 'stage-tile', 'data-stage': stage.id });
    const open = el('button', { type: 'button', class: 'stage-open' }, stage.title);
    open.addEventListener('click', () => show(stage.id));
    tile.append(open);
    if (stage.bypass) tile.append(controlFor(stage.bypass));
    tile.append(el('div', { class: 'gr-slot', 'data-gr-stage': stage.id }));
    strip.append(tile);
    tiles.set(stage.id, tile);

    const panel = el('section', { class: 'stage-panel', 'data-stage': stage.id, 'aria-label': stage.title },
      el('header', { class: 'panel-head' }, el('h2', { text: stage.title }),
        stage.bypass ? controlFor(stage.bypass) : null,
        el('div', { class: 'gr-slot wide', 'data-gr-stage': stage.id })));
    if (stage.id === 'eq') buildEq(panel, stage, store);
    else {
      // Bands side by side, so a multiband's four compressors read as one row.
      let bands = null;
      for (const group of groupsOf(stage)) {
        if (!group.band) {
          bands = null;
          panel.append(groupElement(group));
          continue;
        }
        if (!bands) panel.append(bands = el('div', { class: 'bands' }));
        bands.append(groupElement(group));
      }
      panel.bandsView = addDynamicsViews(panel, stage, store, { editable });
    }
    panels.append(panel);
    views.set(stage.id, panel);
  }
  bindAll(strip, store);
  bindAll(panels, store);
  const first = sessionStorage.getItem('lacquer.stage');
  show(tiles.has(first) ? first : stages[0]?.id);
  return { strip, panels, stages, show };
}

function groupElement(group) {
  const body = el('div', { class: 'group-body' }, group.items.map(({ entry, label }) => controlFor(entry, label)));
  if (group.details) {
    return el('details', { class: 'group', 'data-group': group.key }, el('summary', { text: group.title }), body);
  }
  return el('fieldset', { class: 'group', 'data-group': group.key, 'data-band': group.band },
    group.title ? el('legend', { text: group.title }) : null,
    group.band ? el('div', { class: 'gr-slot', 'data-gr-band': group.band }) : null,
    body);
}

function buildEq(panel, stage, store) {
  const groups = groupsOf(stage);
  const bandGroups = groups.filter((g) => g.band);
  const view = new EqView(bandGroups.length, store);
  panel.append(view.element);
  panel.eqView = view;
  const picker = el('div', { class: 'band-picker', role: 'group', 'aria-label': 'EQ band' });
  const bandEls = new Map();
  for (const g of bandGroups) {
    const b = el('button', { type: 'button', 'data-band': g.band, 'aria-pressed': 'false' }, String(g.band));
    b.addEventListener('click', () => view.select(g.band));
    store.watch(`/chain/eq/${g.band}/enabled`, (on) => b.classList.toggle('on', Boolean(on)));
    picker.append(b);
  }
  panel.append(picker);
  for (const g of groups) {
    const node = groupElement(g);
    if (g.band) bandEls.set(g.band, node);
    panel.append(node);
  }
  const select = (band) => {
    for (const [b, node] of bandEls) node.hidden = b !== band;
    for (const b of picker.children) b.setAttribute('aria-pressed', String(Number(b.dataset.band) === band));
  };
  view.addEventListener('select', (e) => select(e.detail));
  select(1);
}

/** Places gain-reduction meters (paths like /meter/comp/gr, /meter/multiband/2/gr). */
export function placeGainReduction(root, paths, store) {
  for (const path of paths) {
    const m = /^\/meter\/([a-z_]+)\/(?:(\d+)\/)?(?:gr|gain_reduction)[a-z_]*$/.exec(path);
    if (!m) continue;
    const slots = m[2]
      ? root.querySelectorAll(`.stage-panel[data-stage="${m[1]}"] [data-gr-band="${m[2]}"], .stage-tile[data-stage="${m[1]}"] .gr-slot`)
      : root.querySelectorAll(`[data-gr-stage="${m[1]}"]`);
    for (const slot of slots) {
      if (slot.querySelector(`[data-meter="${path}"]`)) continue;
      const what = `${m[2] ? `Band ${m[2]}` : TITLES[m[1]] || m[1]} gain reduction`;
      const meter = el('lq-meter', { class: 'gr', min: '0', max: '12', 'data-meter': path, title: what, role: 'meter', 'aria-label': what });
      const label = el('span', { class: 'gr-label', text: m[2] ? `GR ${m[2]}` : 'GR' });
      slot.append(el('div', { class: 'gr-row' }, label, meter));
      // Gain reduction fills from the top down, as on a hardware meter.
      store.watch(path, (v) => (meter.value = Math.abs(Number(v))));
    }
  }
}
