// Canvas charts: a line chart (linear or log y, marks, bands, a forecast polygon, crosshair) and a heatmap.
// Drawn by hand: no bundler, nothing downloaded at run time, and full control over how a downsampled history and a
// live tail are merged and decimated. Colours come from CSS custom properties, so light/dark apply on redraw.

const PAD = { left: 62, right: 14, top: 10, bottom: 28 };

function cssVar(el, name) {
  return getComputedStyle(el).getPropertyValue(name).trim() || '#888';
}

function colorOf(el, c) {
  return c && c.startsWith('--') ? cssVar(el, c) : c;
}

/** Rounded tick steps (1, 2, 5 × 10^k) covering [lo, hi] with about `count` ticks. */
export function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return ticks;
}

function logTicks(lo, hi) {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const ticks = [];
  const mults = b - a <= 2 ? [1, 2, 5] : [1];
  const stride = Math.max(1, Math.ceil((b - a) / 6));
  for (let e = a; e <= b; e += stride) for (const m of mults) {
    const v = m * 10 ** e;
    if (v >= lo && v <= hi) ticks.push(v);
  }
  return ticks.length ? ticks : [lo, hi];
}

export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

export function fmt(v, digits = 3) {
  if (v === null || v === undefined) return '–';
  if (typeof v !== 'number') return String(v);
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-4 || a >= 1e5)) return v.toExponential(Math.max(0, digits - 1));
  return +v.toPrecision(digits) + '';
}

/** Index of the last point with x <= target (points sorted by x); -1 when none. */
function floorIndex(points, x) {
  let lo = 0, hi = points.length - 1, ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid][0] <= x) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}

/** Keeps first, last, and per pixel column the min and max (in x order): a line looks the same, costs O(width). */
export function decimate(points, x0, pxPerX, columns) {
  if (points.length <= columns * 2) return points;
  const out = [];
  let col = null, minP = null, maxP = null;
  const flush = () => {
    if (!minP) return;
    if (minP === maxP) out.push(minP);
    else if (minP[0] <= maxP[0]) out.push(minP, maxP); else out.push(maxP, minP);
  };
  for (const p of points) {
    const y = p[1];
    if (y === null || !Number.isFinite(y)) { flush(); minP = maxP = null; col = null; out.push(p); continue; }
    const c = Math.floor((p[0] - x0) * pxPerX);
    if (c !== col) { flush(); col = c; minP = maxP = p; continue; }
    if (y < minP[1]) minP = p;
    if (y > maxP[1]) maxP = p;
  }
  flush();
  return out;
}

class CanvasBase {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.pending = false;
    this.ro = new ResizeObserver(() => this.draw());
    this.ro.observe(canvas);
  }

  /** Coalesces many updates (a burst of SSE epochs) into one draw per frame. */
  draw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.render(); });
  }

  size() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(50, this.canvas.clientWidth);
    const h = Math.max(50, this.canvas.clientHeight);
    if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(h * dpr)) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
    }
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.ctx.clearRect(0, 0, w, h);
    return { w, h };
  }

  dispose() { this.ro.disconnect(); }
}

/**
 * Series: {name, color ('--css-var' or colour), dash ([] solid), width, points: [[x, y|null|NaN], …] sorted by x}.
 * Marks: {vlines: [{x, label, color}], bands: [{x0, x1, color, label}], polygons: [{points, color}], xMax}.
 */
export class LineChart extends CanvasBase {
  constructor(canvas, { log = false, readout = null, yLabel = '' } = {}) {
    super(canvas);
    this.log = log;
    this.readout = readout;
    this.yLabel = yLabel;
    this.series = [];
    this.marks = {};
    this.cursor = null;
    canvas.addEventListener('pointermove', (e) => {
      if (!this.view) return;
      const r = canvas.getBoundingClientRect();
      this.cursor = this.view.xOf(e.clientX - r.left);
      this.draw();
    });
    canvas.addEventListener('pointerleave', () => { this.cursor = null; this.draw(); });
    // Keyboard: arrows move the crosshair point by point, Home/End jump, Esc clears.
    canvas.addEventListener('keydown', (e) => {
      const xs = this.allX();
      if (!xs.length) return;
      let i = this.cursor === null ? xs.length - 1 : Math.max(0, floorIndex(xs.map((x) => [x]), this.cursor));
      if (e.key === 'ArrowLeft') i = Math.max(0, i - (e.shiftKey ? 10 : 1));
      else if (e.key === 'ArrowRight') i = Math.min(xs.length - 1, i + (e.shiftKey ? 10 : 1));
      else if (e.key === 'Home') i = 0;
      else if (e.key === 'End') i = xs.length - 1;
      else if (e.key === 'Escape' && this.cursor !== null) { this.cursor = null; this.draw(); e.stopPropagation(); return; }
      else return;
      e.preventDefault();
      this.cursor = xs[i];
      this.draw();
    });
  }

