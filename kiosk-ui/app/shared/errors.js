/**
 * API refusals in the operator's words. The API answers `{error, code, rule?, field?}`; `code`
 * is stable (a rule id such as `R-ENR-1`, or a snake_case code such as `card_removed`), and
 * each has a message `error.<code>` in both catalogs saying what to do next. The UI never
 * matches the English `error` text.
 */

/** Codes the client itself gives when no answer came (never sent by the server). */
export const CLIENT_CODES = ['server_unreachable', 'result_unknown', 'bad_answer'];

/** A refusal or a failure to get an answer; what every API call throws. */
export class ApiFailure extends Error {
  constructor({ status = 0, code, rule = null, field = null, message = '' }) {
    super(message || code);
    this.name = 'ApiFailure';
    this.status = status;
    this.code = code;
    this.rule = rule;
    this.field = field;
  }

  /** No answer arrived: the operation may or may not have happened. */
  get unknown() {
    return this.code === 'result_unknown';
  }
}

/** The failure an error body describes (a body that is not the error JSON still gets a code). */
export function failureFromBody(status, body) {
  const ok = body && typeof body === 'object' && typeof body.code === 'string';
  return new ApiFailure({
    status,
    code: ok ? body.code : 'bad_answer',
    rule: ok ? body.rule ?? null : null,
    field: ok ? body.field ?? null : null,
    message: ok ? String(body.error ?? '') : `HTTP ${status}`,
  });
}

/**
 * The message to show for a failure, ending with the rule id when a rule refused (staff and
 * the rule book both name rules by id, e.g. "… (R-ENR-4)").
 */
export function errorMessage(t, failure) {
  const code = failure?.code ?? 'bad_answer';
  const key = `error.${code}`;
  if (!t.has(key)) return t('error.unlisted', { code });
  return failure?.rule ? `${t(key)} (${failure.rule})` : t(key);
}

/** Which form field a refusal belongs to (`field` from the server), if any. */
export function errorField(failure) {
  return failure?.field ?? null;
}
