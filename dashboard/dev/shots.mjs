// Screenshots of the three views (and, with LONG=<run id>, the timing of a 1,000-epoch run view).
//   node --experimental-websocket dashboard/dev/shots.mjs http://localhost:18090 out-dir [light|dark]
import { join } from 'node:path';
import { launch, sleep } from './cdp.mjs';

const [base = 'http://localhost:18090', outDir = '.', scheme = 'light'] = process.argv.slice(2);
const suffix = scheme === 'dark' ? '-dark' : '';
const page = await launch({ scheme });
try {
  await page.goto(`${base}/#/`);
  await page.waitFor('[data-testid="runs-table"] tbody tr');
  await sleep(2500);
  await page.shot(join(outDir, `dashboard-runs${suffix}.png`));
  const ids = await page.evaluate(`[...document.querySelectorAll('[data-testid="runs-table"] tbody tr')].map(tr => tr.dataset.runId)`);
  console.log('runs', ids);
  const runId = process.env.RUN || ids.find((i) => i.startsWith('overfit')) || ids[0];
  await page.goto(`${base}/#/run/${encodeURIComponent(runId)}`);
  await page.waitFor('[data-testid="loss-chart"][data-epochs]');
  await sleep(2500);
  console.log('epoch-count', await page.text('[data-testid="epoch-count"]'), 'action', await page.text('[data-testid="recommendation-action"]'));
  await page.shot(join(outDir, `dashboard-run${suffix}.png`), true);
  const cmp = (process.env.COMPARE || '').split(',').filter(Boolean);
  const chosen = cmp.length ? cmp : ids.filter((i) => !i.startsWith('long')).slice(0, 3);
  await page.goto(`${base}/#/compare?${chosen.map((i) => `run=${encodeURIComponent(i)}`).join('&')}`);
  await page.waitFor('[data-testid="compare-chart"]');
  await sleep(2500);
  await page.shot(join(outDir, `dashboard-compare${suffix}.png`));
  if (process.env.LONG) {
    const t0 = Date.now();
    await page.goto(`${base}/#/run/${encodeURIComponent(process.env.LONG)}`);
    await page.waitFor('[data-testid="loss-chart"][data-epochs]');
    console.log('1,000-epoch run: view ready in', Date.now() - t0, 'ms; epochs held', await page.evaluate(`document.querySelector('[data-testid="loss-chart"]').dataset.epochs`));
    await sleep(1500);
    console.log('mean frame with all six charts redrawn (ms)', await page.evaluate(`(async () => {
      const t = performance.now();
      for (let i = 0; i < 60; i++) { window.dispatchEvent(new Event('trainwatch-theme')); await new Promise(r => requestAnimationFrame(r)); }
      return ((performance.now() - t) / 60).toFixed(2); })()`));
    await page.shot(join(outDir, `dashboard-long${suffix}.png`), true);
  }
  console.log('console errors:', page.errors.length ? page.errors : 'none');
} finally {
  page.close();
}
