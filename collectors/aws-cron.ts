// AWS schedule expressions as Secrets Manager rotation uses them: rate(N hours|days) and six-field cron(...),
// and the longest a schedule can go between one rotation window opening and the next one closing.
// Syntax: https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_schedule.html (UTC throughout).

export class ScheduleError extends Error {
  override name = "ScheduleError";
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Two leap days can be eight years apart (2096, 2104): long enough to find any schedule's next firing. */
const SEARCH_MS = 17 * 366 * DAY_MS;
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface Bounds {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MINUTES: Bounds = { name: "minutes", min: 0, max: 59 };
const HOURS: Bounds = { name: "hours", min: 0, max: 23 };
const DAY_OF_MONTH: Bounds = { name: "day-of-month", min: 1, max: 31 };
const MONTH: Bounds = { name: "month", min: 1, max: 12, names: MONTHS };
const DAY_OF_WEEK: Bounds = { name: "day-of-week", min: 1, max: 7, names: WEEKDAYS };
const YEAR: Bounds = { name: "year", min: 1970, max: 2199 };

export interface AwsCron {
  minutes: number[];
  hours: number[];
  months: Set<number>;
  years: Set<number>;
  /** Exactly one of the day fields is `?`; the other decides which days fire. */
  days: DayRule;
}

type DayRule =
  | {
      field: "day-of-month";
      values: Set<number>;
      last: boolean;
      lastWeekday: boolean;
      nearestWeekday: number[];
    }
  | { field: "day-of-week"; values: Set<number>; nth: Array<[weekday: number, n: number]>; lastOf: number[] };

export function parseCron(text: string): AwsCron {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 6)
    throw new ScheduleError(
      `cron needs 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`,
    );
  const [minutes, hours, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === "?") === (dow === "?"))
    throw new ScheduleError("exactly one of day-of-month and day-of-week must be ?");
  return {
    minutes: [...numbers(minutes, MINUTES)].sort((a, b) => a - b),
    hours: [...numbers(hours, HOURS)].sort((a, b) => a - b),
    months: numbers(month, MONTH),
    years: numbers(year, YEAR),
    days: dom === "?" ? dayOfWeek(dow) : dayOfMonth(dom),
  };
}

function dayOfMonth(text: string): DayRule {
  const rule = {
    field: "day-of-month" as const,
    values: new Set<number>(),
    last: false,
    lastWeekday: false,
    nearestWeekday: [] as number[],
  };
  for (const item of text.split(",")) {
    const upper = item.toUpperCase();
    if (upper === "L") rule.last = true;
    else if (upper === "LW") rule.lastWeekday = true;
    else if (upper.endsWith("W")) rule.nearestWeekday.push(value(upper.slice(0, -1), DAY_OF_MONTH));
    else for (const day of numbers(item, DAY_OF_MONTH)) rule.values.add(day);
  }
  return rule;
}

function dayOfWeek(text: string): DayRule {
  const rule = {
    field: "day-of-week" as const,
    values: new Set<number>(),
    nth: [] as Array<[number, number]>,
    lastOf: [] as number[],
  };
  for (const item of text.split(",")) {
    const upper = item.toUpperCase();
    const nth = /^(\w+)#(\d+)$/.exec(upper);
    if (upper === "L")
      rule.values.add(7); // alone, L is the last day of the week: Saturday
    else if (nth) {
      const n = Number(nth[2]);
      if (n < 1 || n > 5)
        throw new ScheduleError(`day-of-week ${item}: a month has at most 5 of each weekday`);
      rule.nth.push([value(nth[1] as string, DAY_OF_WEEK), n]);
    } else if (/^\w+L$/.test(upper)) rule.lastOf.push(value(upper.slice(0, -1), DAY_OF_WEEK));
    else for (const day of numbers(item, DAY_OF_WEEK)) rule.values.add(day);
  }
  return rule;
}

/** A list of `*`, values, ranges and steps (`a`, `a-b`, `*\/n`, `a/n`, `a-b/n`); ranges may wrap (FRI-MON). */
function numbers(text: string, bounds: Bounds): Set<number> {
  const result = new Set<number>();
  for (const item of text.split(",")) {
    const match = /^([^/]+)(?:\/(\d+))?$/.exec(item);
    if (!match) throw new ScheduleError(`${bounds.name} field has an invalid item "${item}"`);
    const [range = "", stepText] = [match[1], match[2]];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) throw new ScheduleError(`${bounds.name} step must be at least 1`);
    let [from, to] = [bounds.min, bounds.max];
    if (range !== "*") {
      const [start, end] = range.split("-");
      from = value(start ?? "", bounds);
      to = end === undefined ? (stepText === undefined ? from : bounds.max) : value(end, bounds);
    }
    const span = to >= from ? to - from : to - from + (bounds.max - bounds.min + 1);
    if (to < from && bounds === YEAR) throw new ScheduleError(`year range ${range} runs backwards`);
    for (let offset = 0; offset <= span; offset += step) {
      result.add(((from - bounds.min + offset) % (bounds.max - bounds.min + 1)) + bounds.min);
    }
  }
  return result;
}

