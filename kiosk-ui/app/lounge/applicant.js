/**
 * The enrolment form's checks, the same as the server's (src/domain/id_document.rs,
 * src/domain/enrolment.rs `check_applicant`), so the clerk sees a mistyped ID number or an
 * applicant under age before anything is sent. The server checks again and its answer is
 * final; these only say which field to fix and why (a `lounge.check.<reason>` message).
 * Pure: dates are "YYYY-MM-DD" strings and `today` is an argument.
 */

/** R-ENR-2: passport / other document numbers are 5–20 letters or digits. */
export const OTHER_MIN_LEN = 5;
export const OTHER_MAX_LEN = 20;
/** R-ENR-5: name length in characters. */
export const NAME_MAX_CHARS = 50;

/** GB 11643 weights for the first 17 characters. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/** Check character indexed by the weighted sum mod 11. */
const CHECK_CHARS = '10X98765432';

/** The GB 11643 check character for 17 digits; null if `body` is not that. */
export function checkChar(body) {
  if (typeof body !== 'string' || !/^\d{17}$/.test(body)) return null;
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += Number(body[i]) * WEIGHTS[i];
  return CHECK_CHARS[sum % 11];
}

/** "YYYYMMDD" → "YYYY-MM-DD" if that day exists, else null. */
export function embeddedBirthDate(digits) {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(digits ?? '');
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const at = new Date(Date.UTC(2000, month - 1, day));
  at.setUTCFullYear(year);
  const real = at.getUTCFullYear() === year && at.getUTCMonth() === month - 1 && at.getUTCDate() === day;
  return real ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

/** Whole years from `birth` to `today` (both "YYYY-MM-DD"), as src/domain/birthday.rs `age_on`. */
export function ageOn(birth, today) {
  const [by, bm, bd] = birth.split('-').map(Number);
  const [ty, tm, td] = today.split('-').map(Number);
  let age = ty - by;
  if (tm < bm || (tm === bm && td < bd)) age -= 1;
  return age;
}

const isDay = (value) => /^\d{4}-\d{2}-\d{2}$/.test(value ?? '') && embeddedBirthDate(value.replaceAll('-', '')) !== null;

const problem = (field, rule, reason, params = {}) => ({ field, rule, reason, params });

/**
 * R-ENR-2: the document number as the server would store it (trimmed, upper-cased), or the
 * problem `{field, rule, reason}`: `id_document.number`, or `birth_date` when the date inside
 * a PRC resident ID differs from the birth date entered.
 */
export function checkIdDocument({ kind, number }, birthDate) {
  const normal = String(number ?? '').trim().toUpperCase();
  if (!normal) return { problem: problem('id_document.number', 'R-ENR-2', 'id_missing') };
  if (kind === 'prc_resident') {
    if (!/^\d{17}[\dX]$/.test(normal)) return { problem: problem('id_document.number', 'R-ENR-2', 'prc_shape') };
    if (checkChar(normal.slice(0, 17)) !== normal[17]) {
      return { problem: problem('id_document.number', 'R-ENR-2', 'prc_check_char') };
    }
    const inside = embeddedBirthDate(normal.slice(6, 14));
    if (!inside) return { problem: problem('id_document.number', 'R-ENR-2', 'prc_date_not_real') };
    if (inside !== birthDate) return { problem: problem('birth_date', 'R-ENR-2', 'prc_birth_date_differs') };
  } else {
    const ok = normal.length >= OTHER_MIN_LEN && normal.length <= OTHER_MAX_LEN && /^[A-Z0-9]+$/.test(normal);
    if (!ok) {
      return { problem: problem('id_document.number', 'R-ENR-2', 'other_shape', { min: OTHER_MIN_LEN, max: OTHER_MAX_LEN }) };
    }
  }
  return { number: normal };
}

/** R-ENR-5: spaces and dashes removed; 11-digit mobile starting with 1, or + and 7–15 digits. */
export function normalisePhone(raw) {
  const phone = String(raw ?? '').replace(/[\s-]/g, '');
  if (!phone) return { problem: problem('phone', 'R-ENR-5', 'phone_missing') };
  const ok = phone.startsWith('+') ? /^\+\d{7,15}$/.test(phone) : /^1\d{10}$/.test(phone);
  return ok ? { phone } : { problem: problem('phone', 'R-ENR-5', 'phone_shape') };
}

/**
 * Every problem with the applicant, at most one per field, in the server's order (name,
 * phone, birth date, ID document, e-mail): `[{field, rule, reason, params}]`, empty when the
 * server's checks would pass. `minAge` comes from the policy in force (R-ENR-1).
 */
export function checkApplicant(applicant, today, minAge) {
  const problems = [];
  const name = String(applicant.name ?? '').trim();
  if (!name) problems.push(problem('name', 'R-ENR-5', 'name_missing'));
  else if ([...name].length > NAME_MAX_CHARS) problems.push(problem('name', 'R-ENR-5', 'name_long', { max: NAME_MAX_CHARS }));

  const phone = normalisePhone(applicant.phone);
  if (phone.problem) problems.push(phone.problem);

  const birth = applicant.birth_date ?? '';
  let birthOk = false;
  if (!isDay(birth)) problems.push(problem('birth_date', 'R-ENR-5', 'birth_date_missing'));
  else if (birth > today) problems.push(problem('birth_date', 'R-ENR-5', 'birth_date_future'));
  else if (ageOn(birth, today) < minAge) problems.push(problem('birth_date', 'R-ENR-1', 'under_age', { age: minAge }));
  else birthOk = true;

  if (!applicant.sex) problems.push(problem('sex', 'R-ENR-5', 'sex_missing'));

  const doc = checkIdDocument(applicant.id_document ?? {}, birth);
  // A date mismatch is only worth saying once the birth date itself is right.
  if (doc.problem && (doc.problem.field !== 'birth_date' || birthOk)) problems.push(doc.problem);

  const email = String(applicant.email ?? '').trim();
  if (email && !isPlausibleEmail(email)) problems.push(problem('email', 'R-ENR-5', 'email_shape'));
  return problems.filter((p, i) => problems.findIndex((q) => q.field === p.field) === i);
}

/** Exactly one `@`, text on both sides, no whitespace. */
function isPlausibleEmail(email) {
  const parts = email.split('@');
  return parts.length === 2 && parts[0] !== '' && parts[1] !== '' && !/\s/.test(email);
}

/**
 * The request body's applicant: trimmed and normalised as the server would, optional fields
 * left out when blank.
 */
export function applicantBody(form) {
  const optional = (v) => (String(v ?? '').trim() ? String(v).trim() : undefined);
  return {
    name: String(form.name ?? '').trim(),
    sex: form.sex,
    birth_date: form.birth_date,
    phone: String(form.phone ?? '').replace(/[\s-]/g, ''),
    id_document: { kind: form.id_document.kind, number: String(form.id_document.number ?? '').trim().toUpperCase() },
    address: optional(form.address),
    email: optional(form.email),
    preferences: optional(form.preferences),
  };
}

/**
 * The form input a server refusal belongs to: the enrolment answers name fields under
 * `applicant.` (`applicant.id_document.number`); R-ENR-3 names `applicant.id_document`, the
 * document as a whole, which the clerk fixes at its number.
 */
export function formField(serverField) {
  if (!serverField) return null;
  const field = serverField.replace(/^applicant\./, '');
  if (field === 'id_document' || field === 'id_document.kind') return 'id_document.number';
  return field;
}

/** A receipt number as typed or scanned: trimmed; blank is nothing. */
export function receiptNumber(raw) {
  return String(raw ?? '').trim();
}

/** Adds `raw` to `receipts` unless blank or already there: `{receipts, problem}`. */
export function addReceipt(receipts, raw) {
  const no = receiptNumber(raw);
  if (!no) return { receipts, problem: null };
  if (receipts.includes(no)) return { receipts, problem: 'receipt_twice' };
  return { receipts: [...receipts, no], problem: null };
}
