// Start-up: take the token from the URL fragment (never a query string) into
// sessionStorage and out of the address bar, connect, and show the engineer's console or
// the client's review page according to the role the token authenticates as.

import { Connection, api } from './connection.js';
import { Store, el } from './store.js';

const TOKEN_KEY = 'lacquer.token';

function takeToken() {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromLink = params.get('token');
  if (fromLink) {
    sessionStorage.setItem(TOKEN_KEY, fromLink);
    const rest = new URLSearchParams(params);
    rest.delete('token');
    const hash = rest.toString();
    history.replaceState(null, '', location.pathname + (hash ? `#${hash}` : ''));
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const toasts = el('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
function toast(message, kind = 'info') {
  const t = el('div', { class: `toast ${kind}`, text: message });
  toasts.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 6000 : 2500);
}

function askToken(message) {
  const input = el('input', { type: 'password', autocomplete: 'off', 'aria-label': 'Access token', placeholder: 'Access token' });
  const form = el('form', { class: 'login' }, el('h1', { text: 'Lacquer' }),
    message ? el('p', { class: 'hint', text: message }) : null,
    el('p', { text: 'Open your invite link, or enter the access token.' }), input,
    el('button', { type: 'submit', text: 'Connect' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!input.value.trim()) return;
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    location.reload();
  });
  document.body.replaceChildren(form, toasts);
  input.focus();
}

async function loadSchema(conn, token) {
  try {
    const reply = await api(token, 'GET', '/api/schema');
    return Array.isArray(reply) ? reply : reply.paths;
  } catch {
    return (await conn.request({ op: 'schema' })).paths;
  }
}

async function main() {
  const token = takeToken();
  if (!token) return askToken();
  const wanted = new URLSearchParams(location.hash.slice(1)).get('view');
  const wantsReview = wanted === 'review';
  const conn = new Connection(token, []);
  let auth;
  try {
    auth = await conn.open();
  } catch (err) {
    sessionStorage.removeItem(TOKEN_KEY);
    return askToken(`The daemon refused this token (${err.message}).`);
  }
  const engineer = auth.role === 'engineer' && !wantsReview;
  document.body.dataset.role = engineer ? 'engineer' : 'client';
  // Kept by the connection, so a reconnect subscribes again.
  conn.topics = engineer ? ['params', 'meters', 'transport', 'notes', 'analysis'] : ['transport', 'notes', 'analysis'];
  await conn.request({ op: 'subscribe', topics: conn.topics });
  let view;
  if (engineer && wanted === 'calibration') {
    const { CalibrationView } = await import('./calibration_view.js');
    view = new CalibrationView({ conn, token, store: new Store(), toast });
  } else if (engineer) {
    const { ConsoleView } = await import('./console_view.js');
    const schema = await loadSchema(conn, token);
    view = new ConsoleView({ conn, token, schema, store: new Store(), toast });
  } else {
    const { ReviewView } = await import('./review_view.js');
    view = new ReviewView({ conn, token, toast });
  }
  document.body.replaceChildren(view.element, toasts);
  await view.refresh();
  document.body.dataset.ready = 'true';
}

main().catch((err) => toast(err.message, 'error'));
