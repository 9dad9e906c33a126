// The browser scenario against a running metrics-api (through serve.py): a run streamed by feed.py appears
// live in the list, its epochs arrive live, the stream resumes after the network drops (no gap, no duplicate), the
// overfitting alert and the stop recommendation appear, the cancel dialog validates, closes on Esc, and cancels.
// It starts its own serve.py (port 18091) and restarts it mid-run to drop the event stream.
//   node --experimental-websocket dashboard/dev/live-check.mjs http://localhost:18080 out-dir
//   TRAINER=http://localhost:8081 node … (a real {"preset":"overfit","epochs":40} job instead of feed.py)
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, sleep } from './cdp.mjs';

const [api = 'http://localhost:18080', outDir = '.'] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
// DIRECT=1: the dashboard as metrics-api itself serves it (at /), no dev server; the stream-drop step is skipped.
const direct = process.env.DIRECT === '1';
const base = direct ? api : 'http://localhost:18091';
const trainer = process.env.TRAINER; // e.g. http://localhost:8081: a real preset job instead of feed.py
// The token the page signs in with (the sign-in link ./run prints) and this script's own API calls send.
const TOKEN = process.env.TRAINWATCH_TOKEN || '';
const auth = TOKEN ? { authorization: `Bearer ${TOKEN}` } : {};
const slow = trainer ? 6 : 1; // a real job's epochs take seconds
const startProxy = () => spawn('python3', [join(here, 'serve.py'), '--port', '18091', '--api', api], { stdio: 'ignore' });
let proxy = direct ? null : startProxy();
if (proxy) await sleep(800);
const sel = (s) => JSON.stringify(s);
const page = await launch();
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s]`, ...a);
let feeder;
try {
  await page.goto(TOKEN ? `${base}/#token=${encodeURIComponent(TOKEN)}` : `${base}/#/`);
  await page.waitFor('[data-testid="runs-table"] tbody tr');
  if (TOKEN && await page.evaluate(`location.hash.includes('token')`)) throw new Error('the token stayed in the address bar');
  if (TOKEN) log('signed in from the #token= link; the token left the address bar');
  // compare: tick two runs, the button enables, the overlay opens
  const two = await page.evaluate(`[...document.querySelectorAll('[data-testid="runs-table"] tbody tr')].slice(0, 2).map(tr => tr.dataset.runId)`);
  if (await page.evaluate(`!document.querySelector('[data-testid="compare-button"]').disabled`)) throw new Error('compare enabled with nothing ticked');
  for (const id of two) await page.click(`[data-testid="run-select-${id}"]`);
  await page.waitUntil(`!document.querySelector('[data-testid="compare-button"]').disabled`, 3000, 'compare to enable with 2 ticked');
  await page.click('[data-testid="compare-button"]');
  await page.waitFor('[data-testid="compare-chart"]');
  const rows = await page.evaluate(`document.querySelectorAll('[data-testid="compare-table"] tbody tr').length`);
  if (rows !== 2) throw new Error(`compare shows ${rows} runs`);
  log('compare of 2 ticked runs opened');
  await page.goto(`${base}/#/`);
  await page.waitFor('[data-testid="live-status"][data-state="live"]');
  let runId;
  if (trainer) { // a real training job on the trainer host
    const res = await fetch(`${trainer}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ preset: 'overfit', epochs: 40 }) });
    runId = (await res.json()).run_id;
    log('trainer job', res.status, runId);
  } else {
    feeder = spawn('python3', [join(here, 'feed.py'), '--api', api, '--only', 'overfit-mlp', '--live-epochs', '60', '--live-delay', '0.5']);
    runId = await new Promise((resolve) => feeder.stdout.once('data', (d) => resolve(String(d).trim().split('\n')[0])));
    log('feeding', runId);
  }
  await page.waitFor(`[data-testid="run-row-${runId}"]`, 20000 * slow);
  log('row appeared live in the runs list');
  await page.click(`[data-testid="run-row-${runId}"] [data-testid="run-link"]`);
  await page.waitFor('[data-testid="loss-chart"][data-epochs]');
  const count = `Number(document.querySelector('[data-testid="epoch-count"]').dataset.value)`;
  const first = await page.evaluate(count);
  await page.waitUntil(`${count} >= ${first + 3}`, 20000 * slow, 'epochs to arrive live');
  log('epochs arrive live:', first, '->', await page.evaluate(count));

  if (proxy) {
    proxy.kill('SIGTERM'); // drops the event stream mid-run; epochs keep being stored meanwhile
    await page.waitFor('[data-testid="live-status"]:not([data-state="live"])');
    log('server gone:', await page.evaluate(`document.querySelector('[data-testid="live-status"]').dataset.state`), 'at epoch count', await page.evaluate(count));
    await sleep(4000 * slow);
    proxy = startProxy();
    await page.waitFor('[data-testid="live-status"][data-state="live"]', 30000);
    log('stream resumed at epoch count', await page.evaluate(count));
  }

  await page.waitFor('[data-testid="alert-overfitting"]', 60000 * slow);
  log('overfitting alert at epoch', await page.evaluate(count));
  await page.waitFor('[data-testid="recommendation-action"][data-action="stop"]', 60000 * slow);
  log('stop recommended:', await page.text('[data-testid="recommendation-reason"]'));
  const chart = `document.querySelector('[data-testid="loss-chart"]').dataset`;
  const held = await page.evaluate(`[${chart}.epochs, ${chart}.lastEpoch]`);
  if (Number(held[0]) !== Number(held[1]) + 1) throw new Error(`curves hold ${held[0]} epochs up to epoch ${held[1]}: a gap or a duplicate`);
  log('curves hold epochs 0..' + held[1], 'contiguous, no duplicate');
  await page.shot(join(outDir, 'live-run-stop.png'), true);

  // keyboard: crosshair on the loss chart
  await page.evaluate(`document.querySelector('[data-testid="loss-chart"]').focus()`);
  await page.key('Home', 'Home', 36);
  await page.waitUntil(`document.querySelector('#loss-readout').textContent.startsWith('epoch 0 ')`, 3000, 'Home to move the crosshair to epoch 0');
  await page.key('ArrowRight', 'ArrowRight', 39);
  await page.waitUntil(`document.querySelector('#loss-readout').textContent.startsWith('epoch 1 ')`, 3000, 'ArrowRight to move it to epoch 1');
  log('keyboard crosshair:', await page.text('#loss-readout'));
  await page.key('Escape', 'Escape', 27);

  await page.click('[data-testid="cancel-button"]');
  await page.waitFor('[data-testid="cancel-dialog"][open]');
  const focused = await page.evaluate(`document.activeElement.dataset.testid`);
  if (focused !== 'cancel-reason') throw new Error(`dialog focus on ${focused}`);
  await page.click('[data-testid="cancel-confirm"]');
  await page.waitUntil(`document.querySelector('[data-testid="cancel-error"]').textContent.length > 0`, 3000, 'the reason error');
  if (!(await page.evaluate(`document.querySelector('[data-testid="cancel-dialog"]').open`))) throw new Error('dialog closed without a reason');
  log('empty reason refused:', await page.text('[data-testid="cancel-error"]'));
  await page.key('Escape', 'Escape', 27);
  await page.waitUntil(`!document.querySelector('[data-testid="cancel-dialog"]').open`, 3000, 'Esc to close the dialog');
  log('Esc closed the dialog; focus on', await page.evaluate(`document.activeElement.dataset.testid`));
  await page.click('[data-testid="cancel-button"]');
  await page.waitFor('[data-testid="cancel-dialog"][open]');
  await page.type('validation loss rising since the best epoch');
  await page.shot(join(outDir, 'live-cancel-dialog.png'));
  await page.click('[data-testid="cancel-confirm"]');
  await page.waitFor('[data-testid="run-status"][data-status="cancelling"], [data-testid="run-status"][data-status="cancelled"]', 10000);
  log('status after confirm:', await page.text('[data-testid="run-status"]'));
  await page.waitFor('[data-testid="run-status"][data-status="cancelled"]', 30000 * slow);
  log('status:', await page.text('[data-testid="run-status"]'), '| cancel info:', await page.text('[data-testid="cancel-info"]'));
  const server = await (await fetch(`${api}/api/v1/runs/${runId}`, { headers: auth })).json();
  const shown = await page.evaluate(count);
  if (shown !== server.epochs_recorded) throw new Error(`epoch-count ${shown} != server epochs_recorded ${server.epochs_recorded}`);
  log('epoch-count matches the server:', shown);
  await page.shot(join(outDir, 'live-run-cancelled.png'), true);

  // delete it from the dashboard: a confirmation whose focused button keeps the run, then the run page says it is gone
  await page.click('[data-testid="delete-button"]');
  await page.waitFor('[data-testid="delete-dialog"][open]');
  const deleteFocus = await page.evaluate(`document.activeElement.dataset.testid`);
  if (deleteFocus !== 'delete-dismiss') throw new Error(`delete dialog focus on ${deleteFocus}, not on the button that keeps the run`);
  await page.click('[data-testid="delete-confirm"]');
  await page.waitFor('[data-testid="run-deleted"]', 15000);
  const gone = await fetch(`${api}/api/v1/runs/${runId}`, { headers: auth });
  if (gone.status !== 404) throw new Error(`after the dashboard's delete GET /runs/${runId} answered ${gone.status}, not 404`);
  log('run deleted from the dashboard; the API answers', gone.status);
  console.log('console errors:', page.errors.length ? page.errors : 'none');
  console.log('RUN_ID', runId);
} finally {
  feeder?.kill('SIGTERM');
  proxy?.kill('SIGTERM');
  page.close();
}
