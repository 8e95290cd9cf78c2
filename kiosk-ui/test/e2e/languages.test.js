// Every screen of every workstation in both languages: each string comes from the catalogs
// (a missing key would show as the key itself), the page's language follows the switch, and
// each screen passes the accessibility check in both.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClean, checkAccessibility, openWorkstation, startKiosk } from './harness.js';

/** A catalog key shown raw: `lounge.enrol.title`, `error.card_removed`… */
const RAW_KEY = /\b(?:app|setup|workstation|signin|lock|nav|status|role|training|tray|idle|language|error|checkout|lounge|desk|backoffice|field|tier)\.[a-z0-9_]+(?:\.[A-Za-z0-9_-]+)*\b/;

describe('every screen in both languages', () => {
  let kiosk;
  before(async () => {
    kiosk = await startKiosk();
  });
  after(async () => {
    await kiosk?.stop();
  });

  for (const workstation of ['T01', 'lounge', 'desk', 'back-office']) {
    test(`${workstation}: every screen in 简体中文 and English`, async () => {
      const { page, problems } = await openWorkstation(kiosk, workstation, { lang: 'zh' });
      const nav = page.locator('nav.screens');
      await nav.waitFor();
      // The screens' tabs (the Lock button beside them is not a screen).
      const tabs = nav.locator('button:not(.lock-now)');
      assert.ok((await tabs.count()) > 0, `${workstation}: no screen offered`);
      for (const lang of ['zh', 'en']) {
        const button = lang === 'en' ? 'English' : '简体中文';
        await page.getByRole('group', { name: /语言|Language/ }).getByRole('button', { name: button }).click();
        await page.waitForFunction((l) => document.documentElement.lang === l, lang === 'en' ? 'en' : 'zh-CN');
        const count = await tabs.count();
        for (let i = 0; i < count; i += 1) {
          const tab = tabs.nth(i);
          const label = (await tab.textContent()).trim();
          await tab.click();
          const screen = page.locator('section.screen:not([hidden])');
          await screen.waitFor();
          await page.waitForFunction(() => !document.querySelector('section.screen:not([hidden]) .booting'));
          const text = await page.locator('body').innerText();
          const raw = RAW_KEY.exec(text);
          assert.equal(raw, null, `${workstation} ${lang} "${label}": catalog key shown raw: ${raw?.[0]}`);
          if (lang === 'en') {
            // The screen's own headings and labels are English (names and data may be Chinese).
            const headings = await screen.locator('h1, h2, h3, label, th, button').allTextContents();
            const chinese = headings.filter((h) => /[\u4e00-\u9fff]/.test(h) && !/简体中文/.test(h));
            assert.deepEqual(chinese, [], `${workstation} "${label}": untranslated in English`);
          }
          await checkAccessibility(page);
        }
      }
      assertClean(problems);
      await page.close();
    });
  }
});
