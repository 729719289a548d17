// The account rules the card applies offline, the same as the server's
// (fieldcrm/accounts/rules.py and CustomFieldDefinition.problem_with): which status may follow
// which, and what each custom-field kind accepts. The server checks again; these keep the rep
// from queuing an edit that can only be refused.

/** Which status may follow which (rules.TRANSITIONS). A customer never goes back to lead. */
export const TRANSITIONS = {
  lead: ["prospect", "customer", "disqualified"],
  prospect: ["customer", "disqualified"],
  customer: ["churned"],
  disqualified: ["lead", "prospect"],
  churned: ["customer", "prospect"],
};

/**
 * @param {string} status
 * @returns {string[]} the statuses an account of this status may move to
 */
export function nextStatuses(status) {
  return TRANSITIONS[status] || [];
}

/**
 * Read a custom field's widget value as the server stores it, or say why it does not fit.
 * ``raw``: the input's text (a checkbox's ``checked`` for a boolean). An empty text is "no
 * value" (null), refused only for a required field.
 * @param {{key: string, kind: string, choices?: any[], is_required?: boolean,
 *   min_value?: number|null, max_value?: number|null}} def
 * @param {string|boolean} raw
 * @returns {{value: any}|{error: string, params?: object}} ``error``: a message key
 */
export function readCustomValue(def, raw) {
  if (def.kind === "boolean") return { value: Boolean(raw) };
  const text = typeof raw === "string" ? raw.trim() : "";
  if (text === "") return def.is_required ? { error: "cf_required" } : { value: null };
  if (def.kind === "number") {
    // "1,5" is how many of our reps type a decimal: read it as 1.5, as the number input does.
    const n = Number(text.replace(",", "."));
    if (!Number.isFinite(n)) return { error: "cf_expected_number" };
    if (def.min_value != null && n < def.min_value) return { error: "cf_at_least", params: { min: def.min_value } };
    if (def.max_value != null && n > def.max_value) return { error: "cf_at_most", params: { max: def.max_value } };
    return { value: n };
  }
  if (def.kind === "date") {
    const ok = /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`))
      && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text); // prettier-ignore
    return ok ? { value: text } : { error: "cf_expected_date" };
  }
  if (def.kind === "choice") {
    const choice = (def.choices || []).find((c) => String(c) === text);
    return choice === undefined ? { error: "cf_expected_choice" } : { value: choice };
  }
  return { value: text };
}

/**
 * The custom fields after an edit: ``values`` (key → value, null = cleared) over the current
 * ones, with cleared keys left out, and whether anything changed.
 * @param {Record<string, any>|null|undefined} current
 * @param {Record<string, any>} values
 * @returns {{merged: Record<string, any>, changed: boolean}}
 */
export function mergeCustomFields(current, values) {
  const before = current || {};
  const merged = { ...before };
  let changed = false;
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === undefined) {
      if (key in merged) {
        delete merged[key];
        changed = true;
      }
    } else if (merged[key] !== value) {
      merged[key] = value;
      changed = true;
    }
  }
  return { merged, changed };
}
