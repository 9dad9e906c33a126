// Trainwatch dashboard: hash routing (#/, #/run/ID, #/compare?run=a&run=b), REST for history, SSE for live updates.
import { getJson, postJson, deleteResource, num, mapLimited, LiveStream, ApiError, token, setToken, clearToken } from './api.js';
import { LineChart, Heatmap, fmt, esc } from './charts.js';

const main = document.getElementById('main');
const liveEl = document.getElementById('live-status');
const ACTIVE = new Set(['queued', 'running', 'stalled', 'cancelling', 'cancel_unconfirmed']);
const STATUSES = ['queued', 'running', 'stalled', 'cancelling', 'cancel_unconfirmed', 'completed', 'failed', 'cancelled', 'stopped_early'];
const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 };
// Okabe–Ito: distinguishable with every common colour-vision deficiency (CSS variables --c1…--c5).
const RUN_COLOURS = ['--c1', '--c2', '--c3', '--c4', '--c5'];
const HISTORY_POINTS = 500;

let view = null; // the current view: {dispose()}

// ---------- small helpers ----------

function setLive(state) {
  liveEl.dataset.state = state;
  liveEl.textContent = { live: '● live', connecting: 'connecting…', reconnecting: 'reconnecting…', idle: 'idle' }[state] || state;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function when(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? esc(iso) : d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

const statusBadge = (status) => `<span class="badge status-${esc(status)}" data-testid="run-status" data-status="${esc(status)}">${esc((status || '').replace('_', ' '))}</span>`;

function actionBadge(rec, testid = '') {
  if (!rec || !rec.action) return '<span class="muted">–</span>';
  const t = testid ? ` data-testid="${testid}"` : '';
  return `<span class="badge action-${esc(rec.action)}"${t} data-action="${esc(rec.action)}">${esc(rec.action.replace('_', ' '))}</span>`;
}

const pct = (v) => (v === null || v === undefined ? '–' : `${Math.round(v * 100)} %`);

function progressBar(run) {
  const p = run.progress_percent ?? (run.total_epochs && run.latest_epoch !== undefined ? Math.min(100, (100 * (run.latest_epoch + 1)) / run.total_epochs) : null);
  if (p === null || p === undefined) return '<span class="muted">–</span>';
  const label = run.total_epochs ? `${(run.latest_epoch ?? -1) + 1}/${run.total_epochs}` : `${Math.round(p)} %`;
  return `<span class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${Math.round(p)}" aria-label="progress"><span style="width:${p}%"></span></span><span class="progress-label">${label}</span>`;
}

function errorPanel(e) {
  const status = e instanceof ApiError ? ` (HTTP ${e.status})` : '';
  return `<div class="panel error-panel" role="alert" data-testid="error"><h2>Something went wrong${status}</h2><p>${esc(e.message)}</p><p><a href="#/">Back to runs</a></p></div>`;
}

function focusHeading() {
  const h = main.querySelector('h1');
  if (h) { h.tabIndex = -1; h.focus({ preventScroll: true }); }
}

/** Applies many updates at most once per frame. */
function frameBatcher(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; fn(); });
  };
}

// ---------- theme ----------

const themeBtn = document.getElementById('theme-toggle');
function applyTheme(t) {
  if (t === 'light' || t === 'dark') document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
  try { localStorage.setItem('trainwatch.theme', t); } catch { /* storage blocked */ }
  themeBtn.textContent = `Theme: ${t}`;
  themeBtn.setAttribute('aria-label', `Colour theme: ${t === 'auto' ? 'automatic' : t}; change`);
  window.dispatchEvent(new Event('trainwatch-theme'));
}
themeBtn.addEventListener('click', () => {
  const cur = document.documentElement.dataset.theme || 'auto';
  applyTheme({ auto: 'light', light: 'dark', dark: 'auto' }[cur]);
});
applyTheme(document.documentElement.dataset.theme || 'auto');
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => window.dispatchEvent(new Event('trainwatch-theme')));

// ---------- routing ----------

function route() {
  view?.dispose();
  view = null;
  setLive('idle');
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const params = new URLSearchParams(query);
  const m = path.match(/^\/run\/(.+)$/);
  if (m) view = runView(decodeURIComponent(m[1]));
  else if (path === '/compare') view = compareView(params.getAll('run'));
  else view = runsView(params);
}
window.addEventListener('hashchange', () => { route(); focusHeading(); });
// The skip link must not change the hash (that would route): it only moves focus to the content.
document.querySelector('[data-skip]').addEventListener('click', (e) => { e.preventDefault(); main.focus(); });

function setTitle(text) { document.title = text ? `${text} · Trainwatch` : 'Trainwatch'; }
// The first route() runs at the end of this module, once every class and constant below is initialised.

// ---------- sign-in ----------
// Shown when there is no token, and again whenever the API answers 401 (a token revoked, expired or mistyped).
const signin = document.getElementById('signin-dialog');
function showSignIn(message = '') {
  document.getElementById('signin-error').textContent = message;
  if (!signin.open) signin.showModal();
  document.getElementById('signin-token').focus();
}
window.addEventListener('trainwatch:signin', () => {
  const had = token();
  clearToken();
  showSignIn(had ? 'That token was refused (unknown, revoked or expired).' : '');
});
document.getElementById('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const value = document.getElementById('signin-token').value.trim();
  if (!value) { showSignIn('A token is required.'); return; }
  setToken(value);
  try {
    await getJson('/tokens/self');
    signin.close();
    document.getElementById('signin-token').value = '';
    route();
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) showSignIn(err.message);
  }
});

// =====================================================================================================
// Runs
// =====================================================================================================

