// Gaps between rotations over a period: the Type II question "did it rotate on time throughout?".
import type { ResourceHistory } from "../src/core/collector.js";
import type { Period, PeriodVerdict } from "../src/core/model.js";
import { daysBetween } from "../src/core/period.js";

export interface RotationGap {
  from: string;
  to: string;
  days: number;
}

/**
 * The largest interval without a rotation that overlaps [start, through]. `origin` (creation) opens the timeline;
 * `through` closes it, so a rotation that is overdue today counts as an open gap.
 */
export function largestGap(rotations: readonly string[], origin: string, start: string, through: string): RotationGap {
  const timeline = [origin, ...rotations.filter((date) => date > origin && date <= `${through}T23:59:59.999Z`)]
    .map((date) => (date.length === 10 ? `${date}T00:00:00.000Z` : new Date(date).toISOString()))
    .sort();
  timeline.push(`${through}T23:59:59.999Z`);
  let worst: RotationGap = { from: start, to: through, days: 0 };
  for (let index = 1; index < timeline.length; index += 1) {
    const from = timeline[index - 1] as string;
    const to = timeline[index] as string;
    if (to < `${start}T00:00:00.000Z`) continue;
    const days = Math.floor(daysBetween(from, to));
    if (days > worst.days) worst = { from, to, days };
  }
  return worst;
}

export function inPeriod(dates: readonly string[], start: string, through: string): string[] {
  return dates.filter((date) => date.slice(0, 10) >= start && date.slice(0, 10) <= through);
}

export interface RotationRule {
  /** When the resource came to exist: the start of the first interval. */
  origin: string | undefined;
  /** Days allowed between rotations, grace included. */
  allowedDays: number;
  /** Why the resource is not held to the rule; undefined when it is. */
  notApplicable?: string;
  /** Set when the newest snapshot shows rotation switched off: the period cannot pass, whatever the history. */
  rotationDisabled?: boolean;
}

/** The period verdict both rotation collectors give: rotations seen, the largest gap, and days not observed. */
export function judgeRotationHistory(history: ResourceHistory, period: Period, through: string, rule: RotationRule): PeriodVerdict {
  const rotationsInPeriod = inPeriod(history.dates, period.start, through);
  // From the first day the resource was seen: a day without a snapshot, or a snapshot without it, is unobserved.
  const firstSeen = history.daysObserved[0] ?? through;
  const observedDays = new Set(history.daysObserved);
  const daysNotObserved = history.periodDays.filter((day) => day >= firstSeen && !observedDays.has(day));
  const observed = { rotationsInPeriod, daysObserved: history.daysObserved.length, daysNotObserved };
  if (rule.notApplicable !== undefined) return { status: "not_applicable", reason: rule.notApplicable, observed };
  const origin = rule.origin ?? history.dates[0] ?? `${period.start}T00:00:00.000Z`;
  const gap = largestGap(history.dates, origin, period.start, through);
  const withGap = { ...observed, largestGapDays: gap.days, largestGap: gap };
  const unobserved = daysNotObserved.length ? `; not observed on ${daysNotObserved.length} day(s)` : "";
  if (rule.rotationDisabled) {
    return { status: "fail", reason: `automatic rotation is off as of ${history.latest.source.collectedAt.slice(0, 10)}; ${rotationsInPeriod.length} rotation(s) in the period${unobserved}`, observed: withGap };
  }
  if (gap.days > rule.allowedDays) {
    const span = `${gap.from.slice(0, 10)} to ${gap.to.slice(0, 10)}`;
    return { status: "fail", reason: `no rotation for ${gap.days} days (${span}); allowed ${rule.allowedDays}${unobserved}`, observed: withGap };
  }
  return {
    status: "pass",
    reason: `${rotationsInPeriod.length} rotation(s) in the period; largest gap ${gap.days} days within ${rule.allowedDays}${unobserved}`,
    observed: withGap,
  };
}
