/**
 * WordPress "site time": `YYYY-MM-DD HH:MM:SS` in the site's timezone (a tz name, or a bare UTC offset when the
 * site is configured with one), as `current_time('mysql')` would print it.
 */
export interface SiteClock {
  timezone?: string | undefined;
  gmtOffsetHours?: number | undefined;
}

const pad = (n: number) => String(n).padStart(2, '0');

function formatUtc(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

/**
 * One formatter per timezone name, built on first use: constructing an Intl.DateTimeFormat costs far more than
 * formatting with one (it was most of a delivery's planning time). null: not an IANA name.
 */
const formatters = new Map<string, Intl.DateTimeFormat | null>();
const MAX_FORMATTERS = 64;

function formatterFor(timezone: string): Intl.DateTimeFormat | null {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-CA', {
        timeZone: timezone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      // Not an IANA name (e.g. "UTC+2"): the numeric offset applies.
      formatter = null;
    }
    if (formatters.size >= MAX_FORMATTERS) {
      formatters.clear();
    }
    formatters.set(timezone, formatter);
  }
  return formatter;
}

export function siteTime(clock: SiteClock, date: Date = new Date()): string {
  const formatter = clock.timezone ? formatterFor(clock.timezone) : null;
  if (formatter !== null) {
    try {
      const parts: Record<string, string> = {};
      for (const part of formatter.formatToParts(date)) {
        parts[part.type] = part.value;
      }
      return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
    } catch {
      // An invalid date: fall through to the numeric offset.
    }
  }
  return formatUtc(new Date(date.getTime() + (clock.gmtOffsetHours ?? 0) * 3_600_000));
}

/** `post_date_gmt` format. */
export function gmtDateTime(date: Date): string {
  return formatUtc(date);
}
