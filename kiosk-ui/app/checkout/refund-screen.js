/**
 * Refund by receipt number: the sale's lines (what is left of each), the lines and units the
 * customer returns, then the refund — once, keyed by its refund number — with a supervisor's
 * PIN when the server asks for one. The server decides the money and points given back.
 * The found sale's receipt can be previewed and reprinted (a COPY).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { useStore } from '../shared/store.js';
import { connection, get, once, randomId, supervisorHeaders } from '../shared/api.js';
import { errorMessage } from '../shared/errors.js';
import { money, points, date } from '../shared/format.js';
import { PrintOutcomes } from './print-outcomes.js';
import { KeyLegend } from './key-legend.js';
import { onShow } from './use-wedge.js';
import { REFUND_KEYS, shortcut } from './keys.js';
import { newDocumentNo } from './basket.js';
import { refundLines, refundRequest } from './refund.js';

const FROZEN = ['sending', 'checking', 'unknown'];

export function RefundScreen({ workstation }) {
  const t = useT();
  const online = useStore(connection).reachable;
  const root = useRef(null);
  const receiptInput = useRef(null);
  const pinInput = useRef(null);
  const [receiptText, setReceiptText] = useState('');
  const [sale, setSale] = useState(null);
  const [findFailure, setFindFailure] = useState(null);
  const [receiptJobs, setReceiptJobs] = useState([]);
  const [chosen, setChosen] = useState({});
  const [refundNo, setRefundNo] = useState(null);
  const [state, setState] = useState({ phase: 'idle' });
  const [supervisor, setSupervisor] = useState(null);
  const sentBody = useRef(null);
  const refunding = useRef(false);
  const frozen = FROZEN.includes(state.phase);

  function reset() {
    sentBody.current = null;
    setSale(null);
    setChosen({});
    setReceiptJobs([]);
    setState({ phase: 'idle' });
    setSupervisor(null);
    setFindFailure(null);
  }

  async function find(event) {
    event?.preventDefault();
    const no = receiptText.trim();
    if (!no || frozen) return;
    reset();
    try {
      const found = await get(`/api/sales/${encodeURIComponent(no)}`);
      setSale(found);
      setRefundNo(newDocumentNo(workstation.id, randomId(6), 'R'));
      const jobs = await Promise.all(found.print_jobs.map((id) => get(`/api/print-jobs/${id}`).catch(() => null)));
      setReceiptJobs(jobs.filter(Boolean));
    } catch (f) {
      setFindFailure(f);
    }
  }

  const picked = sale ? refundLines(sale.lines, chosen) : [];
  const blocked = !online ? 'checkout.refund.offline' : !sale ? 'checkout.refund.no_sale'
    : picked.length === 0 ? 'checkout.refund.no_lines' : null;

  async function refund(event) {
    event?.preventDefault();
    if (refunding.current) return;
    if (!sentBody.current && blocked) return;
    if (supervisor && !(supervisor.staff && supervisor.pin)) {
      pinInput.current?.focus();
      return;
    }
    refunding.current = true;
    const body = sentBody.current ?? refundRequest({ refundNo, tillId: workstation.id, lines: picked });
    sentBody.current = body;
    setState({ phase: 'sending' });
    try {
      const headers = supervisor ? supervisorHeaders(supervisor.staff, supervisor.pin) : undefined;
      const answer = await once(`/api/sales/${encodeURIComponent(sale.receipt_no)}/refunds`, body, {
        headers, onChecking: () => setState({ phase: 'checking' }),
      });
      setState({ phase: 'done', answer });
      setSupervisor(null);
      // What is left to refund now.
      get(`/api/sales/${encodeURIComponent(sale.receipt_no)}`).then(setSale, () => {});
    } catch (f) {
      if (f.unknown || f.code === 'server_unreachable') {
        setState({ phase: 'unknown', failure: f });
      } else if (f.code === 'supervisor_pin_required') {
        // Same refund, same number: it is sent again with the PIN.
        setSupervisor({ staff: '', pin: '' });
        setState({ phase: 'pin' });
        setTimeout(() => pinInput.current?.focus(), 0);
      } else {
        sentBody.current = null;
        if (supervisor) setSupervisor({ ...supervisor, pin: '' });
        if (f.code === 'idempotency_conflict') setRefundNo(newDocumentNo(workstation.id, randomId(6), 'R'));
        setState({ phase: 'failed', failure: f });
      }
    } finally {
      refunding.current = false;
    }
  }

  const keyAction = useRef(null);
  keyAction.current = (action) => {
    if (action === 'receipt') receiptInput.current?.focus();
    if (action === 'refund') refund();
    if (action === 'cancel' && !frozen) {
      reset();
      setReceiptText('');
      receiptInput.current?.focus();
    }
  };
  useEffect(() => {
    const onKey = (event) => {
      if (!onShow(root.current)) return;
      const action = shortcut(REFUND_KEYS, event);
      if (!action) return;
      event.preventDefault();
      keyAction.current(action);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const done = state.phase === 'done';
  const choose = (index, quantity) => setChosen((c) => ({ ...c, [index]: quantity }));
  return html`<div class="refund-screen" ref=${root}>
    <${KeyLegend} table=${REFUND_KEYS} />
    ${!online && html`<p class="offline refusal" role="alert">${t('checkout.offline')}</p>`}
    <form class="receipt-entry" onSubmit=${find}>
      <label><span>${t('checkout.refund.receipt_no')} <kbd>F2</kbd></span>
        <input ref=${receiptInput} value=${receiptText} autocomplete="off" disabled=${frozen}
          onInput=${(e) => setReceiptText(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled=${frozen || !online}>${t('checkout.refund.find')}</button>
      ${findFailure && html`<p class="refusal" role="alert">${errorMessage(t, findFailure)}</p>`}
    </form>

    ${sale && html`<section class="refund-sale" aria-label=${t('checkout.refund.sale', { no: sale.receipt_no })}>
      <p>${t('checkout.refund.sale_facts', {
        no: sale.receipt_no, till: sale.till_id, day: date(sale.business_day, t.lang), amount: money(sale.payable, t.lang),
      })}</p>
      <form onSubmit=${refund}>
        <table aria-label=${t('checkout.refund.lines')}>
          <thead><tr>
            <th>${t('checkout.refund.return')}</th><th>${t('checkout.line.sku')}</th><th>${t('checkout.line.class')}</th>
            <th class="amount">${t('checkout.line.quantity')}</th><th class="amount">${t('checkout.refund.refunded')}</th>
            <th class="amount">${t('checkout.basket.paid')}</th><th class="amount">${t('checkout.refund.units')}</th>
          </tr></thead>
          <tbody>${sale.lines.map((l) => {
            const left = l.quantity - l.refunded_quantity;
            const q = chosen[l.index] ?? 0;
            return html`<tr key=${l.index} data-line=${l.index}>
              <td><label class="check"><input type="checkbox" checked=${q > 0} disabled=${left === 0 || frozen || done}
                onChange=${(e) => choose(l.index, e.currentTarget.checked ? left : 0)} />
                <span class="sr-only">${t('checkout.refund.return_line', { sku: l.sku })}</span></label></td>
              <td>${l.sku}</td><td>${t(`checkout.class.${l.class}`)}</td>
              <td class="amount">${l.quantity}</td><td class="amount">${l.refunded_quantity}</td>
              <td class="amount">${money(l.paid, t.lang)}</td>
              <td class="amount"><label><span class="sr-only">${t('checkout.refund.units_of', { sku: l.sku })}</span>
                <input class="short" type="number" min="0" max=${left} value=${q} disabled=${left === 0 || frozen || done}
                  onInput=${(e) => choose(l.index, Math.max(0, Math.min(left, Math.trunc(Number(e.currentTarget.value) || 0))))} /></label></td>
            </tr>`;
          })}</tbody>
        </table>
        ${supervisor && html`<fieldset class="supervisor">
          <legend>${t('checkout.refund.pin_needed')}</legend>
          <label>${t('checkout.refund.supervisor')}
            <input value=${supervisor.staff} autocomplete="off" onInput=${(e) => setSupervisor({ ...supervisor, staff: e.currentTarget.value })} ref=${pinInput} />
          </label>
          <label>${t('checkout.refund.supervisor_pin')}
            <input type="password" inputmode="numeric" autocomplete="off" value=${supervisor.pin}
              onInput=${(e) => setSupervisor({ ...supervisor, pin: e.currentTarget.value })} />
          </label>
        </fieldset>`}
        <button type="submit" class="primary" disabled=${state.phase !== 'unknown' && (Boolean(blocked) || frozen || done)}>
          ${t(state.phase === 'unknown' ? 'checkout.commit.check_again' : 'checkout.refund.button')} <kbd>F9</kbd>
        </button>
        <span class="reason">${blocked && !done ? t(blocked) : ''}</span>
        <p role="status" class="commit-state" data-phase=${state.phase}>
          ${state.phase === 'sending' && t('checkout.commit.sending')}
          ${state.phase === 'checking' && t('checkout.commit.checking')}
          ${state.phase === 'unknown' && t('checkout.commit.unknown')}
        </p>
        ${state.phase === 'failed' && html`<p class="refusal" role="alert">${errorMessage(t, state.failure)}</p>`}
      </form>
      ${receiptJobs.length > 0 && html`<details class="receipt-copy">
        <summary>${t('checkout.refund.receipt')}</summary>
        <${PrintOutcomes} outcomes=${receiptJobs.map((j) => ({ job_id: j.id, state: j.state, fault: j.fault, preview: j.preview }))} online=${online} />
      </details>`}
    </section>`}

    ${done && html`<section class="refund-done" aria-label=${t('checkout.refund.done')}>
      <h2>${t('checkout.refund.done')}</h2>
      <p data-testid="refund-done">${t('checkout.refund.summary', { no: state.answer.refund_no, amount: money(state.answer.amount, t.lang) })}</p>
      ${state.answer.card_number && html`<p>${t('checkout.refund.points', {
        reversed: points(state.answer.points_reversed, t.lang), restored: points(state.answer.points_restored, t.lang),
        debt: points(state.answer.debt_added, t.lang), balance: points(state.answer.balance ?? 0, t.lang),
      })}</p>`}
      <${PrintOutcomes} outcomes=${state.answer.print ?? []} online=${online} />
    </section>`}
  </div>`;
}
