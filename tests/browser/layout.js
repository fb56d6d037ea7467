// Layout checks run in the page: controls that overlap one another, and text cut off in its
// control. Controls are what a finger or a pointer can hit, plus meters.

const CONTROLS = 'button, select, input, textarea, summary, a[href], [role="slider"], lq-meter, canvas';

/**
 * Pairs of visible controls under `root` whose boxes overlap by more than half a pixel, as
 * [{a, b, boxes}] with a short description of each. Two controls in the same scrolling box
 * are compared where they lie in it (scrolled out of view or not); controls in different
 * scrolling boxes where each can be seen, so a list scrolled under a fixed footer is not an
 * overlap.
 */
export function overlaps(page, root = 'body') {
  return page.evaluate(({ root, selector }) => {
    const clips = (node) => {
      const s = getComputedStyle(node);
      return s.overflowX !== 'visible' || s.overflowY !== 'visible';
    };
    const describe = (n) => `${n.tagName.toLowerCase()}${n.className && typeof n.className === 'string' ? `.${n.className.trim().split(/\s+/).join('.')}` : ''}` +
      `${n.dataset.path ? `[${n.dataset.path}]` : n.dataset.meter ? `[${n.dataset.meter}]` : ''} “${(n.textContent || n.getAttribute('aria-label') || '').trim().slice(0, 24)}”` +
      ` in ${n.closest('[data-stage]')?.dataset.stage || n.closest('section, nav, header, footer, aside')?.className || ''}`;
    const items = [];
    for (const n of document.querySelector(root).querySelectorAll(selector)) {
      const r = n.getBoundingClientRect();
      // checkVisibility: also false inside a closed <details>, whose content keeps its boxes.
      if (r.width === 0 || r.height === 0 || !n.checkVisibility({ visibilityProperty: true })) continue;
      let container = null;
      let seen = { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
      for (let p = n.parentElement; p; p = p.parentElement) {
        if (!clips(p)) continue;
        container ??= p;
        const c = p.getBoundingClientRect();
        seen = { left: Math.max(seen.left, c.left), top: Math.max(seen.top, c.top), right: Math.min(seen.right, c.right), bottom: Math.min(seen.bottom, c.bottom) };
      }
      items.push({ n, r, container, seen });
    }
    const cross = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
    const found = [];
    for (let i = 0; i < items.length; ++i) {
      for (let j = i + 1; j < items.length; ++j) {
        const a = items[i], b = items[j];
        if (a.n.contains(b.n) || b.n.contains(a.n)) continue;
        const hit = a.container === b.container ? cross(a.r, b.r) : cross(a.seen, b.seen);
        if (hit) found.push({ a: describe(a.n), b: describe(b.n), boxes: [a.r, b.r].map((r) => [r.x, r.y, r.width, r.height].map(Math.round)) });
      }
    }
    return found;
  }, { root, selector: CONTROLS });
}

/** Visible buttons and captions under `root` whose text is wider than their box. */
export function cutOff(page, root = 'body') {
  return page.evaluate((root) => [...document.querySelector(root).querySelectorAll('button, .caption, .gr-label, legend')]
    .filter((n) => n.checkVisibility() && n.clientWidth > 0 && n.scrollWidth > n.clientWidth + 1)
    .map((n) => `“${n.textContent.trim()}” ${n.scrollWidth} px in ${n.clientWidth} px`), root);
}

/** How far the page scrolls sideways (0 when it does not). */
export function sideways(page) {
  return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
}