  setSeries(series) { this.series = series; this.draw(); }
  setMarks(marks) { this.marks = marks || {}; this.draw(); }
  setLog(log) { this.log = log; this.draw(); }

  allX() {
    const set = new Set();
    for (const s of this.series) for (const p of s.points) set.add(p[0]);
    return [...set].sort((a, b) => a - b);
  }

  render() {
    const { w, h } = this.size();
    const ctx = this.ctx;
    const el = this.canvas;
    const text = cssVar(el, '--chart-text');
    const grid = cssVar(el, '--chart-grid');
    ctx.font = '11px system-ui, sans-serif';

    const ok = (y) => y !== null && Number.isFinite(y) && (!this.log || y > 0);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const s of this.series) for (const [x, y] of s.points) {
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (ok(y)) { if (y < y0) y0 = y; if (y > y1) y1 = y; }
    }
    for (const p of this.marks.polygons || []) for (const [x, y] of p.points) {
      if (x > x1) x1 = x;
      if (ok(y)) { if (y < y0) y0 = y; if (y > y1) y1 = y; }
    }
    if (this.marks.xMax !== undefined && this.marks.xMax > x1) x1 = this.marks.xMax;
    if (!Number.isFinite(x0) || !Number.isFinite(y0)) {
      ctx.fillStyle = text;
      ctx.fillText('no data yet', w / 2 - 30, h / 2);
      this.view = null;
      this.updateReadout();
      return;
    }
    if (x1 === x0) x1 = x0 + 1;
    if (this.log) {
      if (y1 === y0) { y0 /= 2; y1 *= 2; }
      const span = Math.log10(y1 / y0);
      y0 = 10 ** (Math.log10(y0) - span * 0.05);
      y1 = 10 ** (Math.log10(y1) + span * 0.05);
    } else {
      if (y1 === y0) { y0 -= Math.abs(y0) * 0.1 || 1; y1 += Math.abs(y1) * 0.1 || 1; }
      const pad = (y1 - y0) * 0.06;
      y0 -= pad; y1 += pad;
    }
    const pw = w - PAD.left - PAD.right, ph = h - PAD.top - PAD.bottom;
    const log = this.log;
    const ly0 = log ? Math.log10(y0) : y0, ly1 = log ? Math.log10(y1) : y1;
    const px = (x) => PAD.left + ((x - x0) / (x1 - x0)) * pw;
    const py = (y) => PAD.top + ph - (((log ? Math.log10(y) : y) - ly0) / (ly1 - ly0)) * ph;
    this.view = { xOf: (cx) => x0 + ((cx - PAD.left) / pw) * (x1 - x0) };

