// Gaps between rotations over a period: the Type II question "did it rotate on time throughout?".
import { daysBetween } from "./period.js";

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
