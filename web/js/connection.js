// The control connection (/ws): authenticates, subscribes, sends requests with an id and
// resolves them with the daemon's reply, hands pushes to listeners, and reconnects (with
// the same token and topics) when the link drops, asking for the full state again.

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 8000;
const REQUEST_TIMEOUT_MS = 8000;

export class Connection extends EventTarget {
  /** `token`: the bearer token; `topics`: what to subscribe to once authenticated. */
  constructor(token, topics) {
    super();
    this.token = token;
    this.topics = topics;
    this.role = null;
    this.sessions = [];
    this.nextId = 1;
    this.pending = new Map();
    this.ws = null;
    this.retryMs = RECONNECT_MIN_MS;
    this.closed = false;
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
  }

  static url(path) {
    return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
  }

  /** Opens the link; resolves with the auth reply, rejects when the token is refused. */
  open() {
    this.connect();
    return this.ready;
  }

  connect() {
    const ws = new WebSocket(Connection.url('/ws'));
    this.ws = ws;
    ws.addEventListener('open', () => this.onOpen());
    ws.addEventListener('message', (e) => this.onMessage(e.data));
    ws.addEventListener('close', () => this.onClose(ws));
  }

  async onOpen() {
    this.retryMs = RECONNECT_MIN_MS;
    try {
      const auth = await this.request({ op: 'auth', token: this.token });
      this.role = auth.role;
      this.sessions = auth.sessions || [];
      if (this.topics.length) await this.request({ op: 'subscribe', topics: this.topics });
      this.setStatus('online');
      this.resolveReady(auth);
      this.dispatchEvent(new CustomEvent('online', { detail: auth }));
    } catch (err) {
      this.setStatus('refused');
      this.closed = true;
      this.ws.close();
      this.rejectReady(err);
    }
  }

  onMessage(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.id !== undefined && this.pending.has(msg.id)) {
      const { resolve, reject, timer } = this.pending.get(msg.id);
      clearTimeout(timer);
      this.pending.delete(msg.id);
      if (msg.op === 'error') reject(new ProtocolError(msg.code, msg.message));
      else resolve(msg);
      return;
    }
    if (msg.op === 'error') {
      this.dispatchEvent(new CustomEvent('protocol-error', { detail: msg }));
      return;
    }
    this.dispatchEvent(new CustomEvent(msg.op, { detail: msg }));
  }

  onClose(ws) {
    if (ws !== this.ws) return;
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new ProtocolError('unavailable', 'connection lost'));
    }
    this.pending.clear();
    if (this.closed) return;
    this.setStatus('offline');
    setTimeout(() => this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
  }

  setStatus(status) {
    this.status = status;
    this.dispatchEvent(new CustomEvent('status', { detail: status }));
  }

  /** Sends a request and resolves with its reply (rejects with a ProtocolError). */
  request(message) {
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        reject(new ProtocolError('unavailable', 'not connected'));
        return;
      }
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ProtocolError('timeout', `no reply to ${message.op}`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ ...message, id }));
    });
  }

  /** Sets a path; the reply (and the params push to everyone) carries the applied value. */
  set(path, value) {
    return this.request(value === undefined ? { op: 'set', path } : { op: 'set', path, value });
  }

  close() {
    this.closed = true;
    if (this.ws) this.ws.close();
  }
}

export class ProtocolError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** GET/POST under /api with the bearer token; resolves with the parsed JSON. */
export async function api(token, method, path, body) {
  const init = { method, headers: { Authorization: `Bearer ${token}` } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const message = (json && (json.message || json.error)) || `${response.status} ${response.statusText}`;
    throw new ProtocolError(String(response.status), message);
  }
  return json;
}
