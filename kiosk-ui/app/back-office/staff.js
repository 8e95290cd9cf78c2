/**
 * Staff and roles: the store's accounts with their state, adding one with a first PIN,
 * changing a role, (de)activating, lifting a wrong-PIN lock and setting a new PIN. Head-office
 * admin accounts are listed but managed by head office. The server decides; a refusal is
 * shown at the field it names.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { get, patch, post } from '../shared/api.js';
import { errorField, errorMessage } from '../shared/errors.js';
import { DataTable } from './data-table.js';
import { STORE_ROLES, sortStaff, staffState } from './staff-state.js';

export function StaffScreen({ who }) {
  const t = useT();
  const [accounts, setAccounts] = useState(null);
  const [failure, setFailure] = useState(null);
  const [done, setDone] = useState('');
  const [pinFor, setPinFor] = useState(null);

  const load = () => get('/api/staff').then((a) => setAccounts(sortStaff(a)), setFailure);
  useEffect(() => { load(); }, []);

  const act = async (text, call) => {
    setFailure(null);
    setDone('');
    try {
      await call();
      setDone(text);
      await load();
    } catch (f) {
      setFailure(f);
    }
  };
  const path = (a) => `/api/staff/${encodeURIComponent(a.staff_number)}`;
  const state = (a) => staffState(a, Date.now());

  const actions = (a) => {
    if (a.role === 'hq_admin') return html`<span class="muted">${t('backoffice.staff.by_head_office')}</span>`;
    if (a.staff_number === who?.staff_number) return html`<span class="muted">${t('backoffice.staff.you')}</span>`;
    const named = { staff: a.staff_number };
    return html`<div class="row-actions">
      <label class="inline">${t('backoffice.staff.role_of', named)}
        <select value=${a.role} onChange=${(e) => act(t('backoffice.staff.done.role', named),
          () => patch(path(a), { role: e.currentTarget.value }))}>
          ${STORE_ROLES.map((r) => html`<option value=${r}>${t(`role.${r}`)}</option>`)}
        </select></label>
      <button type="button" onClick=${() => act(t(a.active ? 'backoffice.staff.done.deactivated' : 'backoffice.staff.done.activated', named),
        () => patch(path(a), { active: !a.active }))}>${t(a.active ? 'backoffice.staff.deactivate' : 'backoffice.staff.activate')}</button>
      ${state(a) === 'locked' && html`<button type="button" onClick=${() => act(t('backoffice.staff.done.unlocked', named),
        () => post(`${path(a)}/unlock`))}>${t('backoffice.staff.unlock')}</button>`}
      <button type="button" onClick=${() => setPinFor(a.staff_number)}>${t('backoffice.staff.reset_pin')}</button>
    </div>`;
  };

  return html`<div class="staff">
    <h2>${t('backoffice.staff.title')}</h2>
    <${AddStaff} onAdded=${(number) => { setDone(t('backoffice.staff.done.added', { staff: number })); load(); }} />
    ${pinFor && html`<${ResetPin} staff=${pinFor} onClose=${(ok) => {
      if (ok) setDone(t('backoffice.staff.done.pin', { staff: pinFor }));
      setPinFor(null);
    }} />`}
    <p class="done" role="status">${done}</p>
    ${failure && html`<p class="refusal" role="alert">${errorMessage(t, failure)}</p>`}
    ${accounts && html`<${DataTable} caption=${t('backoffice.staff.list')} exportName="staff"
      rows=${accounts.map((a) => ({ ...a, key: a.staff_number }))}
      columns=${[
        { key: 'staff_number', label: 'backoffice.staff.col.number' },
        { key: 'name', label: 'backoffice.staff.col.name' },
        { key: 'role', label: 'backoffice.staff.col.role', cell: (a) => t(`role.${a.role}`), csv: (a) => t(`role.${a.role}`) },
        { key: 'state', label: 'backoffice.staff.col.state', cell: (a) => html`<span class="state" data-state=${state(a)}>${t(`backoffice.staff.state.${state(a)}`)}</span>`,
          csv: (a) => t(`backoffice.staff.state.${state(a)}`) },
        { key: 'wrong_pins', label: 'backoffice.staff.col.wrong_pins', amount: true },
        { key: 'actions', label: 'backoffice.staff.col.actions', cell: actions, csv: () => '' },
      ]} />`}
  </div>`;
}

/** The form adding an account; a refusal is shown beside the field the server names. */
function AddStaff({ onAdded }) {
  const t = useT();
  const empty = { staff_number: '', name: '', role: 'cashier', pin: '' };
  const [form, setForm] = useState(empty);
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const field = errorField(failure);
  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setFailure(null);
    try {
      await post('/api/staff', { ...form, staff_number: form.staff_number.trim(), name: form.name.trim() });
      onAdded(form.staff_number.trim());
      setForm(empty);
    } catch (f) {
      setFailure(f);
    } finally {
      setBusy(false);
    }
  };
  const input = (name, props = {}) => html`<label>${t(`backoffice.staff.field.${name}`)}
    <input name=${name} value=${form[name]} required aria-invalid=${field === name}
      aria-describedby=${field === name ? 'add-staff-refusal' : undefined}
      onInput=${(e) => setForm({ ...form, [name]: e.currentTarget.value })} ...${props} /></label>`;
  return html`<form class="add-staff" onSubmit=${submit} aria-labelledby="add-staff-title">
    <h3 id="add-staff-title">${t('backoffice.staff.add')}</h3>
    <div class="fields">
      ${input('staff_number', { autocomplete: 'off' })}
      ${input('name', { autocomplete: 'off' })}
      <label>${t('backoffice.staff.field.role')}
        <select name="role" value=${form.role} onChange=${(e) => setForm({ ...form, role: e.currentTarget.value })}>
          ${STORE_ROLES.map((r) => html`<option value=${r}>${t(`role.${r}`)}</option>`)}
        </select></label>
      ${input('pin', { type: 'password', inputmode: 'numeric', autocomplete: 'new-password' })}
      <button type="submit" disabled=${busy}>${t('backoffice.staff.add_submit')}</button>
    </div>
    <p class="hint">${t('backoffice.staff.pin_hint')}</p>
    ${failure && html`<p class="refusal" id="add-staff-refusal" role="alert">${errorMessage(t, failure)}</p>`}
  </form>`;
}

