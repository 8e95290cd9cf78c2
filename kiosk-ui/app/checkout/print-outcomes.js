/**
 * A document's print jobs: state (printed / failed with the fault, e.g. paper out), the paper
 * preview, retry of a failed job and reprint of a printed one (a new job marked COPY).
 */
import { useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { post } from '../shared/api.js';
import { errorMessage } from '../shared/errors.js';

function Outcome({ outcome, online, onPrinted }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);
  const act = async (what) => {
    if (busy) return;
    setBusy(true);
    setFailure(null);
    try {
      onPrinted(what, await post(`/api/print-jobs/${outcome.job_id}/${what}`));
    } catch (f) {
      setFailure(f);
    } finally {
      setBusy(false);
    }
  };
  const state = outcome.state ?? 'pending';
  return html`<div class="print-outcome" data-state=${state}>
    <p class="print-state" role="status">
      ${t(`checkout.print.${state}`, { job: outcome.job_id })}
      ${outcome.fault && html` — ${t.has(`checkout.fault.${outcome.fault}`) ? t(`checkout.fault.${outcome.fault}`) : outcome.fault}`}
    </p>
    ${outcome.preview && html`<pre class="receipt-preview" aria-label=${t('checkout.print.preview')} tabindex="0">${outcome.preview}</pre>`}
    <div class="actions">
      ${state === 'failed' && html`<button type="button" disabled=${busy || !online} onClick=${() => act('retry')}>${t('checkout.print.retry')}</button>`}
      ${state === 'printed' && html`<button type="button" disabled=${busy || !online} onClick=${() => act('reprint')}>${t('checkout.print.reprint')}</button>`}
    </div>
    ${failure && html`<p class="refusal" role="alert">${errorMessage(t, failure)}</p>`}
  </div>`;
}

/** `outcomes`: the `print` of an answer ([{job_id, state, fault, message, preview}]). */
export function PrintOutcomes({ outcomes, online }) {
  const t = useT();
  const [shown, setShown] = useState(outcomes);
  if (shown !== outcomes && shown.length < outcomes.length) setShown(outcomes);
  const printed = (index) => (what, outcome) => setShown((list) => (what === 'retry'
    ? list.map((o, i) => (i === index ? outcome : o))
    : [...list, { ...outcome, copy: true }]));
  if (!shown.length) return html`<p>${t('checkout.print.none')}</p>`;
  return html`<div class="print-outcomes">
    ${shown.map((o, i) => html`<${Outcome} key=${`${o.job_id}-${i}`} outcome=${o} online=${online} onPrinted=${printed(i)} />`)}
  </div>`;
}
