/**
 * For the workstation screens: may a money, points or card action start now? Use
 * `const {allowed, reason, message} = useActionsAllowed({card: true})` (card: it uses this
 * workstation's reader), disable the action's button while `!allowed` and show `message`, or
 * render `<${ActionsBlocked} card />` next to it. Nothing is queued while the server is
 * unreachable; the state clears by itself when it is back (the shell polls its health).
 */
import { html } from './html.js';
import { useT } from './language.js';
import { createStore, useStore } from './store.js';
import { connection } from './api.js';
import { useReader } from './reader.js';
import { actionsAllowed } from './status.js';

/** The workstation this page is (set by the shell). */
export const currentWorkstation = createStore({ id: '', kind: '', reader: false, printer: false });

/** `{allowed, reason, message}`: `reason` an error code, `message` its text in the operator's language. */
export function useActionsAllowed({ card = false } = {}) {
  const t = useT();
  const link = useStore(connection);
  const reader = useReader();
  const workstation = useStore(currentWorkstation);
  const { allowed, reason } = actionsAllowed(link, workstation, reader, { card });
  return { allowed, reason, message: reason ? t(`error.${reason}`) : null };
}

/** The reason actions are off, shown where the action is (nothing when they are allowed). */
export function ActionsBlocked({ card = false }) {
  const { allowed, message } = useActionsAllowed({ card });
  return allowed ? null : html`<p class="refusal blocked" role="status">${message}</p>`;
}