function runsView(params) {
  setTitle('Runs');
  const state = { status: params.get('status') || '', project: params.get('project') || '', q: params.get('q') || '' };
  const runs = new Map(); // id -> run (summary + analysis headline + eta + openAlerts Map)
  const order = []; // ids, newest first
  const selected = new Set();
  const projects = new Set();
  let nextCursor = null;
  let stream = null;
  let disposed = false;

  main.innerHTML = `
    <div class="page-head"><h1>Runs</h1>
      <div class="toolbar" role="search">
        <label>Status <select id="filter-status" data-testid="filter-status">
          <option value="">all</option>${STATUSES.map((s) => `<option value="${s}">${s.replace('_', ' ')}</option>`).join('')}
        </select></label>
        <label>Project <input id="filter-project" data-testid="filter-project" list="projects" placeholder="all" size="14"></label>
        <datalist id="projects"></datalist>
        <label>Search <input id="search" type="search" data-testid="search" placeholder="name, id, tag…" size="18"></label>
        <button type="button" id="compare-button" class="btn primary" data-testid="compare-button" disabled>Compare</button>
      </div>
    </div>
    <p class="muted small" id="runs-count" data-testid="runs-count" aria-live="polite"></p>
    <div class="table-wrap">
    <table class="runs" data-testid="runs-table" id="runs-table">
      <caption class="sr-only">Training runs, newest first; select 2 to 5 to compare</caption>
      <thead><tr>
        <th scope="col"><span class="sr-only">Select</span></th><th scope="col">Run</th><th scope="col">Status</th>
        <th scope="col">Project</th><th scope="col">Tags</th><th scope="col">Progress</th><th scope="col">ETA</th>
        <th scope="col">Verdict</th><th scope="col">Open alerts</th><th scope="col">Started</th>
      </tr></thead>
      <tbody></tbody>
    </table></div>
    <p><button type="button" class="btn" id="load-more" data-testid="load-more" hidden>Load more</button></p>
    <div id="runs-empty" class="panel empty" data-testid="runs-empty" hidden>
      <h2>No runs yet</h2>
      <p>Start one on the trainer host, for example:</p>
      <pre>curl -XPOST localhost:8081/api/v1/jobs -H 'content-type: application/json' \\
  -d '{"preset":"overfit","epochs":40}'</pre>
    </div>`;

  const tbody = main.querySelector('tbody');
  const statusSel = main.querySelector('#filter-status');
  const projectIn = main.querySelector('#filter-project');
  const searchIn = main.querySelector('#search');
  const compareBtn = main.querySelector('#compare-button');
  const loadMore = main.querySelector('#load-more');
  statusSel.value = state.status;
  projectIn.value = state.project;
  searchIn.value = state.q;

  function syncUrl() {
    const p = new URLSearchParams();
    for (const k of ['status', 'project', 'q']) if (state[k]) p.set(k, state[k]);
    const s = p.toString();
    history.replaceState(null, '', `#/${s ? `?${s}` : ''}`);
  }

  function matchesServerFilters(run) {
    return (!state.status || run.status === state.status) && (!state.project || run.project === state.project);
  }

  function matchesSearch(run) {
    if (!state.q) return true;
    const q = state.q.toLowerCase();
    return [run.run_id, run.name, run.project, ...(run.tags || [])].some((s) => s && s.toLowerCase().includes(q));
  }

  function rowCells(run) {
    const rec = run.analysis?.recommendation;
    const alerts = [...(run.openAlerts?.values() || [])].sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3));
    const eta = ACTIVE.has(run.status) ? duration(run.eta_seconds) : '–';
    return `
      <td><a href="#/run/${encodeURIComponent(run.run_id)}" data-testid="run-link">${esc(run.name || run.run_id)}</a><div class="muted small mono runid" title="${esc(run.run_id)}">${esc(run.run_id)}</div></td>
      <td>${statusBadge(run.status)}</td>
      <td class="nowrap">${esc(run.project || '–')}</td>
      <td>${(run.tags || []).map((t) => `<span class="tag">${esc(t)}</span>`).join(' ')}</td>
      <td class="nowrap" data-testid="run-progress">${progressBar(run)}</td>
      <td class="nowrap" data-testid="run-eta">${eta}</td>
      <td class="nowrap" data-testid="run-verdict" title="${esc(rec?.reason || '')}">${actionBadge(rec)} ${rec ? `<span class="muted small">${pct(rec.confidence)}</span>` : ''}</td>
      <td data-testid="run-alerts">${alerts.length ? alerts.map((a) => `<span class="sev sev-${esc(a.severity)}" title="${esc(a.message || a.kind)}" data-testid="alert-${esc(a.kind)}">${esc(a.kind)}</span>`).join(' ') : '<span class="muted">none</span>'}</td>
      <td class="nowrap small">${when(run.started_at || run.created_at)}</td>`;
  }

  function renderRow(id) {
    const run = runs.get(id);
    let tr = tbody.querySelector(`tr[data-run-id="${CSS.escape(id)}"]`);
    if (!tr) {
      tr = document.createElement('tr');
      tr.dataset.runId = id;
      tr.dataset.testid = `run-row-${id}`;
      const td = document.createElement('td');
      td.innerHTML = `<input type="checkbox" data-testid="run-select-${esc(id)}" aria-label="select ${esc(run.name || id)} for comparison">`;
      td.firstChild.addEventListener('change', (e) => {
        if (e.target.checked) selected.add(id); else selected.delete(id);
        updateCompare();
      });
      tr.append(td);
      const idx = order.indexOf(id);
      const after = order.slice(idx + 1).map((o) => tbody.querySelector(`tr[data-run-id="${CSS.escape(o)}"]`)).find(Boolean);
      tbody.insertBefore(tr, after || null);
    }
    tr.dataset.status = run.status;
    while (tr.cells.length > 1) tr.deleteCell(1);
    tr.insertAdjacentHTML('beforeend', rowCells(run));
    tr.hidden = !matchesSearch(run);
  }

  const dirty = new Set();
  const flush = frameBatcher(() => { if (disposed) return; for (const id of dirty) if (runs.has(id)) renderRow(id); dirty.clear(); updateCount(); });
  const touch = (id) => { dirty.add(id); flush(); };

  function updateCount() {
    const visible = order.filter((id) => matchesSearch(runs.get(id))).length;
    main.querySelector('#runs-count').textContent = `${visible} run${visible === 1 ? '' : 's'} shown${nextCursor ? ' (more available)' : ''}`;
    main.querySelector('#runs-empty').hidden = order.length > 0;
    main.querySelector('.table-wrap').hidden = order.length === 0;
  }

  function updateCompare() {
    const n = selected.size;
    compareBtn.disabled = n < 2 || n > 5;
    compareBtn.textContent = n ? `Compare (${n})` : 'Compare';
    compareBtn.title = n > 5 ? 'at most 5 runs' : n < 2 ? 'select 2 to 5 runs' : '';
  }
  compareBtn.addEventListener('click', () => {
    location.hash = `#/compare?${[...selected].map((id) => `run=${encodeURIComponent(id)}`).join('&')}`;
  });

  function addProjects(list) {
    let changed = false;
    for (const r of list) if (r.project && !projects.has(r.project)) { projects.add(r.project); changed = true; }
    if (changed) main.querySelector('#projects').innerHTML = [...projects].sort().map((p) => `<option value="${esc(p)}">`).join('');
  }

  async function enrich(list) {
    // The list holds summaries; the verdict headline, ETA and open alerts come from each run (few in flight).
    // Should the list one day carry `analysis` and `open_alerts` itself, these requests are skipped.
    await mapLimited(list.filter((r) => !(r.analysis && Array.isArray(r.open_alerts))), 4, async (r) => {
      const [detail, alerts] = await Promise.all([
        getJson(`/runs/${encodeURIComponent(r.run_id)}`),
        getJson(`/runs/${encodeURIComponent(r.run_id)}/alerts?state=open`),
      ]);
      if (disposed) return;
      const run = runs.get(r.run_id);
      if (!run) return;
      if (detail.analysis && !run.analysis) run.analysis = detail.analysis;
      if (run.eta_seconds === undefined) run.eta_seconds = detail.eta_seconds;
      run.started_at = run.started_at || detail.started_at;
      if (!run.alertsFromStream) run.openAlerts = new Map(alerts.alerts.map((a) => [a.id, a]));
      touch(r.run_id);
    });
  }

  async function load(cursor) {
    const q = new URLSearchParams({ limit: '50' });
    if (state.status) q.set('status', state.status);
    if (state.project) q.set('project', state.project);
    if (cursor) q.set('cursor', cursor);
    const page = await getJson(`/runs?${q}`);
    if (disposed) return;
    nextCursor = page.next_cursor || null;
    loadMore.hidden = !nextCursor;
    const added = [];
    for (const r of page.runs) {
      if (runs.has(r.run_id)) continue;
      runs.set(r.run_id, { ...r, openAlerts: new Map((r.open_alerts || []).map((a) => [a.id, a])) });
      order.push(r.run_id);
      added.push(r);
      renderRow(r.run_id);
    }
    addProjects(page.runs);
    updateCount();
    enrich(added);
  }

  function restart() {
    stream?.close();
    runs.clear(); order.length = 0; selected.clear(); tbody.innerHTML = ''; updateCompare();
    syncUrl();
    load().catch((e) => { main.querySelector('#runs-count').innerHTML = errorPanel(e); });
    stream = new LiveStream(`/events${state.project ? `?project=${encodeURIComponent(state.project)}` : ''}`, {
      status(s) {
        if (s.status === 'deleted') { // gone for good: drop its row, never add one
          if (runs.delete(s.run_id)) {
            order.splice(order.indexOf(s.run_id), 1);
            selected.delete(s.run_id);
            tbody.querySelector(`tr[data-run-id="${CSS.escape(s.run_id)}"]`)?.remove();
            updateCount(); updateCompare();
          }
          return;
        }
        addProjects([s]);
        let run = runs.get(s.run_id);
        if (!run) {
          if (!matchesServerFilters(s)) return;
          run = { ...s, openAlerts: new Map() };
          runs.set(s.run_id, run);
          order.unshift(s.run_id);
        } else {
          Object.assign(run, s);
          if (!matchesServerFilters(run)) { // left the filter (e.g. status=running and it finished)
            runs.delete(s.run_id); order.splice(order.indexOf(s.run_id), 1);
            tbody.querySelector(`tr[data-run-id="${CSS.escape(s.run_id)}"]`)?.remove();
            updateCount();
            return;
          }
        }
        touch(s.run_id);
      },
      epoch(e) {
        const run = runs.get(e.run_id);
        if (!run) return;
        if (run.latest_epoch === undefined || e.epoch > run.latest_epoch) {
          run.latest_epoch = e.epoch;
          run.epochs_recorded = (run.epochs_recorded || 0) + 1;
          if (run.total_epochs) run.progress_percent = Math.min(100, (100 * (e.epoch + 1)) / run.total_epochs);
        }
        touch(e.run_id);
      },
      analysis(a) {
        const run = runs.get(a.run_id);
        if (!run) return;
        run.analysis = { recommendation: a.recommendation, best_epoch: a.best_epoch };
        if (a.throughput && a.throughput.eta_seconds !== undefined) run.eta_seconds = a.throughput.eta_seconds;
        if (Array.isArray(a.alerts)) {
          run.openAlerts = new Map(a.alerts.filter((x) => x.resolved_epoch === null || x.resolved_epoch === undefined).map((x) => [x.id, x]));
          run.alertsFromStream = true;
        }
        touch(a.run_id);
      },
      alert(a) {
        const run = runs.get(a.run_id);
        if (!run) return;
        if (a.state === 'resolved' || (a.resolved_epoch !== undefined && a.resolved_epoch !== null)) run.openAlerts.delete(a.id);
        else run.openAlerts.set(a.id, a);
        touch(a.run_id);
      },
    }, setLive);
  }

  statusSel.addEventListener('change', () => { state.status = statusSel.value; restart(); });
  let projectTimer;
  projectIn.addEventListener('input', () => {
    clearTimeout(projectTimer);
    projectTimer = setTimeout(() => { state.project = projectIn.value.trim(); restart(); }, 350);
  });
  searchIn.addEventListener('input', () => {
    state.q = searchIn.value.trim();
    syncUrl();
    for (const id of order) { const tr = tbody.querySelector(`tr[data-run-id="${CSS.escape(id)}"]`); if (tr) tr.hidden = !matchesSearch(runs.get(id)); }
    updateCount();
  });
  loadMore.addEventListener('click', () => load(nextCursor).catch((e) => alert(e.message)));

  restart();
  return { dispose() { disposed = true; stream?.close(); clearTimeout(projectTimer); } };
}

