/** The language switch (简体中文 / English), in the status bar and so on the sign-in screen too. */
import { html } from './html.js';
import { LANGUAGES } from './i18n.js';
import { setLanguage, useT } from './language.js';

export function LanguageSwitch() {
  const t = useT();
  return html`<div class="language-switch" role="group" aria-label=${t('language.label')}>
    ${LANGUAGES.map((lang) => html`<button type="button" key=${lang} lang=${lang === 'zh' ? 'zh-CN' : 'en'}
      aria-pressed=${t.lang === lang ? 'true' : 'false'} onClick=${() => setLanguage(lang)}>${t(`language.${lang}`)}</button>`)}
  </div>`;
}
