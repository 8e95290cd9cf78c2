/** The keys of a screen, shown on it (made from the same table the key handler uses). */
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';

export function KeyLegend({ table }) {
  const t = useT();
  return html`<ul class="key-legend" aria-label=${t('checkout.keys.title')}>
    ${table.map((k) => html`<li key=${k.key}><kbd>${k.key === 'Escape' ? 'Esc' : k.key}</kbd> ${t(`checkout.keys.${k.action}`)}</li>`)}
  </ul>`;
}
