/** Training / demo mode: the marker every screen carries, and the virtual card tray. */
import { html } from './html.js';
import { useT } from './language.js';

export function TrainingMarker() {
  const t = useT();
  return html`<div class="training-marker" role="note">${t('training.marker')}</div>`;
}

export function CardTray() {
  return null;
}
