// REST and SSE access to metrics-api (same origin). URLs are relative, so the page also works behind a path prefix.

export const API = 'api/v1';

// The bearer token, kept in this browser (localStorage), sent in the Authorization header — never a cookie, so a
// forged cross-site request carries none. `./run` prints a sign-in link `/#token=…`: read once, then removed from the
// address bar (and so from history and screenshots).
const TOKEN_KEY = 'trainwatch.token';
const fromLink = /^#token=([^&]+)/.exec(location.hash);
if (fromLink) {
  setToken(decodeURIComponent(fromLink[1]));
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
}

export function token() {
  try { return localStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

export function setToken(value) {
  try { localStorage.setItem(TOKEN_KEY, value.trim()); } catch { /* storage blocked: this page only */ }
}

export function clearToken() {
  try { localStorage.removeItem(TOKEN_KEY); } catch { /* nothing kept */ }
}

function authHeaders(headers) {
  const t = token();
  return t ? { ...headers, authorization: `Bearer ${t}` } : headers;
}

/** A 401 means no token, or one revoked or expired: the app shows the sign-in again. */
function signInNeeded(res) {
  if (res.status === 401) window.dispatchEvent(new CustomEvent('trainwatch:signin'));
}

/** An HTTP failure, carrying the RFC 9457 problem's title/detail when the server sent one. */
export class ApiError extends Error {
  constructor(status, problem, url) {
    super(problem?.detail || problem?.title || `HTTP ${status} for ${url}`);
    this.status = status;
    this.problem = problem;
  }
}

export async function getJson(path, { signal } = {}) {
  const res = await fetch(`${API}${path}`, { headers: authHeaders({ accept: 'application/json' }), signal });
  signInNeeded(res);
  if (!res.ok) throw new ApiError(res.status, await problemOf(res), path);
  return res.json();
}

export async function postJson(path, body) {
  const res = await fetch(`${API}${path}`, {
    method: 'POST',
    headers: authHeaders({ 'content-type': 'application/json', accept: 'application/json' }),
    body: JSON.stringify(body),
  });
  signInNeeded(res);
  if (!res.ok) throw new ApiError(res.status, await problemOf(res), path);
  return res.json().catch(() => ({}));
}

/** DELETE; resolves when the server answered 2xx (204: nothing to read). */
export async function deleteResource(path) {
  const res = await fetch(`${API}${path}`, { method: 'DELETE', headers: authHeaders({ accept: 'application/json' }) });
  signInNeeded(res);
  if (!res.ok) throw new ApiError(res.status, await problemOf(res), path);
}

async function problemOf(res) {
  try { return await res.json(); } catch { return null; }
}

/** Numbers in history/events may be the strings "NaN", "Infinity", "-Infinity" (docs/api.md): make them numbers. */
export function num(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  const n = Number(v);
  return Number.isNaN(n) ? null : n;
}

/** Runs `fn` over `items` with at most `limit` in flight (the runs list asks for each run's headline). */
export async function mapLimited(items, limit, fn) {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    while (queue.length) {
      const item = queue.shift();
      try { await fn(item); } catch (e) { console.warn(e); }
    }
  });
  await Promise.all(workers);
}

/**
 * A resumable SSE subscription. EventSource already reconnects with Last-Event-ID after a dropped connection; when
 * it gives up (readyState CLOSED: the server or a proxy answered an error), this reopens it with backoff and the
 * last id seen as `last_event_id`, which the server treats like the header: no gap, no duplicate.
 * `onState` hears 'connecting' | 'live' | 'reconnecting'.
 */
export class LiveStream {
  constructor(path, handlers, onState = () => {}) {
    this.path = path;
    this.handlers = handlers;
    this.onState = onState;
    this.lastId = null;
    this.retryMs = 1000;
    this.closed = false;
    this.open();
  }

  open() {
    if (this.closed) return;
    const sep = this.path.includes('?') ? '&' : '?';
    // EventSource cannot send headers: the token goes as ?access_token=, which the server accepts on SSE routes only.
    const t = token();
    const params = [t ? `access_token=${encodeURIComponent(t)}` : '',
      this.lastId ? `last_event_id=${encodeURIComponent(this.lastId)}` : ''].filter(Boolean).join('&');
    const url = `${API}${this.path}${params ? `${sep}${params}` : ''}`;
    this.onState('connecting');
    const es = new EventSource(url);
    this.es = es;
    es.onopen = () => { this.retryMs = 1000; this.onState('live'); };
    es.onerror = () => {
      if (this.closed) return;
      if (es.readyState === EventSource.CLOSED) {
        this.onState('reconnecting');
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.open(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, 15000);
      } else {
        this.onState('reconnecting'); // the browser retries by itself, sending Last-Event-ID
      }
    };
    for (const type of ['status', 'epoch', 'analysis', 'alert']) {
      es.addEventListener(type, (ev) => {
        if (ev.lastEventId) this.lastId = ev.lastEventId;
        const handler = this.handlers[type];
        if (!handler) return;
        let data;
        try { data = JSON.parse(ev.data); } catch { return; }
        handler(data, ev.lastEventId);
      });
    }
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    this.es?.close();
  }
}
