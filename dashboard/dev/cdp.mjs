// A minimal DevTools-protocol client for Debian's headless Chromium (Node 20+ with --experimental-websocket, no npm
// packages): launch, evaluate, wait for a selector or a condition, type keys, click, screenshot, console errors.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function launch({ width = 1400, height = 1000, scheme = 'light' } = {}) {
  const port = 9300 + Math.floor(Math.random() * 500);
  const chrome = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    `--user-data-dir=${mkdtempSync(join(tmpdir(), 'tw-cdp-'))}`, `--remote-debugging-port=${port}`,
    `--window-size=${width},${height}`, 'about:blank'], { stdio: 'ignore' });
  process.on('exit', () => chrome.kill('SIGTERM')); // also when a script dies on an uncaught error
  let target;
  for (let i = 0; i < 150 && !target; i++) {
    await sleep(200);
    try { target = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()).find((t) => t.type === 'page'); } catch { /* starting */ }
  }
  if (!target) { chrome.kill('SIGTERM'); throw new Error('chromium did not start'); }
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
  const evaluate = async (expr) => {
    const r = await send('Runtime.evaluate', { expression: expr, awaitPromise: true, returnByValue: true });
    if (r.result?.exceptionDetails) throw new Error(`${expr}: ${r.result.exceptionDetails.exception?.description}`);
    return r.result?.result?.value;
  };
  const page = {
    errors, send, evaluate,
    async goto(url) { await send('Page.navigate', { url }); },
    async waitUntil(expr, ms = 20000, what = expr) {
      for (let t = 0; t < ms; t += 200) { if (await evaluate(expr)) return; await sleep(200); }
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    },
    waitFor(selector, ms) { return page.waitUntil(`!!document.querySelector(${JSON.stringify(selector)})`, ms, selector); },
    text(selector) { return evaluate(`document.querySelector(${JSON.stringify(selector)})?.textContent`); },
    click(selector) { return evaluate(`document.querySelector(${JSON.stringify(selector)}).click()`); },
    async key(key, code = key, keyCode = 0) {
      for (const type of ['keyDown', 'keyUp']) await send('Input.dispatchKeyEvent', { type, key, code, windowsVirtualKeyCode: keyCode });
    },
    async type(text) { await send('Input.insertText', { text }); },
    async shot(file, fullPage = false) {
      let clip;
      if (fullPage) {
        // The page's content height (the end of <main>), not the viewport's: no empty band at the bottom.
        const bottom = `Math.ceil(document.querySelector('main').getBoundingClientRect().bottom + window.scrollY + 12)`;
        let h = await evaluate(bottom);
        // Measured again at the new size: without a scrollbar the layout can reflow (more grid columns, shorter page).
        for (let i = 0; i < 2; i++) {
          await send('Emulation.setDeviceMetricsOverride', { width, height: Math.min(h, 2600), deviceScaleFactor: 1, mobile: false });
          await sleep(600);
          h = await evaluate(bottom);
        }
        clip = { x: 0, y: 0, width, height: Math.min(h, 2600), scale: 1 };
      }
      const r = await send('Page.captureScreenshot', { format: 'png', ...(clip ? { clip } : {}) });
      writeFileSync(file, Buffer.from(r.result.data, 'base64'));
      if (fullPage) { await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }); await sleep(300); }
    },
    close() { ws.close(); chrome.kill('SIGTERM'); },
  };
  await send('Runtime.enable');
  await send('Page.enable');
  await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
  await send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: scheme }] });
  return page;
}
