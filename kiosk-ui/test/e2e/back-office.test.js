// The back office: a supervisor adds a staff member and changes their role, exports the staff
// list as CSV (BOM, a formula-like name made inert), opens the reports (uPlot fetched only
// then, charts drawn) and exports one, reads the audit trail with its chain check and the
// policy in force.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  assertClean, checkAccessibility, openWorkstation, randomPin, screenshot, startKiosk,
} from './harness.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Clicks `button` and returns the downloaded file's name and bytes. */
async function download(page, button) {
  const [file] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
}

describe('back office', () => {
  let kiosk;
  before(async () => {
    kiosk = await startKiosk();
  });
  after(async () => {
    await kiosk?.stop();
  });

  test('a supervisor adds a staff member, sees the reports with charts and exports CSV', async () => {
    const { page, problems } = await openWorkstation(kiosk, 'back-office', { lang: 'en' });
    const uplotRequests = [];
    page.on('request', (r) => { if (r.url().includes('/vendor/uplot/')) uplotRequests.push(r.url()); });

    // Staff and roles (the first screen): add a cashier whose name looks like a formula.
    const form = page.getByRole('form', { name: 'Add a staff member' });
    await form.getByLabel('Staff number').fill('C950');
    await form.getByLabel('Name').fill('=SUM(1+1)');
    await form.getByLabel('Role').selectOption('cashier');
    await form.getByLabel('First PIN').fill(randomPin());
    await form.getByLabel('First PIN').press('Enter');
    await page.getByRole('status').filter({ hasText: 'Staff member C950 added.' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'C950' });
    await row.getByRole('cell', { name: 'Cashier', exact: true }).waitFor();
    await row.getByLabel('Role of C950').selectOption('lounge_clerk');
    await row.getByRole('cell', { name: 'Lounge clerk', exact: true }).waitFor();
    const listed = await kiosk.asSupervisor('back-office', 'GET', '/api/staff');
    assert.equal(listed.body.find((a) => a.staff_number === 'C950')?.role, 'lounge_clerk');

    const staffCsv = await download(page, page.getByRole('button', { name: 'Export “Staff accounts” as CSV' }));
    assert.equal(staffCsv.name, 'staff.csv');
    assert.deepEqual(staffCsv.bytes.subarray(0, 3), BOM, 'UTF-8 BOM first');
    const staffText = staffCsv.bytes.subarray(3).toString('utf8');
    assert.match(staffText, /^Staff number,Name,Role,State,Wrong PINs in a row,Actions\r\n/);
    assert.ok(staffText.includes("C950,'=SUM(1+1),Lounge clerk,Active,0,\r\n"), staffText);
    await checkAccessibility(page);
    await screenshot(page, 'back-office-staff');
    assert.deepEqual(uplotRequests, [], 'uPlot is not fetched before the reports are opened');

    // Reports: uPlot and its stylesheet arrive now, and the charts are drawn.
    await page.getByRole('navigation').getByRole('button', { name: 'Reports' }).click();
    await page.getByRole('heading', { name: /Members by tier \(on / }).waitFor();
    await page.locator('.chart-box canvas').first().waitFor({ timeout: 10_000 });
    assert.ok(uplotRequests.some((u) => u.endsWith('/vendor/uplot/dist/uPlot.esm.js')), uplotRequests.join());
    assert.ok(uplotRequests.some((u) => u.endsWith('/vendor/uplot/dist/uPlot.min.css')), uplotRequests.join());
    const members = await kiosk.asSupervisor('back-office', 'GET', '/api/reports/members');
    assert.equal(members.status, 200);
    const tierTable = page.getByRole('table', { name: 'Members by tier' });
    const gold = members.body.tiers.find((t) => t.tier === 'gold');
    await tierTable.getByRole('row').filter({ hasText: 'Gold' }).getByRole('cell', { name: String(gold.total), exact: true }).last().waitFor();

    const pointsCsv = await download(page, page.getByRole('button', { name: 'Export “Points by day” as CSV' }));
    assert.match(pointsCsv.name, /^points-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    assert.deepEqual(pointsCsv.bytes.subarray(0, 3), BOM);
    const lines = pointsCsv.bytes.subarray(3).toString('utf8').trimEnd().split('\r\n');
    assert.equal(lines[0], 'Day,Points issued,Points redeemed,Points outstanding,Liability');
    assert.equal(lines.length, 1 + 31, 'a header and the 31 days of the default range');
    await checkAccessibility(page);
    await screenshot(page, 'back-office-reports');

    // The audit trail: the chain is whole and the staff changes are in it.
    await page.getByRole('navigation').getByRole('button', { name: 'Audit trail' }).click();
    await page.locator('.chain.ok').waitFor();
    await page.getByLabel('Staff, action, target or workstation').fill('C950');
    await page.getByRole('table', { name: 'Audit trail (newest first)' })
      .getByRole('cell', { name: 'PATCH /api/staff/{staff_number}' }).first().waitFor();
    await checkAccessibility(page);
    await screenshot(page, 'back-office-audit');

    // The policy in force, read-only for a store supervisor.
    await page.getByRole('navigation').getByRole('button', { name: 'Policy in force' }).click();
    await page.getByRole('table', { name: 'Thresholds, rates and fees per tier' })
      .getByRole('row').filter({ hasText: 'Discount on regular goods' }).getByRole('cell', { name: '×0.95' }).waitFor();
    await page.getByText('read-only here').waitFor();
    await checkAccessibility(page);
    await screenshot(page, 'back-office-policy');

    assertClean(problems);
    await page.close();
  });
});
