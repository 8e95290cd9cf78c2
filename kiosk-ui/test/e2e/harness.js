/**
 * The end-to-end harness: the real kiosk binary in a temp folder (demo data, a supervisor with
 * a random PIN, the spool printer), a PRIVATE pcscd with vpcd readers for the lounge, the desk
 * and till T01 plus the demo card tray for all three, and Debian's chromium driven by
 * playwright-core, with guards (console errors, failed requests, requests off the kiosk's
 * origin), an axe-core check and screenshots. A missing piece FAILS with what to install;
 * nothing here skips. Only processes started here are stopped here.
 *
 *   const kiosk = await startKiosk();
 *   const { page, problems } = await openWorkstation(kiosk, 'T01', { lang: 'en' });
 *   await kiosk.tray.insert('T01', cardNumber);
 *   await checkAccessibility(page);
 *   await screenshot(page, 'checkout-member');
 *   assertClean(problems);
 *   await kiosk.stop();
 */
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, rmSync, statSync, mkdtempSync, openSync, closeSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** kiosk-ui/ */
export const UI_DIR = path.resolve(here, '../..');
/** The repository root. */
export const REPO = path.resolve(UI_DIR, '..');
export const SCREENSHOT_DIR = path.join(REPO, 'target/ui-screenshots');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const CJK_FONTS = ['/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'];

/** The workstations with a reader and a tray slot, and the PC/SC names pcscd gives them:
 * one reader.conf entry (FRIENDLYNAME "Virtual PCD") gives "… 00 00" and "… 00 01" on
 * ports p and p+1; a second entry needs another FRIENDLYNAME (pcscd would name it "Virtual
 * PCD 00 00" again) and its own copy of the driver, and gives "Virtual PCD Till 00 00" on
 * port p+2 ("… Till 00 01" on p+3 is unused). */
export const READERS = [
  { workstation: 'lounge', name: 'Virtual PCD 00 00', slot: 0 },
  { workstation: 'desk', name: 'Virtual PCD 00 01', slot: 1 },
  { workstation: 'T01', name: 'Virtual PCD Till 00 00', slot: 2 },
];

const live = new Set();
// ---------------------------------------------------------------- prerequisites

function need(ok, what, remedy) {
  if (!ok) throw new Error(`${what} is missing: ${remedy} (bash scripts/test-all.sh installs and builds what is missing)`);
}

/** The kiosk binary: KIOSK_BIN, else target/release/member-kiosk; target/debug only when
 * KIOSK_ALLOW_DEBUG=1 (the test command always runs the release binary). */
export function kioskBinary() {
  if (process.env.KIOSK_BIN) {
    need(existsSync(process.env.KIOSK_BIN), `KIOSK_BIN=${process.env.KIOSK_BIN}`, 'build the kiosk with `cargo build --release --locked`');
    return process.env.KIOSK_BIN;
  }
  const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(REPO, 'target');
  const release = path.join(targetDir, 'release/member-kiosk');
  if (existsSync(release)) return release;
  const debug = path.join(targetDir, 'debug/member-kiosk');
  if (process.env.KIOSK_ALLOW_DEBUG === '1' && existsSync(debug)) return debug;
  throw new Error(`${release} is missing: build it with \`cargo build --release --locked\` `
    + '(or set KIOSK_BIN; KIOSK_ALLOW_DEBUG=1 lets a debug build stand in while developing)');
}

function hasCjkFont() {
  try {
    if (execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).trim()) return true;
  } catch {
    // No fontconfig tools: look for the packages' files.
  }
  return CJK_FONTS.some((f) => existsSync(f));
}

