/**
 * A supervisor's approval typed at the desk: staff number and PIN. The PIN lives only in the
 * owning screen's state until the one request that uses it, which then clears it.
 */
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';

export const NO_SUPERVISOR = { staff: '', pin: '' };

export function SupervisorPin({ value, onChange, legend }) {
  const t = useT();
  return html`<fieldset class="supervisor-pin">
    <legend>${legend}</legend>
    <label>${t('desk.supervisor.staff')}
      <input name="supervisor" autocomplete="off" value=${value.staff}
        onInput=${(e) => onChange({ ...value, staff: e.currentTarget.value })} />
    </label>
    <label>${t('desk.supervisor.pin')}
      <input name="supervisor_pin" type="password" inputmode="numeric" autocomplete="off" value=${value.pin}
        onInput=${(e) => onChange({ ...value, pin: e.currentTarget.value })} />
    </label>
  </fieldset>`;
}
