// The lounge counter: enrol a member and issue the card through the UI (a same-day cash
// receipt made through the API first, a blank card in the demo tray); a server refusal shown
// at its field; the card pulled in the middle of the write (nothing issued, said plainly),
// then the retry that re-sends and issues. The mid-write pull is deterministic: the lounge
// tray's card reaches vpcd through a relay (card-puller.js) that cuts the card off when the
// kiosk's first UPDATE BINARY arrives — the kiosk writes a card in ~20 ms, too fast to pull
// it with the tray's remove.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { assertClean, checkAccessibility, openWorkstation, prcId, screenshot, startKiosk } from './harness.js';
import { startCardPuller } from './card-puller.js';

/** Fills the enrolment form (English labels) with a valid applicant; returns the ID number. */
async function fillApplicant(page, { name, birth, idNumber }) {
  const form = page.locator('form.enrol');
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Sex', { exact: true }).selectOption('female');
  await form.getByLabel('Birth date', { exact: true }).fill(birth);
  await form.getByLabel('Phone', { exact: true }).fill(`139${String(randomInt(0, 1e8)).padStart(8, '0')}`);
  await form.getByLabel('ID document', { exact: true }).selectOption('prc_resident');
  await form.getByLabel('ID number', { exact: true }).fill(idNumber);
}

/** Types a receipt number and presses Enter (it is added, the form is not sent). */
async function addReceipt(page, receiptNo) {
  const input = page.locator('form.enrol input[name=receipt]');
  await input.fill(receiptNo);
  await input.press('Enter');
  await page.locator('.receipt-list li', { hasText: receiptNo }).waitFor();
}

/** The page has no icon, so chromium's /favicon.ico gets a 404: the shell's page, not the lounge's. */
const withoutFavicon = (problems) => problems.filter((p) => !p.url?.endsWith('/favicon.ico'));

async function liveCards(kiosk, idNumber) {
  const r = await kiosk.asSupervisor('lounge', 'POST', '/api/members/search', {
    id_document: { kind: 'prc_resident', number: idNumber },
  });
  if (r.status === 404) return [];
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.matches.flatMap((m) => m.member.cards).filter((c) => c.state === 'active');
}