/** Fails with what to install when chromium, the CJK font, pcscd, vpcd or unshare is missing. */
export function checkPrerequisites() {
  need(existsSync(CHROMIUM), CHROMIUM, 'install the Debian package `chromium`');
  need(hasCjkFont(), 'a CJK font (Chinese would show as boxes)', 'install the Debian package `fonts-wqy-microhei` (or `fonts-noto-cjk`)');
  need(existsSync('/usr/sbin/pcscd'), '/usr/sbin/pcscd', 'install the Debian package `pcscd`');
  need(existsSync(VPCD_DRIVER), VPCD_DRIVER, 'install the Debian package `vsmartcard-vpcd`');
  need(existsSync('/usr/bin/unshare') && existsSync('/usr/bin/setpriv'), 'unshare/setpriv', 'install the Debian package `util-linux`');
  need(existsSync(path.join(UI_DIR, 'node_modules/playwright-core')), 'kiosk-ui/node_modules', 'run `npm ci` in kiosk-ui/');
  assert.equal(process.getuid?.(), 0, 'the e2e tests start a private pcscd (unshare, mount): run them as root');
}

// ---------------------------------------------------------------- processes and ports

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A base port p with p..p+3 free (vpcd listens on one port per reader). */
async function freePortRun(count) {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    // Below the ephemeral range (32768+), where outgoing connections take their ports.
    const base = randomInt(20000, 32700 - count);
    const checks = await Promise.all(Array.from({ length: count }, (_, i) => portIsFree(base + i)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error('no run of free ports for vpcd');
}

/** Ports in LISTEN state (from /proc/net/tcp{,6}). */
function listeningPorts() {
  const ports = new Set();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') ports.add(parseInt(cols[1].split(':')[1], 16));
    }
  }
  return ports;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, check, timeoutMs, logFile) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) {
      let tail = '';
      if (logFile && existsSync(logFile)) tail = `\n--- ${logFile} (end):\n${readFileSync(logFile, 'utf8').slice(-3000)}`;
      throw new Error(`${what} did not happen within ${timeoutMs} ms${tail}`);
    }
    await sleep(50);
  }
}

/** Starts `command` so that it dies with this process (SIGKILL via setpriv --pdeathsig). */
function startProcess(command, args, { env, log, cwd }) {
  const fd = openSync(log, 'a');
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], {
    env, cwd, stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  child.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ error }));
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

async function stopProcess(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const done = await Promise.race([child.exited, sleep(graceMs).then(() => null)]);
  if (!done) {
    child.kill('SIGKILL');
    await child.exited;
  }
}

// Whatever ends this test process, the kiosks and pcscds it started go with it.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function run(bin, args, { env, input }) {
  try {
    return execFileSync(bin, args, { env, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`${path.basename(bin)} ${args.join(' ')} failed: ${e.stderr || e.stdout || e.message}`);
  }
}

/** A PIN the kiosk accepts (6 digits, not one repeated digit, not a run). */
export function randomPin() {
  for (;;) {
    const pin = String(randomInt(100000, 1000000));
    const steps = [...pin].slice(1).map((d, i) => Number(d) - Number(pin[i]));
    if (!steps.every((s) => s === 0) && !steps.every((s) => s === 1) && !steps.every((s) => s === -1)) return pin;
  }
}

// ---------------------------------------------------------------- the kiosk

const STAFF_PREFIX = { cashier: 'C', lounge_clerk: 'L', desk_clerk: 'D', supervisor: 'S' };
const STAFF_NAME = { cashier: '收银员', lounge_clerk: '贵宾厅专员', desk_clerk: '补卡台专员', supervisor: '值班主管' };

/**
 * Starts a kiosk. Options: `members` (demo members, default 50), `env` (extra KIOSK_* vars,
 * e.g. `{KIOSK_SESSION_IDLE_MINUTES: '1'}`), `tills` (default ['T01']), `trayRelay`
 * (`async (workstation, vpcdPort) => port | undefined`: the tray's cards for that workstation
 * connect to this port instead of vpcd's, e.g. a relay that pulls the card mid-write).
 */