function value(text: string, bounds: Bounds): number {
  const named = bounds.names?.indexOf(text.toUpperCase()) ?? -1;
  const number = named >= 0 ? named + 1 : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(number) || number < bounds.min || number > bounds.max) {
    throw new ScheduleError(`${bounds.name} value "${text}" is outside ${bounds.min}-${bounds.max}`);
  }
  return number;
}

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const weekday = (year: number, month: number, day: number) =>
  new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;

/** The weekday nearest to `day` without leaving the month (W). */
function nearestWeekday(year: number, month: number, day: number): number | undefined {
  const last = daysInMonth(year, month);
  if (day > last) return undefined;
  const dow = weekday(year, month, day);
  if (dow === 7) return day === 1 ? 3 : day - 1;
  if (dow === 1) return day === last ? day - 2 : day + 1;
  return day;
}

function dayMatches(cron: AwsCron, date: Date): boolean {
  const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
  if (!cron.years.has(year) || !cron.months.has(month)) return false;
  const rule = cron.days;
  const last = daysInMonth(year, month);
  if (rule.field === "day-of-month") {
    if (rule.values.has(day) || (rule.last && day === last)) return true;
    if (rule.lastWeekday && day === nearestWeekday(year, month, last)) return true;
    return rule.nearestWeekday.some((target) => nearestWeekday(year, month, target) === day);
  }
  const dow = weekday(year, month, day);
  if (rule.values.has(dow)) return true;
  if (rule.nth.some(([target, n]) => target === dow && Math.ceil(day / 7) === n)) return true;
  return rule.lastOf.some((target) => target === dow && day + 7 > last);
}

/** Every firing at or after `from` and before `until`, in order. */
export function* firings(cron: AwsCron, from: Date, until: Date): Generator<Date> {
  for (let day = Math.floor(from.getTime() / DAY_MS) * DAY_MS; day < until.getTime(); day += DAY_MS) {
    if (!dayMatches(cron, new Date(day))) continue;
    for (const hour of cron.hours) {
      for (const minute of cron.minutes) {
        const time = day + hour * HOUR_MS + minute * 60_000;
        if (time >= from.getTime() && time < until.getTime()) yield new Date(time);
      }
    }
  }
}

export interface ScheduleGap {
  kind: "rate" | "cron";
  /** Largest time from one window opening to the next. */
  gapHours: number;
  /** Window of the later firing in that worst pair: Duration, or AWS's default. */
  windowHours: number;
  from?: string;
  to?: string;
}

/** Rotation window length from `Duration` ("3h"). */
export function parseWindow(duration: string): number {
  const match = /^(\d+)h$/.exec(duration.trim());
  const hours = match ? Number(match[1]) : NaN;
  if (!(hours >= 1 && hours <= 24)) throw new ScheduleError(`rotation window "${duration}" is not 1h-24h`);
  return hours;
}

const cache = new Map<string, ScheduleGap>();

/**
 * The worst case of `expression` over the year from `now` (and the gap that wraps past it): the largest
 * (next opening + its window) - (opening). Without `windowHours`, AWS's defaults apply: one hour for a schedule
 * in hours, otherwise until the end of the UTC day. Throws ScheduleError for a bad or never-firing expression.
 */
export function worstScheduleGap(expression: string, now: Date, windowHours?: number): ScheduleGap {
  const key = `${expression}|${windowHours}|${now.getTime()}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const gap = compute(expression.trim(), now, windowHours);
  if (cache.size > 500) cache.clear();
  cache.set(key, gap);
  return gap;
}

function compute(expression: string, now: Date, windowHours?: number): ScheduleGap {
  const rate = /^rate\((\d+)\s+(hour|hours|day|days)\)$/i.exec(expression);
  if (rate) {
    const count = Number(rate[1]);
    if (count < 1) throw new ScheduleError(`${expression}: the rate must be at least 1`);
    const days = /^day/i.test(rate[2] as string);
    return { kind: "rate", gapHours: days ? count * 24 : count, windowHours: windowHours ?? (days ? 24 : 1) };
  }
  const cron = /^cron\((.*)\)$/i.exec(expression);
  if (!cron) throw new ScheduleError(`"${expression}" is neither rate(N hours|days) nor cron(...)`);
  const parsed = parseCron(cron[1] as string);
  const inHours = parsed.hours.length > 1 || parsed.minutes.length > 1;
  const windowOf = (at: Date) =>
    windowHours ?? (inHours ? 1 : 24 - at.getUTCHours() - at.getUTCMinutes() / 60);
  const times = firings(parsed, now, new Date(now.getTime() + SEARCH_MS));
  const first = times.next();
  if (first.done) throw new ScheduleError(`${expression} never fires`);
  const yearEnd = Math.max(now.getTime() + 366 * DAY_MS, first.value.getTime());
  let previous = first.value;
  let worst: ScheduleGap | undefined;
  for (const next of times) {
    const gapHours = (next.getTime() - previous.getTime()) / HOUR_MS;
    const window = windowOf(next);
    if (!worst || gapHours + window > worst.gapHours + worst.windowHours) {
      worst = {
        kind: "cron",
        gapHours,
        windowHours: window,
        from: previous.toISOString(),
        to: next.toISOString(),
      };
    }
    if (next.getTime() >= yearEnd) return worst;
    previous = next;
  }
  throw new ScheduleError(`${expression} stops firing after ${previous.toISOString().slice(0, 10)}`);
}