// =====================================================================================================
// Run
// =====================================================================================================

/** Epoch rows by epoch, kept sorted: a downsampled history merged with the live tail (duplicates replace). */
class EpochSeries {
  constructor() { this.rows = []; }
  upsert(row) {
    const rows = this.rows;
    if (!rows.length || row.epoch > rows[rows.length - 1].epoch) { rows.push(row); return; }
    let lo = 0, hi = rows.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (rows[m].epoch < row.epoch) lo = m + 1; else hi = m; }
    if (rows[lo] && rows[lo].epoch === row.epoch) rows[lo] = row; else rows.splice(lo, 0, row);
  }
  points(field) { return this.rows.map((r) => [r.epoch, r[field] === undefined ? null : num(r[field])]); }
  get last() { return this.rows[this.rows.length - 1]; }
}

function runView(id) {
  const enc = encodeURIComponent(id);
  const series = new EpochSeries();
  let run = null, verdict = null;
  const alerts = new Map();
  let loaded = false;
  const buffered = [];
  let disposed = false;

  main.innerHTML = `<p class="muted" data-testid="loading">Loading run ${esc(id)}…</p>`;

  // The stream opens first and is buffered until the history is in, so nothing stored in between is missed.
  const apply = {
    status(s) {
      if (s.status === 'deleted') { showDeleted(); return; }
      run = { ...run, ...s }; renderHead();
    },
    epoch(e) {
      series.upsert(e);
      if (run && (run.latest_epoch === undefined || e.epoch > run.latest_epoch)) {
        run.latest_epoch = e.epoch;
        run.epochs_recorded = (run.epochs_recorded || 0) + 1;
        if (run.total_epochs) run.progress_percent = Math.min(100, (100 * (e.epoch + 1)) / run.total_epochs);
      }
      renderHead(); drawCharts();
    },
    analysis(a) { verdict = a; if (run) run.eta_seconds = a.throughput?.eta_seconds; renderVerdict(); renderHead(); drawCharts(); },
    alert(a) { alerts.set(a.id, a); renderAlerts(); },
  };
  const handlers = Object.fromEntries(Object.entries(apply).map(([type, fn]) => [type, (data) => {
    if (disposed) return;
    if (loaded) fn(data); else buffered.push([type, data]);
  }]));
  const stream = new LiveStream(`/runs/${enc}/events`, handlers, setLive);

  /** The run is gone (deleted here, elsewhere, or by retention): say so instead of showing stale data. */
  function showDeleted() {
    if (disposed) return;
    disposed = true;
    stream.close();
    setLive('idle');
    charts.forEach((c) => c.dispose());
    charts = [];
    setTitle('Run deleted');
    main.innerHTML = `<nav class="crumbs" aria-label="Breadcrumb"><a href="#/">Runs</a> › <span>${esc(id)}</span></nav>
      <div class="panel" role="status" data-testid="run-deleted"><h1>Run deleted</h1>
      <p>Run <span class="mono">${esc(id)}</span> and its history were deleted.</p><p><a href="#/">Back to runs</a></p></div>`;
    focusHeading();
  }

  let charts = [];
  let renderHead = () => {}, renderVerdict = () => {}, renderAlerts = () => {}, drawCharts = () => {};

  Promise.all([
    getJson(`/runs/${enc}`),
    getJson(`/runs/${enc}/metrics?max_points=${HISTORY_POINTS}`),
    getJson(`/runs/${enc}/analysis`),
    getJson(`/runs/${enc}/alerts`),
  ]).then(([detail, history, analysis, alertList]) => {
    if (disposed) return;
    run = detail;
    verdict = analysis;
    setTitle(run.name || id);
    for (const row of history.epochs) series.upsert(row);
    for (const a of alertList.alerts) alerts.set(a.id, a);
    build();
    loaded = true;
    for (const [type, data] of buffered.splice(0)) apply[type](data);
    renderHead(); renderVerdict(); renderAlerts(); drawCharts();
    focusHeading();
  }).catch((e) => { if (!disposed) { main.innerHTML = errorPanel(e); stream.close(); setLive('idle'); } });

  function build() {
    main.innerHTML = `
      <nav class="crumbs" aria-label="Breadcrumb"><a href="#/">Runs</a> › <span>${esc(run.name || id)}</span></nav>
      <div class="page-head">
        <h1><span id="run-name">${esc(run.name || id)}</span> <span id="run-status-slot"></span></h1>
        <div class="toolbar">
          <a class="btn" id="csv-link" data-testid="csv-link" href="api/v1/runs/${enc}/metrics?format=csv" download="${esc(id)}.csv">Download CSV</a>
          <button type="button" class="btn danger" id="cancel-button" data-testid="cancel-button">Cancel run…</button>
          <button type="button" class="btn" id="delete-button" data-testid="delete-button">Delete…</button>
        </div>
      </div>
      <section class="facts" id="facts" aria-label="Run facts"></section>
      <div class="grid-2">
        <section class="panel" aria-labelledby="rec-h" id="recommendation" data-testid="recommendation">
          <h2 id="rec-h">Recommendation</h2><div id="rec-body"></div>
        </section>
        <section class="panel" aria-labelledby="alerts-h">
          <h2 id="alerts-h">Alerts</h2><ul class="alerts" id="alerts-list" data-testid="alerts-list"></ul>
        </section>
      </div>
      <div class="charts">
        ${chartPanel('loss', 'Loss', 'Training (dashed) and validation (solid) loss; best epoch marked, overfitting shaded, forecast band', true)}
        ${chartPanel('accuracy', 'Accuracy', 'Training (dashed) and validation (solid) accuracy')}
        ${chartPanel('lr', 'Learning rate', 'Learning rate per epoch, log scale')}
        ${chartPanel('grad', 'Gradient norm', 'Global gradient L2 norm, epoch mean (solid) and max (dashed), log scale')}
        ${chartPanel('throughput', 'Throughput', 'Samples per second')}
        <section class="panel chart-panel wide" aria-labelledby="heat-h">
          <div class="chart-head"><h2 id="heat-h">Per-layer gradient norm</h2><span class="readout" id="heat-readout" aria-live="off"></span></div>
          <canvas id="layer-heatmap" data-testid="layer-heatmap" class="heatmap" role="img" tabindex="0" aria-label="Heatmap of gradient L2 norm per layer and epoch, log colour scale"></canvas>
        </section>
      </div>`;
    const mk = (name, opts) => new LineChart(main.querySelector(`#${name}-chart`), { ...opts, readout: main.querySelector(`#${name}-readout`) });
    const loss = mk('loss', { yLabel: 'loss' });
    const acc = mk('accuracy', { yLabel: 'accuracy' });
    const lr = mk('lr', { log: true, yLabel: 'lr' });
    const grad = mk('grad', { log: true, yLabel: '‖g‖' });
    const thr = mk('throughput', { yLabel: 'samples/s' });
    const heat = new Heatmap(main.querySelector('#layer-heatmap'), { readout: main.querySelector('#heat-readout') });
    charts = [loss, acc, lr, grad, thr, heat];
    main.querySelector('#loss-log').addEventListener('change', (e) => loss.setLog(e.target.checked));

    const cancelBtn = main.querySelector('#cancel-button');
    cancelBtn.addEventListener('click', () => openCancelDialog(id, cancelBtn, (answer) => {
      run = { ...run, status: answer.status || 'cancelling' };
      renderHead();
    }));

    const deleteBtn = main.querySelector('#delete-button');
    deleteBtn.addEventListener('click', () => openDeleteDialog(id, deleteBtn, showDeleted));

    renderHead = () => {
      const slot = main.querySelector('#run-status-slot');
      slot.innerHTML = statusBadge(run.status);
      cancelBtn.hidden = !(run.status === 'running' || run.status === 'queued');
      const verdictEta = verdict?.throughput?.eta_seconds;
      const eta = ACTIVE.has(run.status) ? duration(run.eta_seconds ?? verdictEta) : '–';
      const recorded = run.epochs_recorded ?? (run.latest_epoch !== undefined ? run.latest_epoch + 1 : 0);
      main.querySelector('#facts').innerHTML = `
        <dl>
          <div><dt>Epochs</dt><dd><span data-testid="epoch-count" id="epoch-count" data-value="${recorded}">${recorded}</span>${run.total_epochs ? ` / ${run.total_epochs}` : ''}</dd></div>
          <div><dt>Progress</dt><dd>${progressBar(run)}</dd></div>
          <div><dt>ETA</dt><dd data-testid="run-eta">${eta}</dd></div>
          <div><dt>Project</dt><dd>${esc(run.project || '–')}</dd></div>
          <div><dt>Tags</dt><dd>${(run.tags || []).map((t) => `<span class="tag">${esc(t)}</span>`).join(' ') || '–'}</dd></div>
          <div><dt>Model</dt><dd>${esc(run.model?.architecture || '–')}${run.model?.parameter_count ? ` <span class="muted">(${run.model.parameter_count.toLocaleString()} params)</span>` : ''}</dd></div>
          <div><dt>Dataset</dt><dd>${esc(run.dataset?.name || '–')}</dd></div>
          <div><dt>Device</dt><dd>${esc(run.device || '–')}${run.host ? ` <span class="muted">on ${esc(run.host)}</span>` : ''}</dd></div>
          <div><dt>Started</dt><dd>${when(run.started_at || run.created_at)}</dd></div>
          <div><dt>Run id</dt><dd class="mono small">${esc(run.run_id)}</dd></div>
          ${run.finished_at || run.finish_reason ? `<div class="span2"><dt>Finished</dt><dd>${run.finished_at ? when(run.finished_at) : ''}${run.finish_reason ? ` <span class="muted" data-testid="finish-reason">${esc(run.finish_reason)}</span>` : ''}</dd></div>` : ''}
          ${run.cancel ? `<div class="span2"><dt>Cancel requested</dt><dd data-testid="cancel-info">${esc(run.cancel.reason)}${run.cancel.requested_by ? ` <span class="muted">by ${esc(run.cancel.requested_by)}</span>` : ''}</dd></div>` : ''}
        </dl>`;
    };

    renderVerdict = () => {
      const v = verdict || {};
      const rec = v.recommendation;
      const of = v.overfitting || {};
      const fc = v.forecast || {};
      const trend = (k) => (v.trend && v.trend[k] ? `<span class="trend trend-${esc(v.trend[k].state)}">${esc(v.trend[k].state)}</span>` : '–');
      main.querySelector('#rec-body').innerHTML = rec ? `
        <p class="rec-line">${actionBadge(rec, 'recommendation-action')}
          <span class="muted">confidence</span> <b data-testid="recommendation-confidence">${pct(rec.confidence)}</b></p>
        <p class="rec-reason" data-testid="recommendation-reason">${esc(rec.reason || '')}</p>
        <dl class="verdict">
          <div><dt>Best epoch</dt><dd data-testid="best-epoch">${v.best_epoch ?? '–'}${v.best_val_loss !== undefined && v.best_val_loss !== null ? ` <span class="muted">(${fmt(num(v.best_val_loss), 4)})</span>` : ''}</dd></div>
          <div><dt>Since improvement</dt><dd>${v.epochs_since_improvement ?? '–'} epochs</dd></div>
          <div><dt>Val loss trend</dt><dd>${trend('val_loss')}</dd></div>
          <div><dt>Train loss trend</dt><dd>${trend('train_loss')}</dd></div>
          <div><dt>Overfitting</dt><dd data-testid="overfitting">${of.detected ? `<b>${esc(of.severity)}</b> since epoch ${of.onset_epoch} <span class="muted">(conf. ${pct(of.confidence)})</span>` : 'no'}</dd></div>
          <div><dt>Plateau</dt><dd>${v.plateau?.detected ? `since epoch ${v.plateau.since_epoch}` : 'no'}</dd></div>
          <div><dt>Divergence</dt><dd>${v.divergence?.detected ? `<b>${esc(v.divergence.kind)}</b> at epoch ${v.divergence.epoch}` : 'no'}</dd></div>
          <div><dt>Forecast</dt><dd>${fc.final_val_loss !== undefined && fc.final_val_loss !== null ? `${fmt(fc.final_val_loss, 4)} <span class="muted">[${fmt(fc.low, 3)}, ${fmt(fc.high, 3)}] at epoch ${fc.at_epoch ?? '?'}</span>` : '–'}</dd></div>
        </dl>
        <details class="evidence"><summary>Evidence (${(rec.evidence || []).length} rule${(rec.evidence || []).length === 1 ? '' : 's'})</summary>
          <ul data-testid="evidence-list">${(rec.evidence || []).map((ev) => `<li><code>${esc(ev.rule)}</code>${kv('params', ev.params)}${kv('values', ev.values)}</li>`).join('') || '<li class="muted">no rule fired</li>'}</ul>
        </details>` : '<p class="muted">No verdict yet: it appears with the first epoch.</p>';
    };

    renderAlerts = () => {
      const list = [...alerts.values()].sort((a, b) => {
        const ao = a.state === 'open' || a.resolved_epoch == null ? 0 : 1, bo = b.state === 'open' || b.resolved_epoch == null ? 0 : 1;
        return ao - bo || (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3) || (b.opened_epoch ?? 0) - (a.opened_epoch ?? 0);
      });
      main.querySelector('#alerts-list').innerHTML = list.length ? list.map((a) => {
        const open = a.resolved_epoch === null || a.resolved_epoch === undefined;
        return `<li class="alert alert-${esc(a.severity)} ${open ? 'open' : 'resolved'}" data-testid="alert-${esc(a.kind)}" data-state="${open ? 'open' : 'resolved'}" data-severity="${esc(a.severity)}">
          <span class="sev sev-${esc(a.severity)}">${esc(a.severity)}</span> <b>${esc(a.kind)}</b>
          <span class="muted small">${open ? `open since epoch ${a.opened_epoch ?? '?'}` : `epochs ${a.opened_epoch ?? '?'}–${a.resolved_epoch}, resolved`}</span>
          ${a.message ? `<div class="small">${esc(a.message)}</div>` : ''}</li>`;
      }).join('') : '<li class="muted" data-testid="no-alerts">No alerts.</li>';
    };

    drawCharts = frameBatcher(() => {
      const v = verdict || {};
      const last = series.last;
      // While the run is active every chart spans all its epochs, so the curves grow into a fixed frame.
      const xEnd = ACTIVE.has(run.status) && run.total_epochs ? run.total_epochs - 1 : undefined;
      const marks = { vlines: [], bands: [], polygons: [], xMax: xEnd };
      if (v.best_epoch !== undefined && v.best_epoch !== null) marks.vlines.push({ x: v.best_epoch, label: `best ${v.best_epoch}`, color: '--c-good' });
      if (v.overfitting?.detected && v.overfitting.onset_epoch !== undefined && last) {
        marks.bands.push({ x0: v.overfitting.onset_epoch, x1: last.epoch, color: '--c-warn', label: 'overfitting' });
      }
      const fc = v.forecast;
      const lastVal = last ? num(last.val_loss) : null;
      const forecastSeries = [];
      if (fc && ACTIVE.has(run.status) && fc.final_val_loss !== null && fc.final_val_loss !== undefined && last && lastVal !== null && Number.isFinite(lastVal)) {
        const at = fc.at_epoch ?? (run.total_epochs ? run.total_epochs - 1 : last.epoch);
        if (at > last.epoch) {
          marks.polygons.push({ points: [[last.epoch, lastVal], [at, fc.high], [at, fc.low]], color: '--c-val' });
          forecastSeries.push({ name: 'forecast', color: '--c-val', dash: [2, 3], width: 1.4, noReadout: true, points: [[last.epoch, lastVal], [at, fc.final_val_loss]] });
          marks.xMax = Math.max(at, xEnd ?? at);
        }
      }
      loss.setMarks(marks);
      loss.setSeries([
        { name: 'train', color: '--c-train', dash: [6, 4], points: series.points('train_loss') },
        { name: 'val', color: '--c-val', points: series.points('val_loss') },
        ...forecastSeries,
      ]);
      acc.setMarks({ vlines: marks.vlines, xMax: xEnd });
      for (const c of [lr, grad, thr]) c.setMarks({ xMax: xEnd });
      acc.setSeries([
        { name: 'train', color: '--c-train', dash: [6, 4], points: series.points('train_accuracy') },
        { name: 'val', color: '--c-val', points: series.points('val_accuracy') },
      ]);
      lr.setSeries([{ name: 'lr', color: '--c3', points: series.points('learning_rate') }]);
      grad.setSeries([
        { name: 'mean', color: '--c4', points: series.points('grad_norm') },
        { name: 'max', color: '--c5', dash: [6, 4], points: series.points('grad_norm_max') },
      ]);
      thr.setSeries([{ name: 'samples/s', color: '--c1', points: series.points('samples_per_second') }]);
      heat.setRows(series.rows.map((r) => ({ epoch: r.epoch, norms: r.layer_grad_norms })));
      const lossCanvas = main.querySelector('#loss-chart');
      // For tests and the curious: how many epochs the curves hold (downsampled history + live tail) and the latest.
      lossCanvas.dataset.epochs = String(series.rows.length);
      lossCanvas.dataset.lastEpoch = last ? String(last.epoch) : '';
      if (last) lossCanvas.setAttribute('aria-label', `Loss chart: epoch ${last.epoch}, training loss ${fmt(num(last.train_loss), 4)}, validation loss ${fmt(num(last.val_loss), 4)}${v.best_epoch !== undefined && v.best_epoch !== null ? `, best epoch ${v.best_epoch}` : ''}`);
    });
  }

  const redraw = () => charts.forEach((c) => c.draw());
  window.addEventListener('trainwatch-theme', redraw);
  return {
    dispose() {
      disposed = true;
      stream.close();
      charts.forEach((c) => c.dispose());
      window.removeEventListener('trainwatch-theme', redraw);
    },
  };
}

