// A contact's fields checked on the phone as the server checks them (accounts/schemas.py
// ContactIn / ContactPatch, the Contact model): a name (1-200), role up to 120, phone up to 40,
// an e-mail address (the model's 254) or none. The server stays the judge: what it refuses
// anyway comes back as a rejected edit (More).

/** The fields the phone edits, with the server's length limits. */
export const CONTACT_FIELDS = { name: 200, role: 120, phone: 40, email: 254 };

// The shape email-validator accepts in practice: one @, no spaces, a dotted domain whose
// labels are letters, digits and hyphens (not at either end).
const EMAIL = /^[^\s@"(),:;<>[\\\]]+@(?:[A-Za-z0-9\u00a1-\uffff](?:[A-Za-z0-9\u00a1-\uffff-]*[A-Za-z0-9\u00a1-\uffff])?\.)+[A-Za-z\u00a1-\uffff]{2,}$/u;

/**
 * @param {{name?: string, role?: string, phone?: string, email?: string}} input
 * @returns {{values: {name: string, role: string, phone: string, email: string},
 *   errors: Record<string, {key: string, params?: object}>}} trimmed values, and per field the
 *   message's i18n key (none: valid)
 */
export function checkContact(input) {
  const values = Object.fromEntries(Object.keys(CONTACT_FIELDS).map((f) => [f, String(input[f] ?? "").trim()]));
  const errors = {};
  for (const [name, max] of Object.entries(CONTACT_FIELDS)) {
    if ([...values[name]].length > max) errors[name] = { key: "too_long", params: { max } };
  }
  if (!values.name) errors.name = { key: "contact_name_required" };
  if (values.email && !errors.email && !EMAIL.test(values.email)) errors.email = { key: "email_invalid" };
  return { values, errors };
}
