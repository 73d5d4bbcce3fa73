/** A course's days as brochures write them: "12–13 Jan 2027", "30 Jan – 1 Feb 2027". */
const day = new Intl.DateTimeFormat("en-IN", { day: "numeric", timeZone: "UTC" });
const dayMonth = new Intl.DateTimeFormat("en-IN", {
  day: "numeric",
  month: "short",
  timeZone: "UTC",
});
const full = new Intl.DateTimeFormat("en-IN", {
  day: "numeric",
  month: "short",
  year: "numeric",
  timeZone: "UTC",
});

function utc(isoDate: string): Date {
  return new Date(`${isoDate}T00:00:00Z`);
}

export function formatCourseDates(startsOn: string | null, endsOn: string | null): string {
  if (!startsOn) return endsOn ? `until ${full.format(utc(endsOn))}` : "Dates to be announced";
  const start = utc(startsOn);
  if (!endsOn || endsOn === startsOn) return full.format(start);
  const end = utc(endsOn);
  if (start.getUTCFullYear() !== end.getUTCFullYear()) {
    return `${full.format(start)} – ${full.format(end)}`;
  }
  if (start.getUTCMonth() !== end.getUTCMonth()) {
    return `${dayMonth.format(start)} – ${full.format(end)}`;
  }
  return `${day.format(start)}–${full.format(end)}`;
}