function kv(label, obj) {
  if (!obj || !Object.keys(obj).length) return '';
  return ` <span class="muted small">${label}:</span> ${Object.entries(obj).map(([k, v]) => `<span class="kv">${esc(k)}=${esc(typeof v === 'number' ? fmt(v, 4) : JSON.stringify(v))}</span>`).join(' ')}`;
}

function chartPanel(name, title, description, logToggle = false) {
  return `<section class="panel chart-panel" aria-labelledby="${name}-h">
    <div class="chart-head"><h2 id="${name}-h">${title}</h2>
      ${logToggle ? `<label class="small"><input type="checkbox" id="${name}-log" data-testid="${name}-log"> log scale</label>` : ''}
    </div>
    <canvas id="${name}-chart" data-testid="${name}-chart" role="img" tabindex="0" aria-label="${esc(description)}"></canvas>
    <div class="readout" id="${name}-readout" aria-live="off"></div>
  </section>`;
}

// ---------- delete dialog ----------

const deleteDialog = document.getElementById('delete-dialog');
const deleteError = document.getElementById('delete-error');
const deleteConfirm = document.getElementById('delete-confirm');
let deleteCtx = null;

function openDeleteDialog(runId, opener, onDone) {
  deleteCtx = { runId, opener, onDone };
  deleteError.textContent = '';
  deleteConfirm.disabled = false;
  deleteDialog.showModal();
  document.getElementById('delete-dismiss').focus(); // the safe choice has the focus: Enter does not delete
}