describe('lounge', () => {
  let kiosk;
  let puller;
  before(async () => {
    kiosk = await startKiosk({
      trayRelay: async (workstation, vpcdPort) => {
        if (workstation !== 'lounge') return undefined;
        puller = await startCardPuller(vpcdPort);
        return puller.port;
      },
    });
  });
  after(async () => {
    await kiosk?.stop();
    await puller?.close();
  });

  test('enrol and issue a card through the UI; the ID checksum is checked before sending', async () => {
    const receipt = await kiosk.guestSale('6500.00');
    const { page, problems } = await openWorkstation(kiosk, 'lounge', { lang: 'en' });
    const form = page.locator('form.enrol');
    await form.waitFor();
    const birth = '1990-04-12';
    const good = prcId('110105', birth, 7);
    const wrongCheck = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
    await fillApplicant(page, { name: '王芳', birth, idNumber: wrongCheck });
    await addReceipt(page, receipt);
    // No card yet, and a mistyped ID: the form says so at the field and sends nothing.
    let enrolments = 0;
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/members')) enrolments += 1; });
    await form.getByRole('button', { name: 'Check and issue the card' }).click();
    const idInput = form.getByLabel('ID number', { exact: true });
    assert.equal(await idInput.getAttribute('aria-invalid'), 'true');
    await form.getByText('check character is wrong').waitFor();
    assert.equal(enrolments, 0);
    await idInput.fill(good);
    assert.equal(await idInput.getAttribute('aria-invalid'), null);
    await form.getByText('No card in the reader: insert a blank card.').waitFor();

    await kiosk.tray.insertBlank('lounge');
    await form.getByText('Blank card ready.').waitFor();
    await form.getByRole('button', { name: 'Check and issue the card' }).click();
    const done = page.locator('.enrolled');
    await done.getByText('The server counted ¥6,500.00 same-day cash: Gold card.').waitFor();
    assert.equal(enrolments, 1);
    assert.equal(await done.locator('.card-steps li[data-state=done]').count(), 4);
    const number = (await done.locator('.card-summary dd').first().textContent()).trim();
    const card = await kiosk.asSupervisor('lounge', 'GET', `/api/cards/${number}`);
    assert.equal(card.status, 200);
    assert.equal(card.body.state, 'active');
    assert.equal(card.body.tier, 'gold');
    assert.equal(card.body.member_name, '王芳');
    await checkAccessibility(page);
    await screenshot(page, 'lounge-enrolled');
    await kiosk.tray.remove('lounge');
    assertClean(withoutFavicon(problems));
    await page.close();
  });

  test('a server refusal is shown at its field (receipts below the VIP threshold, R-ENR-4)', async () => {
    const receipt = await kiosk.guestSale('100.00');
    const { page, problems } = await openWorkstation(kiosk, 'lounge', { lang: 'en' });
    const form = page.locator('form.enrol');
    await form.waitFor();
    await fillApplicant(page, { name: '张伟', birth: '1985-02-03', idNumber: prcId('110105', '1985-02-03', 11) });
    await addReceipt(page, receipt);
    await kiosk.tray.insertBlank('lounge');
    await form.getByText('Blank card ready.').waitFor();
    await form.getByRole('button', { name: 'Check and issue the card' }).click();
    const receiptInput = form.locator('input[name=receipt]');
    await page.waitForFunction(() => document.querySelector('form.enrol input[name=receipt]')?.getAttribute('aria-invalid') === 'true');
    const described = await receiptInput.getAttribute('aria-describedby');
    assert.match(await page.locator(`#${described}`).textContent(), /R-ENR-4/);
    await checkAccessibility(page);
    await kiosk.tray.remove('lounge');
    assertClean(withoutFavicon(problems));
    await page.close();
  });

  test('the card pulled mid-write: "nothing was issued", then the retry re-sends and issues', async () => {
    const receipt = await kiosk.guestSale('650.00');
    const { page, problems } = await openWorkstation(kiosk, 'lounge', { lang: 'en' });
    const form = page.locator('form.enrol');
    await form.waitFor();
    const birth = '1978-09-30';
    const idNumber = prcId('440308', birth, 21);
    await fillApplicant(page, { name: '陈静', birth, idNumber });
    await addReceipt(page, receipt);
    await kiosk.tray.insertBlank('lounge');
    await form.getByText('Blank card ready.').waitFor();

    const pulled = puller.arm();
    const answers = [];
    page.on('response', (r) => {
      if (r.request().method() === 'POST' && r.url().endsWith('/api/members')) answers.push(r.status());
    });
    await form.getByRole('button', { name: 'Check and issue the card' }).click();
    await pulled;
    const recovery = form.locator('.recovery');
    await recovery.getByText('Card removed — insert it again; nothing was issued.').waitFor();
    assert.deepEqual(answers, [409]);
    assert.equal(await form.locator('.card-steps li[data-state=failed]').count(), 1);
    assert.deepEqual(await liveCards(kiosk, idNumber), [], 'no card was issued');
    // The retry waits for a card.
    await kiosk.tray.remove('lounge');
    const retry = recovery.getByRole('button', { name: 'Retry the card write' });
    assert.equal(await retry.isDisabled(), true);
    await screenshot(page, 'lounge-card-pulled');

    await kiosk.tray.insertBlank('lounge');
    await form.getByText('Blank card ready.').waitFor();
    await retry.click();
    await page.locator('.enrolled').getByText('Member enrolled').waitFor();
    assert.deepEqual(answers, [409, 201]);
    const cards = await liveCards(kiosk, idNumber);
    assert.equal(cards.length, 1, 'one card issued, by the retry');
    assert.equal(cards[0].tier, 'vip');
    await checkAccessibility(page);
    await screenshot(page, 'lounge-retried');
    await kiosk.tray.remove('lounge');
    assertClean(withoutFavicon(problems));
    await page.close();
  });
  test('card services: the upgrade outlook and the new card written; parking, a gift; search masked; contact change; offline', async () => {
    const vip = kiosk.cards.find((c) => /^vip card, \d+ points$/.test(c.what));
    assert.ok(vip, `a VIP showcase card: ${JSON.stringify(kiosk.cards)}`);
    const { page, problems } = await openWorkstation(kiosk, 'lounge', { lang: 'en' });
    await page.getByRole('navigation').getByRole('button', { name: 'Card services' }).click();
    const screen = page.locator('.card-services');
    const typed = screen.getByLabel('Card number (or insert the card)');
    await typed.fill(vip.card_number);
    await typed.press('Enter');
    const upgrade = screen.locator('.upgrade');
    await upgrade.getByText('Eligible for Gold').waitFor();
    await upgrade.getByText('of the 1,000 needed for Gold (R-UPG-1)').waitFor();
    await upgrade.getByText('days after expiry) (R-UPG-3)').waitFor();
    await upgrade.getByRole('button', { name: 'Start the upgrade' }).click();
    await kiosk.tray.insertBlank('lounge');
    await upgrade.getByText('Blank card ready.').waitFor();
    await upgrade.getByRole('button', { name: 'Write the new card: upgrade to Gold' }).click();
    await upgrade.getByText('Upgraded from VIP to Gold').waitFor();
    await upgrade.getByRole('button', { name: 'Show the new card' }).click();
    const old = await kiosk.asSupervisor('lounge', 'GET', `/api/cards/${vip.card_number}`);
    assert.equal(old.body.state, 'replaced');
    const fresh = old.body.replaced_by;
    await screen.locator('.card-summary').getByText(fresh).waitFor();
    await kiosk.tray.remove('lounge');

    // Gold: parking tickets and a catalogue gift, the answers from the server.
    await screen.getByRole('button', { name: 'Give parking tickets' }).click();
    await screen.getByText('2 parking tickets given').waitFor();
    await screen.getByRole('radio').first().check();
    await screen.getByRole('button', { name: 'Exchange', exact: true }).click();
    await screen.locator('.gift-exchange .verdict').waitFor();
    await checkAccessibility(page);
    await screenshot(page, 'lounge-card-services');

    // Find the member by phone: in the body, never the URL; shown masked.
    const member = await kiosk.asSupervisor('lounge', 'GET', `/api/members/${old.body.member_id}`);
    const phone = member.body.phone;
    const urls = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.getByRole('navigation').getByRole('button', { name: 'Find a member' }).click();
    const search = page.locator('.member-search');
    await search.getByRole('radio', { name: 'Phone' }).check();
    await search.locator('input[name=search_value]').fill(phone);
    await search.locator('input[name=search_value]').press('Enter');
    const row = search.locator('table.matches tr', { hasText: fresh });
    await row.waitFor();
    assert.match(await row.textContent(), new RegExp(`${phone.slice(0, 3)}\\*{4}${phone.slice(-4)}`));
    assert.ok(!(await search.locator('table.matches').textContent()).includes(phone), 'the phone is masked');
    assert.ok(urls.every((u) => !u.includes(phone)), 'the phone never in a URL');
    await row.getByRole('button', { name: /^Open member/ }).click();
    const record = search.locator('.member-record');
    await record.getByLabel('E-mail (optional)').fill('not-an-address');
    await record.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForFunction(() => document.querySelector('.member-record input[name=email]')?.getAttribute('aria-invalid') === 'true');
    await record.getByLabel('E-mail (optional)').fill('member@example.cn');
    await record.getByRole('button', { name: 'Save changes' }).click();
    await record.getByText('Contact details updated.').waitFor();
    const after = await kiosk.asSupervisor('lounge', 'GET', `/api/members/${old.body.member_id}`);
    assert.equal(after.body.email, 'member@example.cn');

    // The server unreachable: writes are disabled with the reason, nothing is sent.
    await page.getByRole('navigation').getByRole('button', { name: 'Card services' }).click();
    await page.route('**/api/cards/**', (r) => r.abort('connectionrefused'));
    await typed.fill(fresh);
    await typed.press('Enter');
    const parking = screen.getByRole('button', { name: 'Give parking tickets' });
    await page.waitForFunction(() => [...document.querySelectorAll('.card-services .grant button')].every((b) => b.disabled));
    assert.equal(await parking.isDisabled(), true);
    await screen.locator('.grant .blocked', { hasText: 'server can\'t be reached' }).first().waitFor();
    await page.unroute('**/api/cards/**');
    await screenshot(page, 'lounge-offline');
    assertClean(withoutFavicon(problems), { allow: [/ERR_CONNECTION_REFUSED|connectionrefused|net::ERR_FAILED/] });
    await page.close();
  });
});
