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
});

async function assertTextIncludes(locator, parts) {
  const text = await locator.textContent();
  for (const part of parts) assert.ok(text.includes(part), `"${text}" includes "${part}"`);
}

export { signInThroughUi };