export async function startKiosk(options = {}) {
  checkPrerequisites();
  const bin = kioskBinary();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiosk-e2e-'));
  const log = path.join(dir, 'kiosk.log');
  const vpcdBase = await freePortRun(4);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const tills = options.tills ?? ['T01'];

  // The private pcscd: its own reader.conf folder and its own /run/pcscd (a mount namespace).
  const pcscRun = path.join(dir, 'pcscd/run');
  const pcscConf = path.join(dir, 'pcscd/conf');
  mkdirSync(pcscRun, { recursive: true });
  mkdirSync(pcscConf, { recursive: true });
  mkdirSync('/run/pcscd', { recursive: true });
  const entry = (name, p, driver) => `FRIENDLYNAME "${name}"\nDEVICENAME /dev/null:0x${p.toString(16).toUpperCase()}\n`
    + `LIBPATH ${driver}\nCHANNELID 0x${p.toString(16).toUpperCase()}\n`;
  // Two entries on one driver file share vpcd's globals and no card is ever seen: the
  // second entry loads its own copy of the driver.
  const tillDriver = path.join(dir, 'pcscd/libifdvpcd-till.so');
  copyFileSync(VPCD_DRIVER, tillDriver);
  writeFileSync(path.join(pcscConf, 'vpcd'), entry('Virtual PCD', vpcdBase, VPCD_DRIVER));
  writeFileSync(path.join(pcscConf, 'vpcd-till'), entry('Virtual PCD Till', vpcdBase + 2, tillDriver));
  const pcscd = startProcess('unshare', ['--mount', '--propagation', 'private', 'sh', '-c',
    `mount --bind ${pcscRun} /run/pcscd && exec /usr/sbin/pcscd -f ${process.env.PCSCD_DEBUG ? '-d' : ''} -c ${pcscConf}`], { env: process.env, log: path.join(dir, 'pcscd.log') });
  const socket = path.join(pcscRun, 'pcscd.comm');
  let server = null;
  const cleanup = async () => {
    await stopProcess(server);
    await stopProcess(pcscd);
    if (!process.env.KEEP_E2E_DIR) rmSync(dir, { recursive: true, force: true });
  };
  let kiosk;
  try {
    await until('the private pcscd', () => {
      if (pcscd.exitCode !== null) throw new Error(`pcscd exited: ${readFileSync(path.join(dir, 'pcscd.log'), 'utf8')}`);
      const ports = listeningPorts();
      return existsSync(socket) && [0, 1, 2, 3].every((i) => ports.has(vpcdBase + i));
    }, 10_000, path.join(dir, 'pcscd.log'));

    // A tray slot's card may reach vpcd through a relay the test runs (`trayRelay`).
    const trays = [];
    for (const r of READERS) {
      const relayPort = await options.trayRelay?.(r.workstation, vpcdBase + r.slot);
      trays.push({ r, address: `127.0.0.1:${relayPort ?? vpcdBase + r.slot}` });
    }
    const toml = [
      '# Written by kiosk-ui/test/e2e/harness.js',
      'card_reader = "pcsc"',
      `tills = [${tills.map((t) => JSON.stringify(t)).join(', ')}]`,
      `demo_cards_dir = ${JSON.stringify(path.join(dir, 'cards'))}`,
      ...READERS.flatMap((r) => ['', '[[readers]]', `name = "${r.name}"`, `workstation = "${r.workstation}"`]),
      ...trays.flatMap(({ r, address }) => ['', '[[demo_tray]]', `workstation = "${r.workstation}"`, `vpcd = "${address}"`]),
      ...READERS.flatMap((r) => ['', '[[printers]]', `workstation = "${r.workstation}"`, 'driver = "spool"']),
      '',
    ].join('\n');
    writeFileSync(path.join(dir, 'kiosk.toml'), toml);
    const env = {
      ...process.env,
      RUST_LOG: process.env.RUST_LOG ?? 'warn',
      KIOSK_CONFIG: path.join(dir, 'kiosk.toml'),
      KIOSK_DATABASE: path.join(dir, 'kiosk.db'),
      KIOSK_KEY_FILE: path.join(dir, 'issuer-key.toml'),
      KIOSK_SPOOL_DIR: path.join(dir, 'spool'),
      KIOSK_LISTEN: `127.0.0.1:${port}`,
      KIOSK_UI_DIR: UI_DIR,
      // Tests sign in and look cards up far more often than a counter does.
      KIOSK_LOGIN_ATTEMPTS_PER_MINUTE: '100000',
      KIOSK_LOOKUPS_PER_MINUTE: '100000',
      PCSCLITE_CSOCK_NAME: socket,
      ...(options.env ?? {}),
    };
    const seeded = run(bin, ['demo-data', '--members', String(options.members ?? 50)], { env: { ...env, RUST_LOG: 'error' } });
    // Log lines share stdout with the summary (pretty JSON: from a line "{" to a line "}").
    const lines = seeded.split('\n');
    const first = lines.indexOf('{');
    const demo = JSON.parse(lines.slice(first, lines.indexOf('}', first) + 1).join('\n'));
    // randomPin() draws only PINs the kiosk accepts (no run, no repeat).
    const supervisor = { staff_number: 'S001', pin: randomPin() };
    run(bin, ['bootstrap-supervisor', '--staff-number', 'S001', '--name', '演示主管'], { env: { ...env, RUST_LOG: 'error' }, input: `${supervisor.pin}\n` });
    server = startProcess(bin, ['serve'], { env, log, cwd: dir });
    await until('the kiosk answering /api/store', async () => {
      if (server.exitCode !== null) throw new Error(`the kiosk exited (${server.exitCode}): ${readFileSync(log, 'utf8').slice(-3000)}`);
      try {
        return (await fetch(`${url}/api/store`)).ok;
      } catch {
        return false;
      }
    }, 30_000, log);
    kiosk = makeKiosk({ url, dir, log, supervisor, demo, cleanup, vpcdBase });
    for (const r of READERS) await kiosk.waitForReader(r.workstation, `reader "${r.name}" connected`, (s) => s?.connected);
  } catch (e) {
    if (kiosk) await kiosk.stop();
    else await cleanup();
    throw e;
  }
  return kiosk;
}