document.getElementById('delete-dismiss').addEventListener('click', () => deleteDialog.close());
deleteDialog.addEventListener('close', () => { if (deleteCtx?.opener?.isConnected) deleteCtx.opener.focus(); });
document.getElementById('delete-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!deleteCtx) return;
  deleteConfirm.disabled = true;
  try {
    await deleteResource(`/runs/${encodeURIComponent(deleteCtx.runId)}`);
    deleteDialog.close();
    deleteCtx.onDone();
  } catch (err) {
    deleteError.textContent = err.message;
    deleteConfirm.disabled = false;
  }
});

// ---------- cancel dialog ----------

const dialog = document.getElementById('cancel-dialog');
const dialogForm = document.getElementById('cancel-form');
const reasonIn = document.getElementById('cancel-reason');
const byIn = document.getElementById('cancel-by');
const dialogError = document.getElementById('cancel-error');
const confirmBtn = document.getElementById('cancel-confirm');
let dialogCtx = null;

function openCancelDialog(runId, opener, onDone) {
  dialogCtx = { runId, opener, onDone };
  reasonIn.value = '';
  dialogError.textContent = '';
  reasonIn.removeAttribute('aria-invalid');
  confirmBtn.disabled = false;
  dialog.showModal(); // modal: focus moves inside, Esc closes (the browser's own 'cancel' behaviour)
  reasonIn.focus();
}