    // grid and axes
    ctx.strokeStyle = grid;
    ctx.fillStyle = text;
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of log ? logTicks(y0, y1) : niceTicks(y0, y1, Math.max(2, Math.floor(ph / 40)))) {
      const y = Math.round(py(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(PAD.left, y); ctx.lineTo(w - PAD.right, y); ctx.stroke();
      ctx.fillText(fmt(t, log ? 1 : 3), PAD.left - 6, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of niceTicks(x0, x1, Math.max(2, Math.floor(pw / 60)))) {
      if (t !== Math.round(t)) continue;
      const x = Math.round(px(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, PAD.top); ctx.lineTo(x, PAD.top + ph); ctx.stroke();
      ctx.fillText(String(t), x, PAD.top + ph + 6);
    }

    ctx.save();
    ctx.beginPath(); ctx.rect(PAD.left, PAD.top, pw, ph); ctx.clip();

    for (const b of this.marks.bands || []) {
      ctx.fillStyle = colorOf(el, b.color);
      ctx.globalAlpha = 0.16;
      const xa = px(Math.max(b.x0, x0)), xb = px(Math.min(b.x1, x1));
      ctx.fillRect(xa, PAD.top, Math.max(1, xb - xa), ph);
      ctx.globalAlpha = 1;
      if (b.label) { ctx.fillStyle = text; ctx.textAlign = 'left'; ctx.fillText(b.label, xa + 4, PAD.top + 4); }
    }
    for (const p of this.marks.polygons || []) {
      const pts = p.points.filter(([, y]) => ok(y));
      if (pts.length < 3) continue;
      ctx.fillStyle = colorOf(el, p.color);
      ctx.globalAlpha = 0.3;
      ctx.beginPath();
      pts.forEach(([x, y], i) => (i ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y))));
      ctx.closePath(); ctx.fill();
      ctx.globalAlpha = 1;
    }

    const columns = Math.ceil(pw);
    for (const s of this.series) {
      const pts = decimate(s.points, x0, pw / (x1 - x0), columns);
      ctx.strokeStyle = colorOf(el, s.color);
      ctx.lineWidth = s.width || 1.8;
      ctx.setLineDash(s.dash || []);
      ctx.beginPath();
      let pen = false, lone = null;
      for (const [x, y] of pts) {
        if (!ok(y)) { pen = false; continue; }
        const cx = px(x), cy = py(y);
        if (pen) { ctx.lineTo(cx, cy); lone = null; } else { ctx.moveTo(cx, cy); lone = [cx, cy]; pen = true; }
      }
      ctx.stroke();
      ctx.setLineDash([]);
      if (lone && pts.length === 1) { ctx.fillStyle = ctx.strokeStyle; ctx.fillRect(lone[0] - 2, lone[1] - 2, 4, 4); }
    }

    for (const v of this.marks.vlines || []) {
      if (v.x < x0 || v.x > x1) continue;
      const x = Math.round(px(v.x)) + 0.5;
      ctx.strokeStyle = colorOf(el, v.color || '--chart-text');
      ctx.setLineDash([4, 3]);
      ctx.lineWidth = 1.2;
      ctx.beginPath(); ctx.moveTo(x, PAD.top); ctx.lineTo(x, PAD.top + ph); ctx.stroke();
      ctx.setLineDash([]);
      if (v.label) {
        ctx.fillStyle = colorOf(el, v.color || '--chart-text');
        ctx.textAlign = x > PAD.left + pw - 90 ? 'right' : 'left';
        ctx.fillText(v.label, x + (ctx.textAlign === 'left' ? 4 : -4), PAD.top + ph - 16);
      }
    }

    if (this.cursor !== null && this.cursor >= x0 && this.cursor <= x1) {
      const x = Math.round(px(this.cursor)) + 0.5;
      ctx.strokeStyle = text;
      ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(x, PAD.top); ctx.lineTo(x, PAD.top + ph); ctx.stroke();
    }
    ctx.restore();
    if (this.yLabel) {
      ctx.save(); ctx.fillStyle = text; ctx.translate(9, PAD.top + ph / 2); ctx.rotate(-Math.PI / 2);
      ctx.textAlign = 'center'; ctx.textBaseline = 'middle'; ctx.fillText(this.yLabel, 0, 0); ctx.restore();
    }
    this.updateReadout();
  }

  /** The values under the crosshair (or the latest ones), as text next to the chart. */
  updateReadout() {
    if (!this.readout) return;
    const parts = [];
    let at = null;
    for (const s of this.series) {
      if (!s.points.length || s.noReadout) continue;
      const i = this.cursor === null ? s.points.length - 1 : floorIndex(s.points, this.cursor);
      if (i < 0) continue;
      const [x, y] = s.points[i];
      at = at === null ? x : Math.max(at, x);
      parts.push(`<span class="ro"><span class="key" style="--key:${colorOf(this.canvas, s.color)}" data-dash="${s.dash && s.dash.length ? 1 : 0}"></span>${esc(s.name)} <b>${fmt(y, 4)}</b></span>`);
    }
    this.readout.innerHTML = at === null ? '' : `<span class="muted">epoch ${at}</span> ` + parts.join(' ');
  }
}

// Viridis (perceptually uniform, readable with every common colour-vision deficiency), 9 stops.
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];