function makeKiosk({ url, dir, log, supervisor, demo, cleanup, vpcdBase }) {
  const supervisorTokens = new Map();
  let staffSeq = 100;
  let receiptSeq = 0;
  let issued = 0;
  const contexts = new Set();

  async function api(method, apiPath, body, { token, headers = {} } = {}) {
    const init = { method, headers: { accept: 'application/json', ...headers } };
    if (token) init.headers.authorization = `Bearer ${token}`;
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const answer = await fetch(`${url}${apiPath}`, init);
    const text = await answer.text();
    let parsed = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON (a preview, a CSV): the text.
    }
    return { status: answer.status, body: parsed };
  }

  async function signIn(staffNumber, pin, workstation) {
    const r = await api('POST', '/api/sessions', { staff_number: staffNumber, pin, workstation });
    assert.equal(r.status, 201, `sign-in of ${staffNumber} at ${workstation}: ${JSON.stringify(r.body)}`);
    return r.body.token;
  }

  /** The supervisor's session at `workstation` (the tray and readers serve their own workstation). */
  async function supervisorAt(workstation) {
    if (!supervisorTokens.has(workstation)) {
      supervisorTokens.set(workstation, await signIn(supervisor.staff_number, supervisor.pin, workstation));
    }
    return supervisorTokens.get(workstation);
  }

  /** `api` as the supervisor at `workstation`, signing in again if the session ended. */
  async function asSupervisor(workstation, method, apiPath, body, opts = {}) {
    let r = await api(method, apiPath, body, { ...opts, token: await supervisorAt(workstation) });
    if (r.status === 401) {
      supervisorTokens.delete(workstation);
      r = await api(method, apiPath, body, { ...opts, token: await supervisorAt(workstation) });
    }
    return r;
  }

  async function addStaff(role, { name } = {}) {
    const prefix = STAFF_PREFIX[role];
    assert.ok(prefix, `a store role: ${Object.keys(STAFF_PREFIX).join(', ')}`);
    staffSeq += 1;
    const account = { staff_number: `${prefix}${staffSeq}`, pin: randomPin() };
    const r = await asSupervisor('back-office', 'POST', '/api/staff', {
      staff_number: account.staff_number, name: name ?? `${STAFF_NAME[role]}${staffSeq}`, role, pin: account.pin,
    });
    assert.equal(r.status, 201, `add ${role}: ${JSON.stringify(r.body)}`);
    return account;
  }

  /** The reader status at `workstation` (GET /api/readers). */
  async function readerAt(workstation) {
    const r = await asSupervisor(workstation, 'GET', '/api/readers');
    assert.equal(r.status, 200, `readers: ${JSON.stringify(r.body)}`);
    return r.body.find((s) => s.workstation === workstation);
  }

  /** Waits until the kiosk's reader monitor sees `workstation`'s reader in the state `ok(status)`. */
  async function waitForReader(workstation, what, ok, timeoutMs = 10_000) {
    await until(`${what} at ${workstation}`, async () => ok(await readerAt(workstation)), timeoutMs, log);
  }

  async function trayCall(workstation, action, body) {
    const r = await asSupervisor(workstation, 'POST', `/api/demo/tray/${encodeURIComponent(workstation)}/${action}`, body);
    assert.equal(r.status, 200, `tray ${action} at ${workstation}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  // By default a tray call returns once the kiosk has seen it: after an insert, its own read
  // of the card is done (so a test's next card call does not race it); after a removal, the
  // reader is empty. `{settle: false}` returns as soon as the tray took it (the benchmark).
  const inserted = async (ws, card, { settle = true } = {}) => {
    const view = await trayCall(ws, 'insert', { card });
    if (settle) await waitForReader(ws, 'the card read', (s) => s?.card_present && s.last_check);
    return view;
  };
  const tray = {
    insertBlank: (ws, opts) => inserted(ws, 'blank', opts),
    insert: (ws, cardNumber, opts) => inserted(ws, cardNumber, opts),
    remove: async (ws, { settle = true } = {}) => {
      const view = await trayCall(ws, 'remove');
      if (settle) await waitForReader(ws, 'the card removed', (s) => s && !s.card_present);
      return view;
    },
    view: async () => (await asSupervisor('back-office', 'GET', '/api/demo/tray')).body,
  };

  /** A guest cash sale at T01 (a receipt a newcomer can enrol with); its receipt number. */
  async function guestSale(amount = '6500.00') {
    receiptSeq += 1;
    const receiptNo = `E2E-${process.pid}-${receiptSeq}`;
    const r = await asSupervisor('T01', 'POST', '/api/sales', {
      receipt_no: receiptNo, till_id: 'T01',
      lines: [{ sku: 'E2E-GOODS', class: 'regular', unit_price: amount, quantity: 1 }],
      tenders: [{ kind: 'cash', amount }],
    });
    assert.equal(r.status, 201, `guest sale: ${JSON.stringify(r.body)}`);
    return receiptNo;
  }

  /**
   * Enrols a new member at the lounge (a blank card in the lounge tray, written by the
   * enrolment), then takes the card out: it is on the tray's table by its number, ready for
   * `tray.insert(ws, card_number)`. `spend` picks the tier (6500 → Gold); `birthDate`
   * (YYYY-MM-DD) default 30 years ago.
   */
  async function issueCard({ spend = '6500.00', birthDate, name = '测试会员' } = {}) {
    const receipt = await guestSale(spend);
    const birth = birthDate ?? `${new Date().getFullYear() - 30}-05-17`;
    issued += 1;
    const phone = `139${String(randomInt(0, 1e8)).padStart(8, '0')}`;
    await tray.insertBlank('lounge');
    const r = await asSupervisor('lounge', 'POST', '/api/members', {
      applicant: {
        name, sex: 'female', birth_date: birth, phone,
        // The demo's members are 18 and a few months old: a number of our own per card.
        id_document: { kind: 'prc_resident', number: prcId('440106', birth, issued) },
      },
      receipts: [receipt],
    });
    await tray.remove('lounge');
    assert.equal(r.status, 201, `enrolment: ${JSON.stringify(r.body)}`);
    return { card_number: r.body.card.card_number, member_id: r.body.member_id, tier: r.body.tier, enrolment: r.body };
  }

  const kiosk = {
    url,
    dir,
    log,
    vpcdBase,
    supervisor,
    /** demo-data's summary: `showcase` [[card number, what it shows]], `receipts` [[no, cash]]. */
    demo,
    /** The showcase cards: [{card_number, what}] (ledger only: no virtual card file). */
    cards: demo.showcase.map(([card_number, what]) => ({ card_number, what })),
    api,
    signIn,
    supervisorAt,
    asSupervisor,
    addStaff,
    readerAt,
    waitForReader,
    tray,
    guestSale,
    issueCard,
    contexts,
    async stop() {
      for (const c of contexts) await c.close().catch(() => {});
      contexts.clear();
      await cleanup();
      liveKiosks.delete(kiosk);
      if (liveKiosks.size === 0) await closeBrowser();
    },
  };
  liveKiosks.add(kiosk);
  return kiosk;
}

const liveKiosks = new Set();

/** A valid PRC resident ID number (GB 11643 check character) for `birth` (YYYY-MM-DD). */
export function prcId(area, birth, sequence) {
  const body = `${area}${birth.replaceAll('-', '')}${String(sequence % 1000).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((acc, d, i) => acc + Number(d) * weights[i], 0);
  return body + '10X98765432'[sum % 11];
}

// ---------------------------------------------------------------- the browser

let browserPromise = null;

/** The shared headless chromium (launched on first use). */
export async function browser() {
  if (!browserPromise) {
    const { chromium } = await import('playwright-core');
    browserPromise = chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  }
  return browserPromise;
}

export async function closeBrowser() {
  if (!browserPromise) return;
  const b = await browserPromise.catch(() => null);
  browserPromise = null;
  await b?.close().catch(() => {});
}

/**
 * Records what a clean page never does: console errors, uncaught exceptions, failed requests,
 * server errors (5xx), and any request off the kiosk's origin. An API refusal (4xx) is the UI
 * working as designed (it shows the refusal), so chromium's "Failed to load resource" line for
 * it is not a problem; an asset answering 4xx is.
 */
export function guard(page, origin) {
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const where = msg.location()?.url ?? '';
    const status = /status of (\d{3})/.exec(text)?.[1];
    if (status && Number(status) < 500 && where.startsWith(`${origin}/api/`)) return;
    problems.push({ kind: 'console', text, url: where });
  });
  page.on('pageerror', (e) => problems.push({ kind: 'pageerror', text: String(e?.stack ?? e) }));
  page.on('request', (r) => {
    const u = r.url();
    if (u.startsWith('data:') || u.startsWith('blob:')) return;
    if (new URL(u).origin !== origin) problems.push({ kind: 'off-origin', text: `${r.method()} ${u}` });
  });
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    // The UI aborts its own event stream (sign-out, idle lock) and superseded calls.
    if (why === 'net::ERR_ABORTED') return;
    problems.push({ kind: 'requestfailed', text: `${r.method()} ${r.url()}: ${why}` });
  });
  page.on('response', (r) => {
    if (r.status() >= 500) problems.push({ kind: 'server-error', text: `${r.status()} ${r.request().method()} ${r.url()}` });
  });
  return problems;
}

