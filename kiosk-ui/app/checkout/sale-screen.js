/**
 * The cashier's sale: the member (card read at the till, typed or scanned), the basket with the
 * server's live quote (each line's benefit, discount and why not), redemption in whole units,
 * tenders, and the commit — once: the receipt number is made once per sale and is the
 * idempotency key; a lost answer is asked again with the same request. Then the receipt.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { useStore } from '../shared/store.js';
import { connection, get, once, post, randomId } from '../shared/api.js';
import { errorMessage } from '../shared/errors.js';
import { date, money, points } from '../shared/format.js';
import { useReader } from '../shared/reader.js';
import { MemberPanel } from './member-panel.js';
import { PrintOutcomes } from './print-outcomes.js';
import { KeyLegend } from './key-legend.js';
import { useWedge, onShow } from './use-wedge.js';
import { memberPanel, saleCard, typedCardNumber } from './member.js';
import { scanTarget } from './wedge.js';
import { SALE_KEYS, shortcut } from './keys.js';
import {
  GOODS_CLASSES, emptyLine, lineProblems, newDocumentNo, parseBasketJson, quoteRequest, saleRequest,
} from './basket.js';
import { fillWithRest, remaining, settles } from './tenders.js';
import { clampRedemption, redemptionSteps } from './redemption.js';
import { latestOnly } from './latest.js';

/** Quote this long after the last change (typing a price does not send a quote per key). */
const QUOTE_DEBOUNCE_MS = 200;
const FROZEN = ['sending', 'checking', 'unknown'];
const DEFAULT_POLICY = { cash_like_tenders: ['cash'], non_cash_tenders: [], redeem_unit_points: 100 };

