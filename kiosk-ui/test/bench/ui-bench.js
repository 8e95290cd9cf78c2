/**
 * The counter UI's browser benchmark (printed figures, not assertions), against the real kiosk
 * with the virtual readers (see ../e2e/harness.js):
 * - card inserted → member panel painted at the till, median and p95 over UI_BENCH_INSERTIONS
 *   (default 60) insertions of saved cards through the demo tray at T01; measured from the
 *   reader's `card_inserted` event (the card seen by the reader) and, beside it, from the
 *   tray call (which adds pcscd's polling of the virtual reader, up to 400 ms);
 * - first load of the checkout screen to interactive (cold cache, session already open);
 * - gzipped size of what the checkout screen loads, and of the whole UI.
 *
 * Run: `npm run bench` in kiosk-ui/ (KIOSK_BIN picks the binary; default target/release).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { browser, openWorkstation, startKiosk, UI_DIR } from '../e2e/harness.js';

const INSERTIONS = Number(process.env.UI_BENCH_INSERTIONS ?? 60);
const LOADS = Number(process.env.UI_BENCH_LOADS ?? (INSERTIONS < 20 ? 2 : 7));
const PANEL = '[data-testid="member-panel"]';
const GOALS = { median: 150, p95: 300, load: 1000, checkoutKb: 60, wholeKb: 250 };

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const ms = (v) => `${v.toFixed(0)} ms`;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const gz = (file) => gzipSync(readFileSync(file)).length;

/** Reader events of `workstation` as they reach a client (the server's SSE stream). */
function followEvents(kiosk, token, workstation) {
  const waiting = [];
  const stop = new AbortController();
  (async () => {
    const answer = await fetch(`${kiosk.url}/api/readers/events`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: stop.signal,
    });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of answer.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const name = /^event: ?(.*)$/m.exec(block)?.[1];
        const data = /^data: ?(.*)$/m.exec(block)?.[1];
        let payload = null;
        try {
          payload = data ? JSON.parse(data) : null;
        } catch {
          payload = null;
        }
        const kind = name ?? payload?.event;
        if (payload?.workstation !== workstation) continue;
        const at = Date.now();
        for (const w of waiting.filter((x) => x.kind === kind)) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve(at);
        }
      }
    }
  })().catch(() => {});
  return {
    next: (kind) => new Promise((resolve) => waiting.push({ kind, resolve })),
    stop: () => stop.abort(),
  };
}

async function insertionLatency(kiosk) {
  const cards = [await kiosk.issueCard({ spend: '6500.00' }), await kiosk.issueCard({ spend: '12000.00' })]
    .map((c) => c.card_number);
  const cashier = await kiosk.addStaff('cashier');
  const { page } = await openWorkstation(kiosk, 'T01', { staff: cashier.staff_number, pin: cashier.pin });
  await page.locator('.member-panel').first().waitFor({ timeout: 15_000 });
  const events = followEvents(kiosk, await kiosk.supervisorAt('T01'), 'T01');
  const fromReader = [];
  const fromTray = [];
  // One insertion not counted: the first card read warms the server's and the page's paths.
  for (let i = -1; i < INSERTIONS; i += 1) {
    const card = cards[(i + 2) % 2];
    await page.evaluate(([selector, number]) => {
      window.benchPainted = new Promise((resolve) => {
        const wanted = `${selector}[data-card="${number}"]`;
        const painted = () => requestAnimationFrame(() => resolve(performance.timeOrigin + performance.now()));
        const watch = new MutationObserver(() => {
          if (document.querySelector(wanted)) {
            watch.disconnect();
            painted();
          }
        });
        watch.observe(document.body, { subtree: true, childList: true, attributes: true });
      });
    }, [PANEL, card]);
    const seen = events.next('card_inserted');
    const start = Date.now();
    await kiosk.tray.insert('T01', card, { settle: false });
    const paintedAt = await page.evaluate(() => window.benchPainted);
    const seenAt = await seen;
    if (i >= 0) {
      fromReader.push(paintedAt - seenAt);
      fromTray.push(paintedAt - start);
    }
    await kiosk.tray.remove('T01');
  }
  events.stop();
  await page.close();
  return { fromReader, fromTray };
}

