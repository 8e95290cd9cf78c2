/** Sign-in: staff number and PIN; the workstation is this page's, shown, not typed. */
import { useState } from 'preact/hooks';
import { html } from './html.js';
import { useT } from './language.js';
import { signIn } from './session.js';
import { errorMessage } from './errors.js';

export function SignIn({ workstation, lockedFor = null, onSignedIn = () => {} }) {
  const t = useT();
  const [staffNumber, setStaffNumber] = useState(lockedFor ?? '');
  const [pin, setPin] = useState('');
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setFailure(null);
    try {
      const who = await signIn(staffNumber.trim(), pin, workstation.id);
      onSignedIn(who);
    } catch (f) {
      setFailure(f);
    } finally {
      setPin('');
      setBusy(false);
    }
  };
  return html`<form class="sign-in" onSubmit=${submit} aria-labelledby="sign-in-title">
    <h1 id="sign-in-title">${lockedFor ? t('lock.title') : t('signin.title')}</h1>
    <p class="workstation">${t('signin.workstation', { id: workstation.id, kind: t(`workstation.kind.${workstation.kind}`) })}</p>
    <label>${t('signin.staff_number')}
      <input name="staff_number" autocomplete="username" required value=${staffNumber}
        readOnly=${!!lockedFor} onInput=${(e) => setStaffNumber(e.currentTarget.value)} />
    </label>
    <label>${t('signin.pin')}
      <input name="pin" type="password" inputmode="numeric" autocomplete="current-password" required
        value=${pin} onInput=${(e) => setPin(e.currentTarget.value)} autoFocus=${!!lockedFor} />
    </label>
    ${failure && html`<p class="refusal" role="alert">${errorMessage(t, failure)}</p>`}
    <button type="submit" disabled=${busy}>${lockedFor ? t('lock.unlock') : t('signin.submit')}</button>
  </form>`;
}