document.getElementById('cancel-dismiss').addEventListener('click', () => dialog.close());
dialog.addEventListener('close', () => { dialogCtx?.opener?.focus(); });
dialogForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!dialogCtx) return;
  const reason = reasonIn.value.trim();
  if (!reason) {
    dialogError.textContent = 'reason: required — say why the run should stop.';
    reasonIn.setAttribute('aria-invalid', 'true');
    reasonIn.focus();
    return;
  }
  confirmBtn.disabled = true;
  dialogError.textContent = '';
  try {
    const answer = await postJson(`/runs/${encodeURIComponent(dialogCtx.runId)}/cancel`, { reason, requested_by: byIn.value.trim() || 'dashboard' });
    dialogCtx.onDone(answer);
    dialog.close();
  } catch (err) {
    const fields = err.problem?.errors || err.problem?.invalid_params;
    dialogError.textContent = err.message + (Array.isArray(fields) ? ` ${fields.map((f) => `${f.field || f.name}: ${f.message || f.reason}`).join('; ')}` : '');
    confirmBtn.disabled = false;
  }
});

// =====================================================================================================
// Compare
// =====================================================================================================

function compareView(ids) {
  const unique = [...new Set(ids)];
  if (unique.length < 2 || unique.length > 5) {
    main.innerHTML = `<h1>Compare</h1><div class="panel" role="alert" data-testid="compare-invalid"><p>Choose 2 to 5 runs to compare (got ${unique.length}): tick them in the <a href="#/">runs list</a>, then press Compare.</p></div>`;
    return { dispose() {} };
  }
  let disposed = false, stream = null, charts = [];
  const byId = new Map();
  setTitle('Compare');
  main.innerHTML = '<p class="muted" data-testid="loading">Loading comparison…</p>';
  const q = unique.map((id) => `run=${encodeURIComponent(id)}`).join('&');

  getJson(`/compare?${q}&max_points=${HISTORY_POINTS}&fields=train_loss,val_loss,train_accuracy,val_accuracy`).then((body) => {
    if (disposed) return;
    body.runs.forEach((r, i) => {
      const s = new EpochSeries();
      for (const e of r.epochs || []) s.upsert(e);
      byId.set(r.run_id, { run: r, series: s, color: RUN_COLOURS[i % RUN_COLOURS.length] });
    });
    main.innerHTML = `
      <nav class="crumbs" aria-label="Breadcrumb"><a href="#/">Runs</a> › <span>Compare</span></nav>
      <h1>Compare ${byId.size} runs</h1>
      <div class="table-wrap"><table class="runs" data-testid="compare-table"><caption class="sr-only">Compared runs and their colours</caption>
        <thead><tr><th scope="col">Colour</th><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Epochs</th><th scope="col">Best epoch</th><th scope="col">Best val loss</th><th scope="col">Verdict</th></tr></thead>
        <tbody id="compare-rows"></tbody></table></div>
      <div class="charts tall">
        ${chartPanel('compare', 'Loss', 'Validation loss (solid) and training loss (dashed) of each compared run', true)}
        ${chartPanel('compare-accuracy', 'Validation accuracy', 'Validation accuracy of each compared run')}
      </div>`;
    const lossChart = new LineChart(main.querySelector('#compare-chart'), { yLabel: 'loss', readout: main.querySelector('#compare-readout') });
    const accChart = new LineChart(main.querySelector('#compare-accuracy-chart'), { yLabel: 'accuracy', readout: main.querySelector('#compare-accuracy-readout') });
    charts = [lossChart, accChart];
    main.querySelector('#compare-log').addEventListener('change', (e) => lossChart.setLog(e.target.checked));
    const render = frameBatcher(() => {
      main.querySelector('#compare-rows').innerHTML = [...byId.values()].map(({ run, color }) => `
        <tr data-testid="compare-row-${esc(run.run_id)}"><td><span class="swatch" style="--key:var(${color})"></span></td>
        <td><a href="#/run/${encodeURIComponent(run.run_id)}">${esc(run.name || run.run_id)}</a><div class="muted small mono">${esc(run.run_id)}</div></td>
        <td>${statusBadge(run.status)}</td><td>${run.epochs_recorded ?? '–'}${run.total_epochs ? ` / ${run.total_epochs}` : ''}</td>
        <td>${run.analysis?.best_epoch ?? '–'}</td><td>${fmt(num(run.analysis?.best_val_loss), 4)}</td>
        <td title="${esc(run.analysis?.recommendation?.reason || '')}">${actionBadge(run.analysis?.recommendation)}</td></tr>`).join('');
      const lossSeries = [], accSeries = [];
      for (const { run, series, color } of byId.values()) {
        const name = run.name || run.run_id;
        lossSeries.push({ name: `${name} val`, color, points: series.points('val_loss') });
        lossSeries.push({ name: `${name} train`, color, dash: [6, 4], width: 1.2, points: series.points('train_loss') });
        accSeries.push({ name, color, points: series.points('val_accuracy') });
      }
      lossChart.setSeries(lossSeries);
      accChart.setSeries(accSeries);
    });
    render();
    focusHeading();
    stream = new LiveStream('/events', {
      status(s) { const c = byId.get(s.run_id); if (c) { Object.assign(c.run, s); render(); } },
      epoch(e) {
        const c = byId.get(e.run_id);
        if (!c) return;
        c.series.upsert(e);
        if (c.run.latest_epoch === undefined || e.epoch > c.run.latest_epoch) { c.run.latest_epoch = e.epoch; c.run.epochs_recorded = (c.run.epochs_recorded || 0) + 1; }
        render();
      },
      analysis(a) { const c = byId.get(a.run_id); if (c) { c.run.analysis = a; render(); } },
    }, setLive);
  }).catch((e) => { if (!disposed) main.innerHTML = errorPanel(e); });

  const redraw = () => charts.forEach((c) => c.draw());
  window.addEventListener('trainwatch-theme', redraw);
  return {
    dispose() {
      disposed = true;
      stream?.close();
      charts.forEach((c) => c.dispose());
      window.removeEventListener('trainwatch-theme', redraw);
    },
  };
}

if (!token()) showSignIn();
route();
