// The replacement desk: a phone loss report and its completion with a new card written at the
// desk's reader, then the OLD card refused at till T01; a mistaken report withdrawn the same
// day with a supervisor's PIN (a wrong PIN first); the follow-up list.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertClean, checkAccessibility, openWorkstation, screenshot, spooledSlips, startKiosk,
} from './harness.js';

describe('replacement desk', () => {
  let kiosk;
  let clerk;
  before(async () => {
    kiosk = await startKiosk();
    clerk = await kiosk.addStaff('desk_clerk');
  });
  after(async () => {
    await kiosk?.stop();
  });

  /** A member with a written card on the tray's table, and their phone (read in full by the supervisor). */
  async function memberWithCard(spend) {
    const member = await kiosk.issueCard({ spend });
    const view = await kiosk.asSupervisor('lounge', 'GET', `/api/members/${member.member_id}`);
    assert.equal(view.status, 200, JSON.stringify(view.body));
    return { ...member, phone: view.body.phone };
  }

  // The status bar is the shell's (its own scenario checks it): these check the desk's screens.
  const checkScreen = (page) => checkAccessibility(page);
  // Chromium asks for /favicon.ico on its own; the page has none yet (the shell's to add).
  const pageProblems = (problems) => problems.filter((p) => !p.url?.endsWith('/favicon.ico'));

  const card = async (number) => {
    const r = await kiosk.asSupervisor('desk', 'GET', `/api/cards/${number}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };

  async function searchByPhone(scope, phone) {
    await scope.locator('select[name=search_by]').selectOption('phone');
    const field = scope.locator('input[name=search_value]');
    await field.fill(phone);
    await field.press('Enter');
    await scope.locator('article.match').first().waitFor();
  }

  test('a phone loss report blocks the card; the replacement is written at the desk; the old card is refused at T01', async () => {
    const member = await memberWithCard('300.00');
    assert.equal(member.tier, 'vip');
    // A purchase with the card, so there is a balance to move (paid what the server quotes).
    const basket = { card_number: member.card_number, lines: [{ sku: 'E2E-COAT', class: 'regular', unit_price: '500.00', quantity: 1 }] };
    const priced = await kiosk.asSupervisor('T01', 'POST', '/api/quotes', basket);
    assert.equal(priced.status, 200, JSON.stringify(priced.body));
    const sale = await kiosk.asSupervisor('T01', 'POST', '/api/sales', {
      ...basket, receipt_no: `E2E-DESK-${process.pid}`, till_id: 'T01',
      tenders: [{ kind: 'cash', amount: priced.body.payable }],
    });
    assert.equal(sale.status, 201, JSON.stringify(sale.body));
    const old = await card(member.card_number);
    assert.ok(old.balance > 0, 'points earned with the card');
    const { page, problems } = await openWorkstation(kiosk, 'desk', { staff: clerk.staff_number, pin: clerk.pin });

    // 1. The member phones in: found by phone (sent in the body), masked for the desk clerk.
    const loss = page.locator('.loss-report');
    const searches = [];
    page.on('request', (r) => { if (r.url().includes('/api/members/search')) searches.push(r); });
    await searchByPhone(loss, member.phone);
    assert.equal(searches.length, 1);
    assert.ok(!searches[0].url().includes(member.phone), 'the phone never goes in the URL');
    assert.equal(JSON.parse(searches[0].postData()).phone, member.phone);
    const match = loss.locator('article.match');
    assert.ok(!(await match.textContent()).includes(member.phone), 'the phone is shown masked');
    await match.getByRole('button', { name: new RegExp(member.card_number) }).click();
    await checkScreen(page);
    await loss.locator('form.confirm button[type=submit]').click();

    // 2. Blocked now; the confirmation prints with the 7-day deadline.
    const outcome = loss.locator('.outcome');
    await outcome.waitFor();
    const reportNo = (await outcome.locator('.report-no').textContent()).trim();
    assert.match(reportNo, /^LR-/);
    assert.match(await outcome.locator('.deadline').textContent(), /\d/);
    await outcome.locator('.print-status[data-state=printed]').waitFor();
    assert.ok(spooledSlips(kiosk).some((s) => s.text.includes(reportNo)), 'the confirmation slip was printed');
    assert.equal((await card(member.card_number)).state, 'blocked');
    await checkScreen(page);
    await screenshot(page, 'desk-loss-report');

    // 3. The member comes in with ID: the replacement, found by card number.
    await page.getByRole('navigation').getByRole('button', { name: '补办新卡' }).click();
    const desk = page.locator('.replacement');
    await desk.locator('input[name=card_number]').fill(member.card_number);
    await desk.locator('input[name=card_number]').press('Enter');
    const form = desk.locator('form.replace-form');
    await form.waitFor();
    assert.equal(await form.locator('.reason').getAttribute('data-reason'), 'lost');
    assert.match(await form.locator('.fee').textContent(), /¥10\.00/, 'the VIP fee from the policy (R-REP-1)');
    const write = form.locator('button[type=submit]');
    assert.ok(await write.isDisabled(), 'no blank card yet: the write waits');
    await form.locator('.write-progress[data-step=insert_card]').waitFor();
    await kiosk.tray.insertBlank('desk');
    await form.locator('.write-progress[data-step=ready]').waitFor({ timeout: 10_000 });
    await checkScreen(page);
    await write.click();

    // 4. New number, valid from tomorrow, balance moved, fee as the server charged it.
    const done = desk.locator('.outcome');
    await done.waitFor({ timeout: 20_000 });
    const newNumber = (await done.locator('.new-card').textContent()).trim();
    assert.notEqual(newNumber, member.card_number);
    assert.equal(await done.locator('.valid-from').getAttribute('data-pending'), 'true', '"valid from tomorrow" is said');
    assert.match(await done.locator('.fee-charged').textContent(), /¥10\.00/);
    await done.locator('.print-status[data-state=printed]').waitFor();
    const replacement = await card(newNumber);
    assert.equal(replacement.unusable?.reason, 'pending', 'R-REP-5: works from the next day');
    assert.equal(replacement.balance, old.balance, 'the balance moved');
    const lost = await card(member.card_number);
    assert.equal(lost.state, 'blocked', 'R-REP-6: a lost card stays blocked');
    assert.equal(lost.replaced_by, newNumber);
    await kiosk.tray.remove('desk');

    // 5. The old card turns up at till T01: refused.
    await kiosk.tray.insert('T01', member.card_number);
    const check = (await kiosk.readerAt('T01')).last_check;
    assert.equal(check.card_number, member.card_number);
    assert.equal(check.usable, false);
    assert.equal(check.verdict, 'blocked');
    assert.equal(check.rule, 'R-REP-2');
    const quote = await kiosk.asSupervisor('T01', 'POST', '/api/quotes', {
      card_number: member.card_number,
      lines: [{ sku: 'E2E', class: 'regular', unit_price: '100.00', quantity: 1 }],
    });
    assert.equal(quote.status, 422, JSON.stringify(quote.body));
    assert.equal(quote.body.code, 'R-REP-2');
    await kiosk.tray.remove('T01');

    await checkScreen(page);
    await screenshot(page, 'desk-replacement-done');
    assertClean(pageProblems(problems));
    await page.close();
  });

  test('a mistaken report is withdrawn the same day with the supervisor PIN; a wrong PIN is refused and cleared', async () => {
    const member = await memberWithCard('300.00');
    const { page, problems } = await openWorkstation(kiosk, 'desk', { staff: clerk.staff_number, pin: clerk.pin, lang: 'en' });
    const loss = page.locator('.loss-report');
    await searchByPhone(loss, member.phone);
    await loss.locator('article.match').getByRole('button', { name: new RegExp(member.card_number) }).click();
    await loss.locator('form.confirm button[type=submit]').click();
    const outcome = loss.locator('.outcome');
    await outcome.waitFor();
    await outcome.locator('details.mistake summary').click();
    const withdrawal = outcome.locator('form.withdrawal');
    const submit = withdrawal.getByRole('button', { name: 'Withdraw the report' });
    assert.ok(await submit.isDisabled(), 'no supervisor PIN yet');
    await withdrawal.getByLabel('Supervisor staff number').fill(kiosk.supervisor.staff_number);
    const pin = withdrawal.getByLabel('Supervisor PIN');
    await pin.fill(kiosk.supervisor.pin === '975318' ? '975319' : '975318');
    await pin.press('Enter');
    await withdrawal.locator('.refusal').waitFor();
    assert.equal(await pin.inputValue(), '', 'the PIN is cleared after use');
    assert.equal(await page.locator('form.sign-in').count(), 0, "a supervisor's wrong PIN does not sign the clerk out");
    assert.equal((await card(member.card_number)).state, 'blocked');
    await pin.fill(kiosk.supervisor.pin);
    await pin.press('Enter');
    await outcome.getByText('Report withdrawn — the card works again').waitFor();
    assert.equal(await pin.count(), 0);
    assert.equal((await card(member.card_number)).state, 'active', 'R-REP-6: back to its earlier state');
    await checkScreen(page);

    // The follow-up list opens (nothing is overdue on the first day).
    await page.getByRole('navigation').getByRole('button', { name: 'Follow-up calls' }).click();
    await page.locator('.follow-up .empty, .follow-up table.overdue').first().waitFor();
    await checkScreen(page);
    await screenshot(page, 'desk-follow-up');
    assertClean(pageProblems(problems));
    await page.close();
  });
});
