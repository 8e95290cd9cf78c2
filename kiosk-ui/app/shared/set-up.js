/** First start of a device: choose which workstation this page is (a set-up step, kept in this browser). */
import { html } from './html.js';
import { useT } from './language.js';
import { STORAGE_KEY } from './workstation.js';

export function SetUp({ store }) {
  const t = useT();
  const choose = (id) => {
    try {
      localStorage.setItem(STORAGE_KEY, id);
    } catch {
      // Fall back to the address: the bookmark then carries it.
    }
    location.search = `?workstation=${encodeURIComponent(id)}`;
  };
  return html`<main class="set-up">
    <h1>${t('setup.title', { store: store.store_name })}</h1>
    <p>${t('setup.explain')}</p>
    <ul class="choices">
      ${store.workstations.map((w) => html`<li key=${w.id}>
        <button type="button" onClick=${() => choose(w.id)}>
          ${t(`workstation.kind.${w.kind}`)} · ${w.id}
        </button>
      </li>`)}
    </ul>
  </main>`;
}
