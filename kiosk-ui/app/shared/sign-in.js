/**
 * Sign-in: staff number and PIN; the workstation is this page's, shown, not typed. Enter
 * submits; a refusal is said in the operator's words and the PIN is cleared for the next try.
 * Unlocking after the idle lock is the same form with the staff number fixed (`lockedFor`).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { useT } from './language.js';
import { signIn } from './session.js';
import { errorMessage } from './errors.js';

export function SignIn({ workstation, storeName = '', lockedFor = null, lockedName = null, onSignedIn = () => {} }) {
  const t = useT();
  const [staffNumber, setStaffNumber] = useState(lockedFor ?? '');
  const [pin, setPin] = useState('');
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const staffField = useRef(null);
  const pinField = useRef(null);
  useEffect(() => {
    (lockedFor ? pinField : staffField).current?.focus();
  }, [lockedFor]);
  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    if (!staffNumber.trim() || !pin) {
      (staffNumber.trim() ? pinField : staffField).current?.focus();
      return;
    }
    setBusy(true);
    setFailure(null);
    let who = null;
    try {
      who = await signIn(staffNumber.trim(), pin, workstation.id);
    } catch (f) {
      setFailure(f);
      setPin('');
      // Back to the field to type again: the PIN, or the staff number if none was typed.
      setTimeout(() => (staffNumber.trim() ? pinField : staffField).current?.focus(), 0);
    } finally {
      setBusy(false);
    }
    if (who) onSignedIn(who);
  };
  return html`<form class="sign-in" onSubmit=${submit} aria-labelledby="sign-in-title" novalidate>
    ${storeName && html`<p class="store-name">${storeName}</p>`}
    <h1 id="sign-in-title">${lockedFor ? t('lock.title') : t('signin.title')}</h1>
    <p class="workstation">${t('signin.workstation', { id: workstation.id, kind: t(`workstation.kind.${workstation.kind}`) })}</p>
    ${lockedFor && html`<p class="lock-explain">${t('lock.explain', { name: lockedName ?? lockedFor, staff_number: lockedFor })}</p>`}
    <label>${t('signin.staff_number')}
      <input name="staff_number" ref=${staffField} autocomplete="username" required value=${staffNumber}
        readOnly=${!!lockedFor} aria-invalid=${failure && !staffNumber.trim() ? 'true' : undefined}
        onInput=${(e) => setStaffNumber(e.currentTarget.value)} />
    </label>
    <label>${t('signin.pin')}
      <input name="pin" ref=${pinField} type="password" inputmode="numeric" autocomplete="current-password" required
        value=${pin} aria-invalid=${failure ? 'true' : undefined} onInput=${(e) => setPin(e.currentTarget.value)} />
    </label>
    ${failure && html`<p class="refusal" role="alert">${errorMessage(t, failure)}</p>`}
    <button type="submit" disabled=${busy}>${lockedFor ? t('lock.unlock') : t('signin.submit')}</button>
  </form>`;
}