/** Fails the test on any recorded problem, except those matching one of `allow` (RegExps). */
export function assertClean(problems, { allow = [] } = {}) {
  const left = problems.filter((p) => !allow.some((re) => re.test(p.text)));
  assert.deepEqual(left, [], `the page had problems:\n${left.map((p) => `  [${p.kind}] ${p.text}`).join('\n')}`);
}

/**
 * Opens `<url>/?workstation=<id>` in a fresh browser context and signs in through the UI
 * (keyboard: type, Enter). Options: `staff`/`pin` (default the supervisor), `lang` ('zh' |
 * 'en', remembered for the workstation before the page loads; default: the page's own),
 * `signIn: false` to stop at the sign-in form, `viewport`, `context` (reuse one, e.g. to keep
 * localStorage across pages), `clock: true` to install playwright's clock before the page
 * loads (then `page.clock.fastForward('00:31')` moves the page's time: the idle lock).
 * Returns `{page, context, browser, problems}`.
 */
export async function openWorkstation(kiosk, workstationId, options = {}) {
  const b = await browser();
  const context = options.context ?? await b.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  kiosk.contexts.add(context);
  const page = await context.newPage();
  const problems = guard(page, kiosk.url);
  if (options.clock) await page.clock.install();
  if (options.lang) {
    // The language remembered for the workstation before the app starts, unless the
    // operator has chosen one since (a later switch survives reloads).
    await context.addInitScript(([ws, lang]) => {
      const key = `kiosk.language.${ws}`;
      if (localStorage.getItem(key) === null) localStorage.setItem(key, lang);
    }, [workstationId, options.lang]);
  }
  await page.goto(`${kiosk.url}/?workstation=${encodeURIComponent(workstationId)}`);
  if (options.signIn !== false) {
    await signInThroughUi(page, options.staff ?? kiosk.supervisor.staff_number, options.pin ?? kiosk.supervisor.pin);
  }
  return { page, context, browser: b, problems };
}