function hexToRgb(h) {
  if (!/^#[0-9a-f]{6}$/i.test(h)) return [136, 136, 136];
  const n = parseInt(h.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}
const VIRIDIS_RGB = VIRIDIS.map(hexToRgb);

export function viridis(t) {
  const u = Math.min(1, Math.max(0, t)) * (VIRIDIS_RGB.length - 1);
  const i = Math.min(VIRIDIS_RGB.length - 2, Math.floor(u));
  const f = u - i;
  const a = VIRIDIS_RGB[i], b = VIRIDIS_RGB[i + 1];
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(',')})`;
}

const VIRIDIS_LUT = Array.from({ length: 256 }, (_, k) => viridis(k / 255).slice(4, -1).split(',').map(Number));

/** Layer × epoch gradient norms, colour on a log10 scale; an exact zero (a dead layer) is drawn hatched grey. */
export class Heatmap extends CanvasBase {
  constructor(canvas, { readout = null } = {}) {
    super(canvas);
    this.readout = readout;
    this.rows = []; // [{epoch, norms: {layer: value}}] sorted by epoch
    canvas.addEventListener('pointermove', (e) => this.hover(e));
    canvas.addEventListener('pointerleave', () => { if (this.readout) this.readout.textContent = ''; });
  }

  setRows(rows) { this.rows = rows.filter((r) => r.norms && Object.keys(r.norms).length); this.draw(); }

  render() {
    const { w, h } = this.size();
    const ctx = this.ctx;
    const text = cssVar(this.canvas, '--chart-text');
    ctx.font = '11px system-ui, sans-serif';
    const layers = [...new Set(this.rows.flatMap((r) => Object.keys(r.norms)))];
    this.layers = layers;
    if (!layers.length) { ctx.fillStyle = text; ctx.fillText('no per-layer gradient norms', 12, h / 2); this.geom = null; return; }
    let lo = Infinity, hi = -Infinity;
    for (const r of this.rows) for (const v of Object.values(r.norms)) {
      const n = Number(v);
      if (n > 0 && Number.isFinite(n)) { lo = Math.min(lo, n); hi = Math.max(hi, n); }
    }
    if (!(hi > lo)) { hi = lo * 10 || 1; lo = lo || 0.1; }
    const labelW = Math.min(180, Math.max(...layers.map((l) => ctx.measureText(l).width)) + 10);
    const legendW = 64;
    const left = labelW, top = 6, pw = w - left - legendW - 8, ph = h - top - 24;
    const rowH = ph / layers.length;
    const e0 = this.rows[0].epoch, e1 = this.rows[this.rows.length - 1].epoch + 1;
    const ex = (e) => left + ((e - e0) / (e1 - e0)) * pw;
    const llo = Math.log10(lo), lhi = Math.log10(hi);
    this.geom = { left, top, pw, ph, rowH, e0, e1 };
    // One pixel per plot column and per layer in an ImageData, scaled up without smoothing: O(width × layers)
    // typed-array writes instead of a fillRect (and a colour parse) per cell.
    const cols = Math.max(1, Math.floor(pw));
    if (!this.off) this.off = document.createElement('canvas');
    this.off.width = cols;
    this.off.height = layers.length;
    const octx = this.off.getContext('2d');
    const img = octx.createImageData(cols, layers.length);
    const dead = hexToRgb(cssVar(this.canvas, '--dead'));
    const bad = hexToRgb(cssVar(this.canvas, '--c-bad'));
    const bg = hexToRgb(cssVar(this.canvas, '--panel'));
    let i = 0;
    for (let c = 0; c < cols; c++) {
      const epoch = e0 + ((c + 0.5) / cols) * (e1 - e0);
      while (i + 1 < this.rows.length && this.rows[i + 1].epoch <= epoch) i++;
      const norms = this.rows[i].norms;
      for (let j = 0; j < layers.length; j++) {
        const raw = norms[layers[j]];
        const v = Number(raw);
        const rgb = raw === undefined ? bg : v === 0 ? dead : !Number.isFinite(v) ? bad
          : VIRIDIS_LUT[Math.max(0, Math.min(255, Math.round(((Math.log10(v) - llo) / (lhi - llo)) * 255)))];
        const o = (j * cols + c) * 4;
        img.data[o] = rgb[0]; img.data[o + 1] = rgb[1]; img.data[o + 2] = rgb[2]; img.data[o + 3] = 255;
      }
    }
    octx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.off, left, top, pw, ph);
    ctx.fillStyle = text;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    if (rowH >= 9) layers.forEach((l, j) => ctx.fillText(l.length > 28 ? '…' + l.slice(-27) : l, left - 6, top + (j + 0.5) * rowH));
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const t of niceTicks(e0, e1 - 1, Math.max(2, Math.floor(pw / 80)))) {
      if (t === Math.round(t)) ctx.fillText(String(t), ex(t + 0.5), top + ph + 6);
    }
    // legend: colour bar with the log-scale ends
    const lx = w - legendW + 6;
    const bar = ctx.createLinearGradient(0, top + ph, 0, top);
    VIRIDIS.forEach((c, k) => bar.addColorStop(k / (VIRIDIS.length - 1), c));
    ctx.fillStyle = bar;
    ctx.fillRect(lx, top, 12, ph);
    ctx.fillStyle = text;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(fmt(hi, 2), lx + 16, top);
    ctx.textBaseline = 'bottom';
    ctx.fillText(fmt(lo, 2), lx + 16, top + ph);
    ctx.textBaseline = 'middle';
    ctx.fillText('log', lx + 16, top + ph / 2);
  }

  hover(e) {
    if (!this.geom || !this.readout) return;
    const r = this.canvas.getBoundingClientRect();
    const { left, top, pw, rowH, e0, e1 } = this.geom;
    const x = e.clientX - r.left, y = e.clientY - r.top;
    const epoch = e0 + ((x - left) / pw) * (e1 - e0);
    const j = Math.floor((y - top) / rowH);
    if (x < left || j < 0 || j >= this.layers.length) { this.readout.textContent = ''; return; }
    const i = floorIndex(this.rows.map((row) => [row.epoch]), epoch);
    if (i < 0) return;
    const row = this.rows[i];
    this.readout.textContent = `epoch ${row.epoch} · ${this.layers[j]}: ${fmt(Number(row.norms[this.layers[j]]), 4)}`;
  }
}