async function firstLoad(kiosk) {
  const cashier = await kiosk.addStaff('cashier');
  const b = await browser();
  const times = [];
  const loaded = new Set();
  for (let i = 0; i < LOADS; i += 1) {
    const token = await kiosk.signIn(cashier.staff_number, cashier.pin, 'T01');
    const context = await b.newContext({ viewport: { width: 1280, height: 800 } });
    kiosk.contexts.add(context);
    // A session already open in this tab (as after a reload): the page goes straight to work.
    await context.addInitScript((t) => sessionStorage.setItem('kiosk.session', t), token);
    const page = await context.newPage();
    page.on('response', (r) => {
      const u = new URL(r.url());
      if (!u.pathname.startsWith('/api/')) loaded.add(u.pathname);
    });
    await page.goto(`${kiosk.url}/?workstation=T01`);
    // Interactive: the checkout screen's first field takes typing.
    const field = page.locator('section.screen:not([hidden]) input:not([disabled])').first();
    await field.waitFor({ timeout: 15_000 });
    await field.focus();
    times.push(await page.evaluate(() => performance.now()));
    await context.close();
    kiosk.contexts.delete(context);
  }
  return { times, loaded: [...loaded] };
}

/** The file an asset path is served from (see src/http/ui.rs). */
function servedFile(urlPath) {
  if (urlPath === '/' || urlPath === '/index.html') return path.join(UI_DIR, 'index.html');
  if (urlPath.startsWith('/app/')) return path.join(UI_DIR, urlPath);
  if (urlPath.startsWith('/vendor/')) return path.join(UI_DIR, 'node_modules', urlPath.slice('/vendor/'.length));
  return null;
}

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

function sizes(loaded) {
  const checkoutFiles = loaded.map(servedFile).filter(Boolean);
  const html = readFileSync(path.join(UI_DIR, 'index.html'), 'utf8');
  const importMap = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(html)[1]);
  const vendor = Object.values(importMap.imports).map(servedFile);
  const whole = [path.join(UI_DIR, 'index.html'), ...walk(path.join(UI_DIR, 'app')), ...vendor];
  const sum = (files) => [...new Set(files)].reduce((acc, f) => acc + gz(f), 0);
  return { checkout: sum(checkoutFiles), checkoutFiles: checkoutFiles.length, whole: sum(whole), wholeFiles: whole.length };
}

const kiosk = await startKiosk();
try {
  const { fromReader, fromTray } = await insertionLatency(kiosk);
  const load = await firstLoad(kiosk);
  const size = sizes(load.loaded);
  const row = (what, value, goal) => console.log(`  ${what.padEnd(58)} ${value.padStart(10)}   goal ${goal}`);
  console.log(`\ncounter UI bench (${INSERTIONS} insertions, ${LOADS} cold loads; ${kiosk.url})`);
  row('card inserted → member panel painted, median', ms(percentile(fromReader, 50)), `≤ ${GOALS.median} ms`);
  row('card inserted → member panel painted, p95', ms(percentile(fromReader, 95)), `≤ ${GOALS.p95} ms`);
  row('  (from the tray call, incl. pcscd polling vpcd) median', ms(percentile(fromTray, 50)), '—');
  row('  (from the tray call, incl. pcscd polling vpcd) p95', ms(percentile(fromTray, 95)), '—');
  row('first load of the checkout screen to interactive, median', ms(percentile(load.times, 50)), `≤ ${GOALS.load} ms`);
  row(`checkout screen's assets, gzipped (${size.checkoutFiles} files)`, kb(size.checkout), `≤ ${GOALS.checkoutKb} KB`);
  row(`whole UI, gzipped (${size.wholeFiles} files)`, kb(size.whole), `≤ ${GOALS.wholeKb} KB`);
} finally {
  await kiosk.stop();
}
