/** Dates, times and numbers as people read them. */

function toDate(value: string | Date): Date {
  if (value instanceof Date) return value;
  // The API sends UTC with an offset; a bare timestamp is UTC too, never local time.
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const integer = new Intl.NumberFormat();

export function formatDateTime(value: string | Date | null | undefined): string {
  return value ? dateTime.format(toDate(value)) : "—";
}

const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 30],
  ["month", 12],
  ["year", Infinity],
];

export function formatRelative(value: string | Date | null | undefined, now = new Date()): string {
  if (!value) return "never";
  let amount = (toDate(value).getTime() - now.getTime()) / 1000;
  if (Math.abs(amount) < 45) return "just now";
  for (const [unit, size] of STEPS) {
    if (Math.abs(amount) < size) return relative.format(Math.round(amount), unit);
    amount /= size;
  }
  return relative.format(Math.round(amount), "year");
}

export function formatCount(value: number): string {
  return integer.format(value);
}

export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.1 ? 1 : 0)} %`;
}

/** WhatsApp gives numbers as digits with the country code: show them with a plus. */
export function formatPhone(digits: string): string {
  return digits.startsWith("+") ? digits : `+${digits}`;
}

/** How to reach a doctor on WhatsApp, as the team reads it: their number, their username
 * when they write without one, else WhatsApp's user id for them. */
export function formatDoctorAddress(doctor: {
  wa_id: string | null;
  user_id: string | null;
  username: string | null;
}): string {
  const handle = doctor.username ? `@${doctor.username}` : null;
  if (doctor.wa_id) {
    return handle ? `${formatPhone(doctor.wa_id)} · ${handle}` : formatPhone(doctor.wa_id);
  }
  if (handle) return `${handle} (no phone number shared)`;
  return doctor.user_id ? `WhatsApp user ${doctor.user_id}` : "no WhatsApp address";
}

/** What tells two doctors of the same name apart in a list: the last digits of their number
 * ("…3210"), unless the name already shows them; null without a number. */
export function numberEnding(doctor: {
  wa_id: string | null;
  display_name: string;
}): string | null {
  if (!doctor.wa_id) return null;
  const last = doctor.wa_id.slice(-4);
  return doctor.display_name.replace(/\D/g, "").endsWith(last) ? null : `…${last}`;
}

/** The recipient of a preview: the phone, else the WhatsApp user id it goes to. */
export function formatRecipient(to: string | null, recipient: string | null): string {
  if (to) return formatPhone(to);
  return recipient ? `WhatsApp user ${recipient}` : "no WhatsApp address";
}

const calendarDay = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  timeZone: "UTC",
});
const calendarDayLong = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  day: "numeric",
  month: "long",
  timeZone: "UTC",
});

/** A calendar day the API names as `YYYY-MM-DD` (a UTC day), as "24 Nov" or, `long`, as
 * "Monday 24 November". Formatted in UTC so it never shifts to the day before or after. */
export function formatDay(isoDay: string, { long = false }: { long?: boolean } = {}): string {
  const day = new Date(`${isoDay}T00:00:00Z`);
  return (long ? calendarDayLong : calendarDay).format(day);
}

/** A file size as people read it: "820 bytes", "48 KB", "2.4 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1_000_000) return `${Math.round(bytes / 1000)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