export function SaleScreen({ workstation }) {
  const t = useT();
  const online = useStore(connection).reachable;
  const reader = useReader();
  const root = useRef(null);
  const cardInput = useRef(null);
  const skuInput = useRef(null);
  const redeemInput = useRef(null);
  const tendersStart = useRef(null);
  const commitButton = useRef(null);
  const nextButton = useRef(null);

  const [policy, setPolicy] = useState(DEFAULT_POLICY);
  const [panel, setPanel] = useState(null);
  const [cardText, setCardText] = useState('');
  const [cardFailure, setCardFailure] = useState(null);
  const [lines, setLines] = useState([]);
  const [draft, setDraft] = useState(emptyLine());
  const [problems, setProblems] = useState({});
  const [pasted, setPasted] = useState('');
  const [pasteFailure, setPasteFailure] = useState(null);
  const [tenders, setTenders] = useState([]);
  const [redeem, setRedeem] = useState(0);
  const [quote, setQuote] = useState(null);
  const [quoting, setQuoting] = useState(false);
  const [quoteFailure, setQuoteFailure] = useState(null);
  const [receiptNo, setReceiptNo] = useState(() => newDocumentNo(workstation.id, randomId(6)));
  const [commit, setCommit] = useState({ phase: 'idle' });
  const [cancelArmed, setCancelArmed] = useState(false);
  const sentBody = useRef(null);
  const committing = useRef(false);
  const quotes = useRef(latestOnly());

  const frozen = FROZEN.includes(commit.phase);
  const done = commit.phase === 'done';
  const unit = policy.redeem_unit_points || 100;
  const cardNumber = saleCard(panel);

  useEffect(() => {
    get('/api/policy').then(setPolicy, () => {});
  }, []);

  function newSale() {
    quotes.current.drop();
    sentBody.current = null;
    setPanel(null);
    setCardText('');
    setCardFailure(null);
    setLines([]);
    setDraft(emptyLine());
    setProblems({});
    setTenders([]);
    setRedeem(0);
    setQuote(null);
    setQuoteFailure(null);
    setCommit({ phase: 'idle' });
    setCancelArmed(false);
    setReceiptNo(newDocumentNo(workstation.id, randomId(6)));
  }

  // A card read at this till shows its member at once (no click); after a finished sale it
  // starts the next one.
  useEffect(() => {
    // Only a card in the reader now: the reader's last check may be of a card taken out.
    if (!reader.check || !reader.cardPresent || frozen) return;
    if (done) newSale();
    setPanel(memberPanel({ check: reader.check }));
    setCardFailure(null);
    setRedeem(0);
  }, [reader.seq, reader.check]);

  async function lookUp(text) {
    const number = typedCardNumber(text);
    if (!number) {
      setCardFailure({ key: 'checkout.card.need_number' });
      return;
    }
    if (done) newSale();
    setCardFailure(null);
    try {
      const view = await get(`/api/cards/${number}`);
      setPanel(memberPanel({ view }));
      setCardText('');
      setRedeem(0);
    } catch (f) {
      setCardFailure({ failure: f });
    }
  }

  useWedge(root, (code) => {
    if (frozen) return;
    if (scanTarget(code) === 'card') {
      setCardText(code);
      lookUp(code);
    } else {
      setDraft((d) => ({ ...d, sku: code }));
      skuInput.current?.focus();
    }
  });

  // The live quote: debounced, and only the answer for the basket on screen is used.
  useEffect(() => {
    const body = quoteRequest({ lines, cardNumber, tenders, redeemPoints: redeem });
    const ticket = quotes.current.take();
    if (!body || done || frozen) {
      if (!body) {
        setQuote(null);
        setQuoteFailure(null);
      }
      setQuoting(false);
      return undefined;
    }
    setQuoting(true);
    const timer = setTimeout(async () => {
      try {
        const answer = await post('/api/quotes', body);
        if (!quotes.current.current(ticket)) return;
        setQuote(answer);
        setQuoteFailure(null);
        setQuoting(false);
      } catch (f) {
        if (!quotes.current.current(ticket)) return;
        setQuoteFailure(f);
        setQuoting(false);
        // A redemption the basket no longer allows is dropped; the cashier chooses again.
        if (f.field === 'redeem_points') setRedeem(0);
      }
    }, QUOTE_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [lines, cardNumber, tenders, redeem, online, done, frozen]);

  // After the commit the receipt is shown and the next sale is one key away.
  useEffect(() => {
    if (done) nextButton.current?.focus();
  }, [done]);

  const maxRedeem = quote && cardNumber ? quote.max_redeemable_points : 0;
  useEffect(() => {
    if (quote && redeem > maxRedeem) setRedeem(clampRedemption(redeem, maxRedeem, unit));
  }, [quote]);

  const current = quote && !quoting && !quoteFailure;
  const payable = current ? quote.payable : null;
  const settled = payable !== null && settles(payable, tenders);
  const commitBlocked = !online ? 'checkout.commit.offline'
    : lines.length === 0 ? 'checkout.commit.no_lines'
      : !current ? 'checkout.commit.no_quote'
        : !settled ? 'checkout.commit.not_settled' : null;

  function addLine(event) {
    event?.preventDefault();
    const found = lineProblems(draft);
    setProblems(found);
    if (Object.keys(found).length) {
      skuInput.current?.focus();
      return;
    }
    setLines((ls) => [...ls, draft]);
    setDraft({ ...emptyLine(), class: draft.class });
    skuInput.current?.focus();
  }

  function pasteBasket(event) {
    event?.preventDefault();
    try {
      const parsed = parseBasketJson(pasted);
      setLines((ls) => [...ls, ...parsed]);
      setPasted('');
      setPasteFailure(null);
    } catch (e) {
      setPasteFailure(e);
    }
  }

  function startTenders() {
    if (tenders.length === 0 && payable !== null) {
      setTenders([{ kind: policy.cash_like_tenders[0] ?? 'cash', amount: payable }]);
    }
    setTimeout(() => tendersStart.current?.focus(), 0);
  }

  async function commitSale() {
    // The async lock: a second press while the first is out does nothing.
    if (committing.current) return;
    if (!sentBody.current && commitBlocked) return;
    committing.current = true;
    const body = sentBody.current ?? saleRequest({
      receiptNo, tillId: workstation.id, lines, cardNumber, tenders, redeemPoints: redeem,
    });
    sentBody.current = body;
    setCommit({ phase: 'sending' });
    try {
      const answer = await once('/api/sales', body, { onChecking: () => setCommit({ phase: 'checking' }) });
      setCommit({ phase: 'done', answer });
    } catch (f) {
      if (f.unknown || f.code === 'server_unreachable') {
        // Not known whether it was booked: only the same request may be sent again.
        setCommit({ phase: 'unknown', failure: f });
      } else {
        // Refused: nothing was booked. A number already used elsewhere is replaced.
        sentBody.current = null;
        if (f.code === 'idempotency_conflict') setReceiptNo(newDocumentNo(workstation.id, randomId(6)));
        setCommit({ phase: 'failed', failure: f });
      }
    } finally {
      committing.current = false;
    }
  }

  function cancel() {
    if (frozen) return;
    if (done) {
      newSale();
      return;
    }
    if (!cancelArmed) {
      setCancelArmed(true);
      return;
    }
    newSale();
  }

  // The till's keys (see keys.js); only while this screen is on show.
  const keyAction = useRef(null);
  keyAction.current = (action) => {
    if (action !== 'cancel') setCancelArmed(false);
    switch (action) {
      case 'card': cardInput.current?.focus(); break;
      case 'add_line': skuInput.current?.focus(); break;
      case 'redeem': redeemInput.current?.focus(); break;
      case 'tenders': startTenders(); break;
      case 'commit': if (commit.phase === 'unknown' || !commitBlocked) commitSale(); else commitButton.current?.focus(); break;
      case 'cancel': cancel(); break;
      default:
    }
  };
  useEffect(() => {
    const onKey = (event) => {
      if (!onShow(root.current)) return;
      const action = shortcut(SALE_KEYS, event);
      if (!action) return;
      event.preventDefault();
      keyAction.current(action);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const field = (name) => (event) => setDraft((d) => ({ ...d, [name]: event.currentTarget.type === 'checkbox' ? event.currentTarget.checked : event.currentTarget.value }));
  const tenderKinds = [...policy.cash_like_tenders, ...policy.non_cash_tenders];
  const kindName = (kind) => (t.has(`checkout.tender.${kind}`) ? t(`checkout.tender.${kind}`) : kind);
  const lineQuote = (i) => (current ? quote.lines[i] : null);
  const why = (q) => (q.benefit === 'none' && !quote.tier ? 'guest' : q.benefit);

  return html`<div class="sale-screen" ref=${root}>
    <${KeyLegend} table=${SALE_KEYS} />
    ${!online && html`<p class="offline refusal" role="alert">${t('checkout.offline')}</p>`}
    <div class="sale-grid">
      <div class="sale-side">
        <${MemberPanel} panel=${panel} reading=${reader.reading} />
        <form class="card-entry" onSubmit=${(e) => { e.preventDefault(); lookUp(cardText); }}>
          <label><span>${t('checkout.card.number')} <kbd>F2</kbd></span>
            <input ref=${cardInput} value=${cardText} inputmode="numeric" autocomplete="off" disabled=${frozen}
              onInput=${(e) => setCardText(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled=${frozen || !online}>${t('checkout.card.look_up')}</button>
          ${panel && !frozen && html`<button type="button" onClick=${() => { setPanel(null); setRedeem(0); }}>${t('checkout.card.clear')}</button>`}
          ${cardFailure && html`<p class="refusal" role="alert">${cardFailure.key ? t(cardFailure.key) : errorMessage(t, cardFailure.failure)}</p>`}
          ${!online && html`<p class="reason">${t('checkout.offline')}</p>`}
        </form>
      </div>

      <div class="sale-main">
        <form class="line-entry" aria-label=${t('checkout.line.form')} onSubmit=${addLine}>
          <label><span>${t('checkout.line.sku')} <kbd>F4</kbd></span>
            <input ref=${skuInput} value=${draft.sku} onInput=${field('sku')} disabled=${frozen || done} autocomplete="off"
              aria-invalid=${Boolean(problems.sku)} />
          </label>
          <label>${t('checkout.line.class')}
            <select value=${draft.class} onChange=${field('class')} disabled=${frozen || done}>
              ${GOODS_CLASSES.map((c) => html`<option value=${c}>${t(`checkout.class.${c}`)}</option>`)}
            </select>
          </label>
          <label>${t('checkout.line.unit_price')}
            <input value=${draft.unit_price} onInput=${field('unit_price')} inputmode="decimal" disabled=${frozen || done}
              aria-invalid=${Boolean(problems.unit_price)} autocomplete="off" />
          </label>
          <label>${t('checkout.line.quantity')}
            <input value=${draft.quantity} onInput=${field('quantity')} inputmode="numeric" disabled=${frozen || done}
              aria-invalid=${Boolean(problems.quantity)} autocomplete="off" class="short" />
          </label>
          ${draft.class === 'sale' && html`<label>${t('checkout.line.original_price')}
            <input value=${draft.original_unit_price} onInput=${field('original_unit_price')} inputmode="decimal"
              disabled=${frozen || done} aria-invalid=${Boolean(problems.original_unit_price)} autocomplete="off" />
          </label>`}
          <label class="check">
            <input type="checkbox" checked=${draft.other_promotion} onChange=${field('other_promotion')} disabled=${frozen || done} />
            ${t('checkout.line.other_promotion')}
          </label>
          <button type="submit" disabled=${frozen || done}>${t('checkout.line.add')}</button>
          ${Object.values(problems).length > 0 && html`<p class="refusal" role="alert">${[...new Set(Object.values(problems))].map((k) => t(k)).join(' ')}</p>`}
        </form>

        <details class="paste-basket">
          <summary>${t('checkout.paste.title')}</summary>
          <form onSubmit=${pasteBasket}>
            <label>${t('checkout.paste.label')}
              <textarea rows="4" value=${pasted} onInput=${(e) => setPasted(e.currentTarget.value)} disabled=${frozen || done}></textarea>
            </label>
            <button type="submit" disabled=${frozen || done || !pasted.trim()}>${t('checkout.paste.add')}</button>
            ${pasteFailure && html`<p class="refusal" role="alert">${pasteFailure.line < 0
              ? t(`checkout.paste.bad_${pasteFailure.field}`)
              : t('checkout.paste.bad_line', { line: pasteFailure.line + 1, field: pasteFailure.field })}</p>`}
          </form>
        </details>

        <table class="basket" aria-label=${t('checkout.basket.title')}>
          <thead><tr>
            <th>#</th><th>${t('checkout.line.sku')}</th><th>${t('checkout.line.class')}</th>
            <th class="amount">${t('checkout.line.quantity')}</th><th class="amount">${t('checkout.line.unit_price')}</th>
            <th class="amount">${t('checkout.basket.gross')}</th><th>${t('checkout.basket.benefit')}</th>
            <th class="amount">${t('checkout.basket.discount')}</th><th class="amount">${t('checkout.basket.redeemed')}</th>
            <th class="amount">${t('checkout.basket.paid')}</th><th class="amount">${t('checkout.basket.points')}</th><th><span class="sr-only">${t('checkout.basket.remove')}</span></th>
          </tr></thead>
          <tbody>
            ${lines.length === 0 && html`<tr><td colspan="12">${t('checkout.basket.empty')}</td></tr>`}
            ${lines.map((l, i) => {
              const q = lineQuote(i);
              const refused = quoteFailure?.field?.startsWith(`lines[${i}]`);
              return html`<tr key=${i} data-line=${i} aria-invalid=${refused ? 'true' : undefined}>
                <td>${i + 1}</td><td>${l.sku}${l.other_promotion ? ` · ${t('checkout.line.promo_short')}` : ''}</td>
                <td>${t(`checkout.class.${l.class}`)}</td>
                <td class="amount">${l.quantity}</td><td class="amount">${money(l.unit_price, t.lang)}</td>
                <td class="amount">${q ? money(q.gross, t.lang) : '—'}</td>
                <td class="benefit" data-benefit=${q?.benefit ?? ''}>${q ? html`${t(`checkout.benefit.${why(q)}`)}${q.rate !== '1' && q.benefit !== 'none' ? ` ×${q.rate}` : ''}` : '—'}</td>
                <td class="amount">${q ? money(q.discount, t.lang) : '—'}</td>
                <td class="amount">${q ? money(q.redemption_share, t.lang) : '—'}</td>
                <td class="amount">${q ? money(q.paid, t.lang) : '—'}</td>
                <td class="amount">${q ? points(q.points_earned, t.lang) : '—'}</td>
                <td><button type="button" disabled=${frozen || done} aria-label=${t('checkout.basket.remove_line', { n: i + 1 })}
                  onClick=${() => setLines((ls) => ls.filter((_, j) => j !== i))}>×</button></td>
              </tr>`;
            })}
          </tbody>
        </table>
        ${quoteFailure && html`<p class="refusal" role="alert">${errorMessage(t, quoteFailure)}</p>`}
        ${quoting && lines.length > 0 && html`<p class="quoting" role="status">${t('checkout.quote.working')}</p>`}

        ${current && html`<div class="quote-summary" aria-label=${t('checkout.quote.title')} role="group">
          ${quote.birthday && html`<p class="banner birthday">${t('checkout.quote.birthday')}</p>`}
          ${quote.group_purchase && html`<p class="banner">${t('checkout.quote.group_purchase')}</p>`}
          ${quote.non_cash_tender && html`<p class="banner">${t('checkout.quote.non_cash')}</p>`}
          <dl class="totals">
            <div><dt>${t('checkout.quote.gross')}</dt><dd>${money(quote.gross_total, t.lang)}</dd></div>
            <div><dt>${t('checkout.quote.discount')}</dt><dd>${money(quote.discount_total, t.lang)}</dd></div>
            <div><dt>${t('checkout.quote.redeemed', { points: points(quote.redeem_points, t.lang) })}</dt><dd>${money(quote.redeem_value, t.lang)}</dd></div>
            <div class="payable"><dt>${t('checkout.quote.payable')}</dt><dd data-testid="payable">${money(quote.payable, t.lang)}</dd></div>
            <div><dt>${t('checkout.quote.points')}</dt><dd>${points(quote.points_earned, t.lang)}</dd></div>
          </dl>
        </div>`}

        <div class="redeem-tenders">
          <label><span>${t('checkout.redeem.label')} <kbd>F6</kbd></span>
            <select ref=${redeemInput} value=${String(redeem)} disabled=${frozen || done || !cardNumber || maxRedeem < unit}
              onChange=${(e) => setRedeem(Number(e.currentTarget.value))}>
              ${redemptionSteps(Math.max(maxRedeem, redeem), unit).map((p) => html`<option value=${String(p)}>${p === 0
                ? t('checkout.redeem.none') : t('checkout.redeem.step', { points: points(p, t.lang) })}</option>`)}
            </select>
          </label>
          <p class="reason">${!cardNumber ? t('checkout.redeem.no_card')
            : t('checkout.redeem.max', { points: points(maxRedeem, t.lang) })}</p>

          <fieldset class="tenders">
            <legend>${t('checkout.tenders.title')} <kbd>F8</kbd></legend>
            ${tenders.map((tender, i) => html`<div class="tender" key=${i}>
              <label>${t('checkout.tenders.kind')}
                <select ref=${i === 0 ? tendersStart : undefined} value=${tender.kind} disabled=${frozen || done}
                  onChange=${(e) => { const kind = e.currentTarget.value; setTenders((ts) => ts.map((x, j) => (j === i ? { ...x, kind } : x))); }}>
                  ${tenderKinds.map((k) => html`<option value=${k}>${kindName(k)}</option>`)}
                </select>
              </label>
              <label>${t('checkout.tenders.amount')}
                <input value=${tender.amount} inputmode="decimal" autocomplete="off" disabled=${frozen || done}
                  onInput=${(e) => { const amount = e.currentTarget.value; setTenders((ts) => ts.map((x, j) => (j === i ? { ...x, amount } : x))); }} />
              </label>
              <button type="button" disabled=${frozen || done || payable === null} onClick=${() => setTenders((ts) => fillWithRest(payable, ts, i))}>${t('checkout.tenders.rest')}</button>
              <button type="button" disabled=${frozen || done} aria-label=${t('checkout.tenders.remove', { n: i + 1 })}
                onClick=${() => setTenders((ts) => ts.filter((_, j) => j !== i))}>×</button>
            </div>`)}
            <button type="button" disabled=${frozen || done} onClick=${() => setTenders((ts) => [...ts, { kind: tenderKinds[0] ?? 'cash', amount: payable !== null ? remaining(payable, ts).replace(/^-.*/, '0.00') : '' }])}>${t('checkout.tenders.add')}</button>
            ${payable !== null && html`<p class="remaining" role="status">${t('checkout.tenders.remaining', { amount: money(remaining(payable, tenders), t.lang) })}</p>`}
          </fieldset>
        </div>

        <div class="commit">
          <button ref=${commitButton} type="button" class="primary commit-button" aria-describedby="commit-why"
            disabled=${commit.phase !== 'unknown' && (Boolean(commitBlocked) || frozen || done)} onClick=${commitSale}>
            ${t(commit.phase === 'unknown' ? 'checkout.commit.check_again' : 'checkout.commit.button')} <kbd>F9</kbd>
          </button>
          <span id="commit-why" class="reason">${commitBlocked && !frozen && !done ? t(commitBlocked) : ''}</span>
          <p class="receipt-no">${t('checkout.commit.receipt_no', { no: receiptNo })}</p>
          <p role="status" class="commit-state" data-phase=${commit.phase}>
            ${commit.phase === 'sending' && t('checkout.commit.sending')}
            ${commit.phase === 'checking' && t('checkout.commit.checking')}
            ${commit.phase === 'unknown' && t('checkout.commit.unknown')}
          </p>
          ${commit.phase === 'failed' && html`<p class="refusal" role="alert">${errorMessage(t, commit.failure)}</p>`}
          ${cancelArmed && html`<p class="refusal" role="alert">${t('checkout.cancel.confirm')}</p>`}
          ${frozen && html`<p class="reason">${t('checkout.cancel.frozen')}</p>`}
        </div>
      </div>
    </div>

    ${done && html`<section class="sale-done" aria-label=${t('checkout.done.title')}>
      <h2>${t('checkout.done.title')}</h2>
      <p class="done-summary" data-testid="sale-done">${t('checkout.done.summary', {
        no: commit.answer.receipt_no, amount: money(commit.answer.quote.payable, t.lang),
      })}</p>
      ${commit.answer.points && html`<p>${t('checkout.done.points', {
        earned: points(commit.answer.points.earned, t.lang), redeemed: points(commit.answer.points.redeemed, t.lang),
        balance: points(commit.answer.points.balance, t.lang), from: date(commit.answer.points.usable_from, t.lang),
      })}</p>`}
      <${PrintOutcomes} outcomes=${commit.answer.print ?? []} online=${online} />
      <button type="button" class="primary" ref=${nextButton} onClick=${newSale}>${t('checkout.done.next')} <kbd>Esc</kbd></button>
    </section>`}
  </div>`;
}
