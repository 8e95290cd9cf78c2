/**
 * Listens for keyboard-wedge scans while `rootRef`'s screen is on show (see wedge.js): a scan
 * goes to `onScan(code)` and nothing of it reaches the focused field; typing is released to
 * the field it was meant for.
 */
import { useEffect, useRef } from 'preact/hooks';
import { wedgeKey, wedgeStart, wedgeTick, WEDGE_DEFAULTS } from './wedge.js';

/** The screen is visible and not under the idle lock. */
export function onShow(element) {
  return Boolean(element) && !element.closest('[hidden]') && !element.closest('[data-locked="true"]');
}

function typeInto(element, text) {
  if (!text || !element) return;
  const editable = (element.tagName === 'INPUT' && !['checkbox', 'radio', 'button', 'submit'].includes(element.type))
    || element.tagName === 'TEXTAREA';
  if (!editable || element.disabled || element.readOnly) return;
  // insertText keeps the caret, the undo history and fires `input` like typing does.
  if (!document.execCommand('insertText', false, text)) {
    element.setRangeText(text, element.selectionStart ?? element.value.length, element.selectionEnd ?? element.value.length, 'end');
    element.dispatchEvent(new Event('input', { bubbles: true }));
  }
}

export function useWedge(rootRef, onScan) {
  const latest = useRef(onScan);
  latest.current = onScan;
  useEffect(() => {
    let state = wedgeStart();
    let target = null;
    let timer = null;
    const flush = () => {
      const { state: next, release } = wedgeTick(state, performance.now() + WEDGE_DEFAULTS.maxGapMs + 1);
      state = next;
      typeInto(target, release);
    };
    const onKey = (event) => {
      if (!onShow(rootRef.current) || event.target?.tagName === 'SELECT' || event.isComposing) return;
      const { state: next, effect } = wedgeKey(state, {
        key: event.key, time: performance.now(), ctrlKey: event.ctrlKey, altKey: event.altKey, metaKey: event.metaKey,
      });
      state = next;
      clearTimeout(timer);
      if (effect.kind === 'pass') {
        if (effect.release && event.key === 'Enter' && event.target?.form) {
          // The released text must reach the form's state before it is submitted.
          event.preventDefault();
          typeInto(target, effect.release);
          const form = event.target.form;
          setTimeout(() => form.requestSubmit(), 0);
          return;
        }
        typeInto(target, effect.release);
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      if (effect.kind === 'scan') {
        target = null;
        latest.current(effect.code);
        return;
      }
      if (effect.release) typeInto(target, effect.release);
      target = event.target;
      timer = setTimeout(flush, WEDGE_DEFAULTS.maxGapMs + 5);
    };
    document.addEventListener('keydown', onKey, true);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('keydown', onKey, true);
    };
  }, []);
}
