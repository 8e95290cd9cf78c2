/** A tiny observable value (session, language, connectivity) and the hook that re-renders on change. */
import { useEffect, useState } from 'preact/hooks';

export function createStore(initial) {
  let value = initial;
  const listeners = new Set();
  const store = {
    get: () => value,
    set(next) {
      value = next;
      for (const listener of [...listeners]) listener(value);
    },
    /** Sets the value `change(current)` returns. */
    update(change) {
      store.set(change(value));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return store;
}

/** The store's current value; the component re-renders when it changes. */
export function useStore(store) {
  const [value, setValue] = useState(() => store.get());
  useEffect(() => {
    setValue(() => store.get());
    // Wrapped: a value that is itself a function (a translator) must not be taken as an updater.
    return store.subscribe((next) => setValue(() => next));
  }, [store]);
  return value;
}
