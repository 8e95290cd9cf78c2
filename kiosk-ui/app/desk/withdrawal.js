/**
 * Withdrawing a loss report made by mistake (R-REP-6's exception): only the day it was made,
 * while the card is still just blocked, with a supervisor's PIN. The card goes back to the
 * state it had; the server answers the card as it now is.
 */
import { useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { useStore } from '../shared/store.js';
import { connection, request, supervisorHeaders } from '../shared/api.js';
import { errorMessage } from '../shared/errors.js';
import { blockedBecause } from './desk-logic.js';
import { NO_SUPERVISOR, SupervisorPin } from './supervisor-pin.js';

export function Withdrawal({ card, onWithdrawn }) {
  const t = useT();
  const link = useStore(connection);
  const [supervisor, setSupervisor] = useState(NO_SUPERVISOR);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);
  const blocked = blockedBecause({ connection: link, supervisor, busy }, ['server', 'supervisor']);
  const submit = async (e) => {
    e.preventDefault();
    if (blocked) return;
    setBusy(true);
    setFailure(null);
    try {
      const view = await request('POST', `/api/cards/${card.card_number}/loss-report/cancellation`, {
        headers: supervisorHeaders(supervisor.staff.trim(), supervisor.pin),
      });
      onWithdrawn(view);
    } catch (f) {
      setFailure(f);
    } finally {
      // The PIN served this one request.
      setSupervisor((s) => ({ ...s, pin: '' }));
      setBusy(false);
    }
  };
  return html`<form class="withdrawal" onSubmit=${submit} aria-label=${t('desk.withdraw.title')}>
    <h3>${t('desk.withdraw.title')}</h3>
    <p>${t('desk.withdraw.explain')}</p>
    <${SupervisorPin} value=${supervisor} onChange=${setSupervisor} legend=${t('desk.withdraw.approval')} />
    <div class="actions">
      <button type="submit" disabled=${!!blocked}>${t('desk.withdraw.submit')}</button>
      ${blocked && !busy && html`<span class="why-disabled">${t(blocked)}</span>`}
    </div>
    ${failure && html`<p class="refusal" role="alert">${errorMessage(t, failure)}</p>`}
  </form>`;
}
