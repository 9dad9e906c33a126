// Drives headless Chromium over the DevTools protocol (no npm packages): opens pages, waits for a selector, runs
// optional steps, prints console errors and saves screenshots. Node 20+: node --experimental-websocket shots.mjs
//   node --experimental-websocket dashboard/dev/shots.mjs http://localhost:18090 out-dir [dark]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base = 'http://localhost:18090', outDir = '.', scheme = 'light'] = process.argv.slice(2);
const port = 9300 + Math.floor(Math.random() * 500);
const chrome = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
  `--user-data-dir=${mkdtempSync(join(tmpdir(), 'tw-shots-'))}`, `--remote-debugging-port=${port}`,
  '--window-size=1400,1000', 'about:blank'], { stdio: 'ignore' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let target;
for (let i = 0; i < 100 && !target; i++) {
  await sleep(200);
  try { target = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()).find((t) => t.type === 'page'); } catch { /* not up yet */ }
}
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((r) => ws.addEventListener('open', r));
let seq = 0;
const waiting = new Map();
const errors = [];
ws.addEventListener('message', (m) => {
  const msg = JSON.parse(m.data);
  if (msg.id && waiting.has(msg.id)) { waiting.get(msg.id)(msg); waiting.delete(msg.id); }
  if (msg.method === 'Runtime.consoleAPICalled' && ['error', 'warning'].includes(msg.params.type)) errors.push(msg.params.args.map((a) => a.value ?? a.description).join(' '));
  if (msg.method === 'Runtime.exceptionThrown') errors.push(msg.params.exceptionDetails.exception?.description || msg.params.exceptionDetails.text);
});
const send = (method, params = {}) => new Promise((r) => { const id = ++seq; waiting.set(id, r); ws.send(JSON.stringify({ id, method, params })); });
const evaluate = async (expr) => (await send('Runtime.evaluate', { expression: expr, awaitPromise: true, returnByValue: true })).result?.result?.value;
async function waitFor(selector, ms = 15000) {
  for (let t = 0; t < ms; t += 200) { if (await evaluate(`!!document.querySelector(${JSON.stringify(selector)})`)) return true; await sleep(200); }
  throw new Error(`timed out waiting for ${selector}`);
}
async function shot(name, fullPage = false) {
  let clip;
  if (fullPage) {
    const h = await evaluate('document.documentElement.scrollHeight');
    clip = { x: 0, y: 0, width: 1400, height: Math.min(h, 2600), scale: 1 };
    await send('Emulation.setDeviceMetricsOverride', { width: 1400, height: clip.height, deviceScaleFactor: 1, mobile: false });
    await sleep(500);
  }
  const r = await send('Page.captureScreenshot', { format: 'png', ...(clip ? { clip } : {}) });
  writeFileSync(join(outDir, `${name}.png`), Buffer.from(r.result.data, 'base64'));
  await send('Emulation.setDeviceMetricsOverride', { width: 1400, height: 1000, deviceScaleFactor: 1, mobile: false });
  console.log(`saved ${name}.png`);
}

await send('Runtime.enable');
await send('Page.enable');
await send('Emulation.setDeviceMetricsOverride', { width: 1400, height: 1000, deviceScaleFactor: 1, mobile: false });
await send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: scheme }] });
const suffix = scheme === 'dark' ? '-dark' : '';

await send('Page.navigate', { url: `${base}/#/` });
await waitFor('[data-testid="runs-table"] tbody tr');
await sleep(2500);
await shot(`runs${suffix}`);
const ids = await evaluate(`[...document.querySelectorAll('[data-testid="runs-table"] tbody tr')].map(tr => tr.dataset.runId)`);
console.log('runs', ids);
const focusId = process.env.RUN || ids.find((i) => i.startsWith('overfit')) || ids[0];
await send('Page.navigate', { url: `${base}/#/run/${encodeURIComponent(focusId)}` });
await waitFor('[data-testid="loss-chart"]');
await sleep(3000);
console.log('epoch-count', await evaluate(`document.querySelector('[data-testid="epoch-count"]').textContent`));
console.log('action', await evaluate(`document.querySelector('[data-testid="recommendation-action"]')?.textContent`));
await shot(`run${suffix}`, true);
const cmp = ids.filter((i) => !i.startsWith('long')).slice(0, 3);
await send('Page.navigate', { url: `${base}/#/compare?${cmp.map((i) => `run=${encodeURIComponent(i)}`).join('&')}` });
await waitFor('[data-testid="compare-chart"]');
await sleep(2500);
await shot(`compare${suffix}`);
if (process.env.LONG) {
  const t0 = Date.now();
  await send('Page.navigate', { url: `${base}/#/run/${encodeURIComponent(process.env.LONG)}` });
  await waitFor('[data-testid="epoch-count"]');
  console.log('long run view ready in ms', Date.now() - t0);
  await sleep(2000);
  console.log('draw ms (100 redraws of every chart)', await evaluate(`(async () => { const t = performance.now(); for (let i = 0; i < 100; i++) { window.dispatchEvent(new Event('trainwatch-theme')); await new Promise(r => requestAnimationFrame(r)); } return (performance.now() - t) / 100; })()`));
  await shot(`long${suffix}`, true);
}
console.log('console errors:', errors.length ? errors : 'none');
ws.close();
chrome.kill('SIGTERM');
