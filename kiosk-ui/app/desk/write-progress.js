/** The new card's write, live from this desk's reader: waiting for a card, writing, written and read back, done, or pulled. */
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';

const ORDER = ['insert_card', 'writing', 'written', 'done'];

export function WriteProgress({ step }) {
  const t = useT();
  // Where the track stands: a card ready (or being read) is still the first step.
  const at = { writing: 1, written: 2, done: 3 }[step] ?? 0;
  return html`<div class="write-progress" data-step=${step}>
    <ol class="track" aria-hidden="true">
      ${ORDER.map((s, i) => html`<li key=${s} data-state=${i < at ? 'past' : i === at ? 'now' : 'next'}>${t(`desk.write.track.${s}`)}</li>`)}
    </ol>
    <p class="step" role="status" aria-live="polite">${t(`desk.write.${step}`)}</p>
  </div>`;
}
