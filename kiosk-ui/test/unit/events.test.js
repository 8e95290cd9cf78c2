import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEventStream } from '../../app/shared/events.js';

test('complete events are parsed and the unfinished rest is kept', () => {
  const { events, rest } = parseEventStream(
    'event: card_inserted\ndata: {"workstation":"lounge"}\n\n: keep-alive\n\nevent: card_read\ndata: {"a":',
  );
  assert.deepEqual(events, [{ event: 'card_inserted', data: '{"workstation":"lounge"}' }]);
  assert.equal(rest, 'event: card_read\ndata: {"a":');
  const more = parseEventStream(`${rest}1}\n\n`);
  assert.deepEqual(more.events, [{ event: 'card_read', data: '{"a":1}' }]);
  assert.equal(more.rest, '');
});

test('CRLF line ends and multi-line data are understood', () => {
  const { events } = parseEventStream('data: one\r\ndata: two\r\n\r\n');
  assert.deepEqual(events, [{ event: 'message', data: 'one\ntwo' }]);
});