/** Types staff number and PIN into the sign-in form, presses Enter, waits for the shell. */
export async function signInThroughUi(page, staff, pin) {
  const form = page.locator('form.sign-in');
  await form.waitFor();
  const number = form.locator('input[name=staff_number]');
  if (!(await number.getAttribute('readonly') !== null)) await number.fill(staff);
  await form.locator('input[name=pin]').fill(pin);
  await form.locator('input[name=pin]').press('Enter');
  const refusal = form.locator('.refusal');
  const outcome = await Promise.race([
    form.waitFor({ state: 'detached', timeout: 15_000 }).then(() => 'in'),
    refusal.waitFor({ timeout: 15_000 }).then(() => 'refused'),
  ]);
  if (outcome === 'refused') throw new Error(`sign-in of ${staff} refused: ${await refusal.textContent()}`);
}

// ---------------------------------------------------------------- accessibility, screenshots

const AXE_RULES = [
  'label', 'button-name', 'input-button-name', 'select-name', 'link-name', 'image-alt',
  'aria-roles', 'aria-allowed-role', 'aria-allowed-attr', 'aria-required-attr', 'aria-required-children',
  'aria-required-parent', 'aria-valid-attr', 'aria-valid-attr-value', 'aria-hidden-focus',
  'aria-command-name', 'aria-input-field-name', 'aria-progressbar-name', 'aria-toggle-field-name',
  'form-field-multiple-labels', 'duplicate-id-aria', 'nested-interactive', 'list', 'listitem',
  'td-headers-attr', 'th-has-data-cells', 'html-has-lang', 'html-lang-valid', 'document-title',
];
let axeSource = null;

