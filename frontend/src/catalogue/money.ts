/** Money as the API sends it (decimal strings, never floats), written the way India reads it. */

/** "125000.00" → "1,25,000": lakh and crore grouping (the last three digits, then pairs). */
export function groupIndian(digits: string): string {
  if (digits.length <= 3) return digits;
  const last = digits.slice(-3);
  let rest = digits.slice(0, -3);
  const pairs: string[] = [];
  while (rest.length > 2) {
    pairs.unshift(rest.slice(-2));
    rest = rest.slice(0, -2);
  }
  if (rest) pairs.unshift(rest);
  return `${pairs.join(",")},${last}`;
}

function groupWestern(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "125000.00", "INR" → "₹ 1,25,000"; "2450.50" → "₹ 2,450.50"; other currencies by code with
 * Western grouping ("USD 1,250.00"). null → "—". Exact: the string is never made a float. */
export function formatMoney(value: string | null | undefined, currency = "INR"): string {
  if (value === null || value === undefined || value === "") return "—";
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!match) return value;
  const sign = match[1] ?? "";
  const whole = match[2] ?? "0";
  const fraction = match[3] ?? "";
  const paise = fraction.padEnd(2, "0").slice(0, 2);
  const integer = whole.replace(/^0+(?=\d)/, "");
  if (currency === "INR") {
    const amount = groupIndian(integer) + (paise === "00" ? "" : `.${paise}`);
    return `${sign}₹ ${amount}`;
  }
  return `${sign}${currency} ${groupWestern(integer)}.${paise}`;
}

/** What an admin typed as a price: "1,25,000", "₹ 2,450.50", "2450" → "125000", "2450.50";
 * null when it is empty; undefined when it is not an amount. */
export function parseMoneyInput(text: string): string | null | undefined {
  const cleaned = text.replace(/₹|rs\.?|inr|\/-|\s/gi, "").replace(/,/g, "");
  if (!cleaned) return null;
  if (!/^\d+(\.\d{1,2})?$/.test(cleaned)) return undefined;
  return cleaned;
}