/** A new PIN for one staff member; Esc or Cancel closes without change. */
function ResetPin({ staff, onClose }) {
  const t = useT();
  const [pin, setPin] = useState('');
  const [failure, setFailure] = useState(null);
  const first = useRef(null);
  useEffect(() => first.current?.focus(), []);
  const submit = async (e) => {
    e.preventDefault();
    setFailure(null);
    try {
      await post(`/api/staff/${encodeURIComponent(staff)}/pin`, { pin });
      onClose(true);
    } catch (f) {
      setFailure(f);
    }
  };
  return html`<form class="reset-pin" onSubmit=${submit} onKeyDown=${(e) => e.key === 'Escape' && onClose(false)}
    aria-labelledby="reset-pin-title">
    <h3 id="reset-pin-title">${t('backoffice.staff.reset_pin_for', { staff })}</h3>
    <label>${t('backoffice.staff.field.new_pin')}
      <input ref=${first} name="new_pin" type="password" inputmode="numeric" autocomplete="new-password" required
        value=${pin} onInput=${(e) => setPin(e.currentTarget.value)} aria-invalid=${!!failure} /></label>
    ${failure && html`<p class="refusal" role="alert">${errorMessage(t, failure)}</p>`}
    <div class="row-actions">
      <button type="submit">${t('backoffice.staff.reset_pin_submit')}</button>
      <button type="button" onClick=${() => onClose(false)}>${t('backoffice.cancel')}</button>
    </div>
  </form>`;
}