/**
 * axe-core on the page as it is: fails on any violation of the label and role rules above;
 * colour contrast is measured and returned (`contrast`: the number of failing elements), not
 * asserted (it depends on font rendering). The page's CSP forbids inline scripts, so axe is
 * evaluated through the DevTools protocol (which CSP does not govern), not a script tag.
 */
export async function checkAccessibility(page, { exclude = [] } = {}) {
  axeSource ??= readFileSync(path.join(UI_DIR, 'node_modules/axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const result = await page.evaluate(async ([rules, excluded]) => {
    const context = excluded.length ? { include: [document], exclude: excluded.map((s) => [s]) } : document;
    const strict = await window.axe.run(context, { runOnly: { type: 'rule', values: rules }, resultTypes: ['violations'] });
    const contrast = await window.axe.run(context, { runOnly: { type: 'rule', values: ['color-contrast'] }, resultTypes: ['violations'] });
    const brief = (v) => ({ id: v.id, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) });
    return { violations: strict.violations.map(brief), contrast: contrast.violations.flatMap((v) => v.nodes).length };
  }, [AXE_RULES, exclude]);
  assert.deepEqual(result.violations, [], `accessibility violations:\n${result.violations
    .map((v) => `  ${v.id}: ${v.help} → ${v.targets.join(', ')}`).join('\n')}`);
  return result;
}

/** Saves `<repo>/target/ui-screenshots/<name>.png` (full page); the path. */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^A-Za-z0-9._-]/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The spool printer's jobs so far (`<job>.txt` previews), newest last. */
export function spooledSlips(kiosk) {
  const spool = path.join(kiosk.dir, 'spool');
  if (!existsSync(spool)) return [];
  return readdirSync(spool).filter((f) => f.endsWith('.txt'))
    .map((f) => ({ file: path.join(spool, f), text: readFileSync(path.join(spool, f), 'utf8'), at: statSync(path.join(spool, f)).mtimeMs }))
    .sort((a, b) => a.at - b.at);
}
