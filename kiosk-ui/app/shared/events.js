/**
 * The card readers' live events (`GET /api/readers/events`, text/event-stream), read with
 * `fetch` so the bearer token goes in a header: a browser `EventSource` can't send one, and
 * the token never goes in a URL. Reconnects after a drop; the parser is pure and tested.
 */
import { getToken } from './api.js';

/**
 * Splits what has arrived so far into complete events and the unfinished rest.
 * Returns `{events: [{event, data}], rest}`; `data` is the joined `data:` lines.
 */
export function parseEventStream(buffer) {
  const events = [];
  const normalised = buffer.replace(/\r\n?/g, '\n');
  const blocks = normalised.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

/**
 * Follows the reader events until `signal` aborts: `onEvent(name, payload)` for each, and
 * `onLink(up)` when the stream connects or drops. Retries with a growing pause (≤ 5 s).
 */
export async function followReaderEvents({ onEvent, onLink = () => {}, signal }) {
  let pause = 250;
  while (!signal.aborted) {
    try {
      const answer = await fetch('/api/readers/events', {
        headers: { accept: 'text/event-stream', authorization: `Bearer ${getToken()}` },
        signal,
      });
      if (!answer.ok || !answer.body) throw new Error(`events: ${answer.status}`);
      onLink(true);
      pause = 250;
      const reader = answer.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parsed = parseEventStream(buffer + value);
        buffer = parsed.rest;
        for (const { event, data } of parsed.events) {
          try {
            onEvent(event, JSON.parse(data));
          } catch {
            // A malformed event is skipped; the next status poll corrects the picture.
          }
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    onLink(false);
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 5000);
  }
}
