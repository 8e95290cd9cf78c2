/**
 * A screen whose code loads the first time it is shown: a workstation's first screen comes with
 * the page, the others only when opened, so the first load stays small.
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { useT } from './language.js';

/** `load()` resolves to the screen's component. */
export function lazyView(load) {
  let loaded = null;
  return function LazyView(props) {
    const t = useT();
    const [View, setView] = useState(() => loaded);
    useEffect(() => {
      if (View) return;
      load().then((component) => {
        loaded = component;
        setView(() => component);
      });
    }, []);
    return View ? html`<${View} ...${props} />` : html`<p class="booting">${t('app.loading')}</p>`;
  };
}
