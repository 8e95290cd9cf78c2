// The shell every workstation shares: sign-in, the status bar (live reader state), the
// language switch remembered per workstation, the idle lock, and a role refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertClean, checkAccessibility, openWorkstation, screenshot, signInThroughUi, startKiosk,
} from './harness.js';

describe('shell', () => {
  let kiosk;
  before(async () => {
    kiosk = await startKiosk();
  });
  after(async () => {
    await kiosk?.stop();
  });

  for (const [workstation, kind] of [['T01', 'checkout'], ['lounge', 'lounge'], ['desk', 'desk'], ['back-office', 'back_office']]) {
    test(`sign-in at ${workstation} (${kind}); the status bar names staff, role, server, reader, printer`, async () => {
      const { page, problems } = await openWorkstation(kiosk, workstation, { lang: 'en' });
      const bar = page.locator('.status-bar');
      await bar.waitFor();
      await assertTextIncludes(bar.locator('.staff'), ['演示主管', 'Supervisor']);
      await assertTextIncludes(bar.locator('.server'), ['connected']);
      if (workstation !== 'back-office') assert.match(await bar.textContent(), /Printer/, 'the printer state is shown');
      const reader = bar.locator('.reader');
      if (workstation === 'back-office') {
        assert.equal(await reader.getAttribute('data-state'), 'none');
      } else {
        await page.locator('.status-bar .reader[data-state=empty]').waitFor({ timeout: 10_000 });
      }
      await checkAccessibility(page);
      await screenshot(page, `shell-${workstation}`);
      assertClean(problems);
      await page.close();
    });
  }

  test('the reader state follows the card live (no card → card present → no card)', async () => {
    const { page, problems } = await openWorkstation(kiosk, 'desk', { lang: 'en' });
    const reader = page.locator('.status-bar .reader');
    await page.locator('.status-bar .reader[data-state=empty]').waitFor({ timeout: 10_000 });
    await kiosk.tray.insertBlank('desk');
    await page.locator('.status-bar .reader[data-state=card]').waitFor({ timeout: 10_000 });
    assert.match(await reader.textContent(), /card present/);
    await screenshot(page, 'shell-reader-card-present');
    await kiosk.tray.remove('desk');
    await page.locator('.status-bar .reader[data-state=empty]').waitFor({ timeout: 10_000 });
    assertClean(problems);
    await page.close();
  });

  test('a cashier at the back office cannot open staff management, in the UI nor by the API', async () => {
    const cashier = await kiosk.addStaff('cashier');
    const { page, problems } = await openWorkstation(kiosk, 'back-office', { lang: 'en', staff: cashier.staff_number, pin: cashier.pin });
    await page.locator('.status-bar .staff').waitFor();
    await assertTextIncludes(page.locator('.status-bar .staff'), ['Cashier']);
    // No screen named for staff management, in the navigation or the page.
    assert.equal(await page.getByRole('button', { name: /staff/i }).count(), 0, 'no staff-management screen offered');
    assert.equal(await page.getByRole('region', { name: /staff/i }).count(), 0, 'no staff-management screen shown');
    await screenshot(page, 'shell-role-refused');
    const token = await kiosk.signIn(cashier.staff_number, cashier.pin, 'back-office');
    const answer = await kiosk.api('GET', '/api/staff', undefined, { token });
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
    assert.ok(answer.body.code, JSON.stringify(answer.body));
    assertClean(problems);
    await page.close();
  });

  test('language: 简体中文 by default, English when switched, remembered per workstation', async () => {
    const { page, context, problems } = await openWorkstation(kiosk, 'lounge', { signIn: false });
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    await page.locator('form.sign-in').waitFor();
    assert.match(await page.locator('form.sign-in h1').textContent(), /[\u4e00-\u9fff]/, 'the sign-in is in Chinese');
    await page.getByRole('group', { name: /语言|Language/ }).getByRole('button', { name: 'English' }).click();
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.match(await page.locator('form.sign-in h1').textContent(), /sign-in/i);
    await page.reload();
    await page.locator('form.sign-in').waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en', 'remembered after a reload');
    await signInThroughUi(page, kiosk.supervisor.staff_number, kiosk.supervisor.pin);
    await screenshot(page, 'shell-language-en');
    // Another workstation in the same browser keeps its own choice (the default).
    const desk = await context.newPage();
    await desk.goto(`${kiosk.url}/?workstation=desk`);
    await desk.locator('form.sign-in').waitFor();
    assert.equal(await desk.evaluate(() => document.documentElement.lang), 'zh-CN', 'the desk keeps 简体中文');
    // And back to 简体中文 at the lounge.
    await page.getByRole('group', { name: /语言|Language/ }).getByRole('button', { name: '简体中文' }).click();
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
    await checkAccessibility(page);
    assertClean(problems);
    await desk.close();
    await page.close();
  });
});

describe('idle lock', () => {
  let kiosk;
  before(async () => {
    kiosk = await startKiosk({ env: { KIOSK_SESSION_IDLE_MINUTES: '1' } });
  });
  after(async () => {
    await kiosk?.stop();
  });

  test('warns 30 s before, locks, and the same PIN unlocks with the typed work still there', async () => {
    const clerk = await kiosk.addStaff('desk_clerk');
    const { page, problems } = await openWorkstation(kiosk, 'desk', {
      lang: 'en', staff: clerk.staff_number, pin: clerk.pin, clock: true,
    });
    const field = page.locator('main section.screen:not([hidden]) input:is([type=text], [type=search], :not([type]))').first();
    await field.waitFor({ timeout: 10_000 });
    await field.fill('E2E-KEPT');
    // No key, tap or card for 31 s: the warning, 30 s before the limit of 1 minute.
    await page.clock.fastForward('00:31');
    const warning = page.getByRole('alertdialog');
    await warning.waitFor({ timeout: 5_000 });
    assert.match(await warning.textContent(), /lock/i);
    await screenshot(page, 'shell-idle-warning');
    await page.clock.fastForward('00:30');
    // Locked: the sign-in form, the staff number fixed to the clerk's.
    const lock = page.locator('form.sign-in');
    await lock.waitFor({ timeout: 5_000 });
    assert.notEqual(await lock.locator('input[name=staff_number]').getAttribute('readonly'), null, 'the staff number is fixed');
    assert.equal(await lock.locator('input[name=staff_number]').inputValue(), clerk.staff_number);
    assert.equal(await field.isVisible(), false, 'the work is hidden under the lock');
    await screenshot(page, 'shell-idle-locked');
    await signInThroughUi(page, clerk.staff_number, clerk.pin);
    assert.equal(await field.inputValue(), 'E2E-KEPT', 'the work typed before the lock is still there');
    assertClean(problems);
    await page.close();
  });
});

async function assertTextIncludes(locator, parts) {
  const text = await locator.textContent();
  for (const part of parts) assert.ok(text.includes(part), `"${text}" includes "${part}"`);
}

