/**
 * Training / demo mode (`store.training`): the marker every screen carries, the sign-in
 * screen included, and the card tray of a workstation with a reader: insert a blank card,
 * insert a saved card (`GET /api/demo/tray`), remove the card (`/api/demo/tray/{ws}/...`).
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { useT } from './language.js';
import { get, post } from './api.js';
import { errorMessage } from './errors.js';
import { useReader } from './reader.js';
import { useActionsAllowed } from './actions.js';

export function TrainingMarker() {
  const t = useT();
  return html`<div class="training-marker" role="note">${t('training.marker')}</div>`;
}

/** The card in `workstation`'s tray slot: undefined (no slot), null (empty), `blank` or a card number. */
export function trayCardAt(view, workstation) {
  const slot = view?.inserted?.find(([ws]) => ws === workstation);
  return slot ? slot[1] ?? null : undefined;
}

export function CardTray({ workstation }) {
  const t = useT();
  const card = useReader();
  const { allowed, message } = useActionsAllowed();
  const [view, setView] = useState(null);
  const [chosen, setChosen] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);
  const slot = `/api/demo/tray/${encodeURIComponent(workstation.id)}`;
  const act = async (call) => {
    setBusy(true);
    setFailure(null);
    try {
      setView(await call());
    } catch (f) {
      setFailure(f);
    } finally {
      setBusy(false);
    }
  };
  // Asked again whenever a card comes or goes (the tray, a test, or a real hand).
  useEffect(() => {
    get('/api/demo/tray').then(setView, setFailure);
  }, [card.cardPresent]);
  const inReader = trayCardAt(view, workstation.id);
  if (inReader === undefined) {
    return view && html`<aside class="card-tray" aria-label=${t('tray.title')}><p>${t('tray.no_slot')}</p></aside>`;
  }
  const saved = view.cards.filter((c) => c !== 'blank');
  const pick = saved.includes(chosen) ? chosen : saved[0] ?? '';
  const off = busy || !allowed;
  return html`<aside class="card-tray" aria-label=${t('tray.title')}>
    <strong>${t('tray.title')}</strong>
    <span class="tray-state" role="status">${inReader === null ? t('tray.empty')
      : inReader === 'blank' ? t('tray.in_reader_blank') : t('tray.in_reader', { card: inReader })}</span>
    <button type="button" disabled=${off || inReader !== null}
      onClick=${() => act(() => post(`${slot}/insert`, { card: 'blank' }))}>${t('tray.insert_blank')}</button>
    ${saved.length > 0 && html`<label class="inline">${t('tray.saved_card')}
      <select value=${pick} onChange=${(e) => setChosen(e.currentTarget.value)}>
        ${saved.map((c) => html`<option key=${c} value=${c}>${c}</option>`)}
      </select>
    </label>
    <button type="button" disabled=${off || inReader !== null}
      onClick=${() => act(() => post(`${slot}/insert`, { card: pick }))}>${t('tray.insert_saved')}</button>`}
    <button type="button" disabled=${off || inReader === null}
      onClick=${() => act(() => post(`${slot}/remove`))}>${t('tray.remove')}</button>
    ${!allowed && html`<span class="refusal" role="status">${message}</span>`}
    ${failure && html`<span class="refusal" role="alert">${errorMessage(t, failure)}</span>`}
  </aside>`;
}
