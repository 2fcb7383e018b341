// Gaps between rotations over a period: the Type II question "did it rotate on time throughout?", asked only of the
// time some source could see. A source's horizon (CloudTrail LookupEvents keeps 90 days; the store holds snapshots
// from its first one) is not evidence that nothing happened before it.
import type { ResourceHistory } from "../src/core/collector.js";
import type { Period, PeriodVerdict } from "../src/core/model.js";
import { daysBetween } from "../src/core/period.js";

export interface RotationGap {
  from: string;
  to: string;
  /** Whole days from `from` to `to`: for an open gap, only its visible part. */
  days: number;
  /** Set when the gap began before anything was visible: it is at least `days` long, its start unknown. */
  open?: boolean;
}

const instant = (date: string): string => (date.length === 10 ? `${date}T00:00:00.000Z` : new Date(date).toISOString());

/**
 * The largest interval without a rotation that overlaps [start, through]. `origin` (creation) opens the timeline;
 * `through` closes it, so a rotation that is overdue today counts as an open gap. With a `horizon` (the earliest
 * instant any source could see), an interval that began before it is measured from the horizon and marked open.
 */
export function largestGap(
  rotations: readonly string[],
  origin: string,
  start: string,
  through: string,
  horizon?: string,
): RotationGap {
  const end = `${through}T23:59:59.999Z`;
  const timeline = [instant(origin), ...rotations.map(instant).filter((date) => date > instant(origin) && date <= end)].sort();
  timeline.push(end);
  const seen = horizon === undefined ? undefined : instant(horizon);
  let worst: RotationGap | undefined;
  for (let index = 1; index < timeline.length; index += 1) {
    const to = timeline[index] as string;
    if (to < `${start}T00:00:00.000Z`) continue;
    const previous = timeline[index - 1] as string;
    const open = seen !== undefined && previous < seen;
    const from = open ? (seen < to ? seen : to) : previous;
    const days = Math.floor(daysBetween(from, to));
    if (worst === undefined || days > worst.days) worst = { from, to, days, ...(open ? { open } : {}) };
  }
  return worst ?? { from: start, to: through, days: 0 };
}

export function inPeriod(dates: readonly string[], start: string, through: string): string[] {
  return dates.filter((date) => date.slice(0, 10) >= start && date.slice(0, 10) <= through);
}

export interface RotationRule {
  /** When the resource came to exist: the start of the first interval. */
  origin: string | undefined;
  /** Days allowed between rotations, grace included. */
  allowedDays: number;
  /** From when each source of rotation dates could see, by source name; the earliest is the horizon. */
  visibleFrom: Record<string, string>;
  /** Why the resource is not held to the rule; undefined when it is. */
  notApplicable?: string;
  /** Set when the newest snapshot shows rotation switched off: the period cannot pass, whatever the history. */
  rotationDisabled?: boolean;
}

/** The earliest instant any source could see, or undefined when no source says. */
export function horizonOf(visibleFrom: Record<string, string>): string | undefined {
  return Object.values(visibleFrom).map(instant).sort()[0];
}

/**
 * The period verdict both rotation collectors give: rotations seen, the largest gap across visible time, days a
 * snapshot failed the resource, and days not observed. Nothing is claimed about time no source could see.
 */
export function judgeRotationHistory(history: ResourceHistory, period: Period, through: string, rule: RotationRule): PeriodVerdict {
  const rotationsInPeriod = inPeriod(history.dates, period.start, through);
  // From the first day the resource was seen: a day without a snapshot, or a snapshot without it, is unobserved.
  const firstSeen = history.daysObserved[0] ?? through;
  const observedDays = new Set(history.daysObserved);
  const daysNotObserved = history.periodDays.filter((day) => day >= firstSeen && !observedDays.has(day));
  const observed = { rotationsInPeriod, daysObserved: history.daysObserved.length, daysNotObserved };
  if (rule.notApplicable !== undefined) return { status: "not_applicable", reason: rule.notApplicable, observed };
  // No source saying from when it could see: only what the first snapshot itself saw is visible.
  const horizon = horizonOf(rule.visibleFrom) ?? instant(history.first.source.collectedAt);
  const origin = rule.origin ?? history.dates[0] ?? `${period.start}T00:00:00.000Z`;
  const gap = largestGap(history.dates, origin, period.start, through, horizon);
  const failDays = inPeriod(history.failDays, period.start, through);
  const withGap = { ...observed, largestGapDays: gap.days, largestGap: gap, visibleFrom: rule.visibleFrom, horizon, failDays };
  const unobserved = daysNotObserved.length ? `; not observed on ${daysNotObserved.length} day(s)` : "";
  const span = `${gap.from.slice(0, 10)} to ${gap.to.slice(0, 10)}`;
  const measured = gap.open ? `at least ${gap.days} days (nothing visible before ${horizon.slice(0, 10)}; ${span})` : `${gap.days} days (${span})`;
  const failed = failDays.length ? `; failed on ${failDays.length} observed day(s), ${failDays[0]} to ${failDays.at(-1)}` : "";
  if (rule.rotationDisabled) {
    return { status: "fail", reason: `automatic rotation is off as of ${history.latest.source.collectedAt.slice(0, 10)}; ${rotationsInPeriod.length} rotation(s) in the period${unobserved}`, observed: withGap };
  }
  if (gap.days > rule.allowedDays) {
    return { status: "fail", reason: `no rotation for ${measured}; allowed ${rule.allowedDays}${failed}${unobserved}`, observed: withGap };
  }
  if (horizon > `${through}T23:59:59.999Z`) {
    return { status: "pass", reason: `nothing in the period was visible: no source could see before ${horizon.slice(0, 10)}${unobserved}`, observed: withGap };
  }
  const unseen = !gap.open && instant(origin) < horizon ? `; nothing visible before ${horizon.slice(0, 10)}` : "";
  if (failDays.length) {
    return { status: "fail", reason: `${rotationsInPeriod.length} rotation(s) in the period, largest gap ${measured}${failed}${unseen}${unobserved}`, observed: withGap };
  }
  return {
    status: "pass",
    reason: `${rotationsInPeriod.length} rotation(s) in the period; largest gap ${measured} within ${rule.allowedDays}${unseen}${unobserved}`,
    observed: withGap,
  };
}
