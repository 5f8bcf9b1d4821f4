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

export function siteTime(clock: SiteClock, date: Date = new Date()): string {
  if (clock.timezone) {
    try {
      const parts = Object.fromEntries(
        new Intl.DateTimeFormat('en-CA', {
          timeZone: clock.timezone,
          hourCycle: 'h23',
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
        })
          .formatToParts(date)
          .map((p) => [p.type, p.value]),
      );
      return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
    } catch {
      // Not an IANA name (e.g. "UTC+2"): fall through to the numeric offset.
    }
  }
  return formatUtc(new Date(date.getTime() + (clock.gmtOffsetHours ?? 0) * 3_600_000));
}

/** `post_date_gmt` format. */
export function gmtDateTime(date: Date): string {
  return formatUtc(date);
}
