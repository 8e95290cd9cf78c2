/** How an answer's slips printed, with a retry after the printer is fixed (paper, cover). */
import { useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { useStore } from '../shared/store.js';
import { connection, post } from '../shared/api.js';
import { errorMessage } from '../shared/errors.js';
import { blockedBecause, printState } from './desk-logic.js';

export function PrintStatus({ outcomes }) {
  const t = useT();
  const link = useStore(connection);
  const [jobs, setJobs] = useState(outcomes ?? []);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);
  const print = printState(jobs);
  const retry = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const outcome = await post(`/api/print-jobs/${print.jobId}/retry`);
      setJobs(jobs.map((j) => (j.job_id === outcome.job_id ? outcome : j)));
    } catch (f) {
      setFailure(f);
    } finally {
      setBusy(false);
    }
  };
  const blocked = blockedBecause({ connection: link, busy }, ['server']);
  return html`<div class="print-status" data-state=${print.state} role="status">
    <span>${t(`desk.print.${print.state}`)}</span>
    ${print.state === 'failed' && html`<span class="refusal">${t('desk.print.fault', { fault: t(`desk.print.fault.${print.fault ?? 'io'}`) })}</span>
      <button type="button" onClick=${retry} disabled=${!!blocked}>${t('desk.print.retry')}</button>
      ${blocked && html`<span class="why-disabled">${t(blocked)}</span>`}`}
    ${failure && html`<p class="refusal" role="alert">${errorMessage(t, failure)}</p>`}
  </div>`;
}
