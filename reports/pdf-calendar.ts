// The day-by-day coverage calendar: one month grid per month of the period; covered days green, days without a
// complete snapshot red and hatched, days still to come grey. Gaps are shown, never filled. Each row of months is a
// Figure whose alt text says the same in words (the days covered, the gap days, the days still to come).
import { INK, MUTED, style, type PdfWriter } from "./pdf-layout.js";
import type { Rgb } from "./pdf-text.js";

export type DayState = "covered" | "missing" | "future" | "outside";

const COLORS: Record<DayState, Rgb> = {
  covered: [0.77, 0.9, 0.79],
  missing: [0.96, 0.74, 0.74],
  future: [0.9, 0.9, 0.91],
  outside: [1, 1, 1],
};
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const WEEKDAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];
const PER_ROW = 3;
const GAP = 16;
const CELL_HEIGHT = 15;

const iso = (date: Date) => date.toISOString().slice(0, 10);

/** Days as runs: "2026-07-14 to 2026-07-15, 2026-08-02", so a long gap reads as one range. */
export function dayRanges(days: readonly string[]): string {
  const runs: string[][] = [];
  for (const day of [...days].sort()) {
    const run = runs.at(-1);
    const last = run?.at(-1);
    if (run && last && Date.parse(`${day}T00:00:00Z`) - Date.parse(`${last}T00:00:00Z`) === 86_400_000)
      run.push(day);
    else runs.push([day]);
  }
  return runs
    .map((run) => (run.length === 1 ? run[0] : `${run[0]} to ${run.at(-1)} (${run.length} days)`))
    .join(", ");
}

/** The state of every day of the period: covered when listed, missing otherwise up to `through`, future after it. */
export function dayStates(
  period: { start: string; end: string; through: string },
  covered: Iterable<string>,
): (day: string) => DayState {
  const days = new Set(covered);
  return (day) => {
    if (day < period.start || day > period.end) return "outside";
    if (day > period.through) return "future";
    return days.has(day) ? "covered" : "missing";
  };
}

export function coverageCalendar(
  writer: PdfWriter,
  period: { start: string; end: string },
  stateOf: (day: string) => DayState,
): void {
  const months: { year: number; month: number }[] = [];
  const last = new Date(`${period.end}T00:00:00Z`);
  for (
    let cursor = new Date(`${period.start.slice(0, 7)}-01T00:00:00Z`);
    cursor <= last;
    cursor.setUTCMonth(cursor.getUTCMonth() + 1)
  ) {
    months.push({ year: cursor.getUTCFullYear(), month: cursor.getUTCMonth() });
  }
  const blockWidth = (writer.width - GAP * (PER_ROW - 1)) / PER_ROW;
  const cellWidth = blockWidth / 7;
  const blockHeight = 16 + 11 + 6 * CELL_HEIGHT;
  for (let row = 0; row < months.length; row += PER_ROW) {
    writer.ensure(blockHeight + 10);
    const top = writer.y;
    const shown = months.slice(row, row + PER_ROW);
    const bbox: [number, number, number, number] = [
      writer.left,
      top,
      writer.left + shown.length * blockWidth + (shown.length - 1) * GAP,
      top + blockHeight,
    ];
    writer.tags.figure(calendarAlt(shown, stateOf), bbox, () => drawMonths(shown));
    writer.y = top + blockHeight + 10;
  }
  function drawMonths(shown: readonly { year: number; month: number }[]): void {
    const top = writer.y;
    shown.forEach(({ year, month }, column) => {
      const left = writer.left + column * (blockWidth + GAP);
      writer.type.text(left, top, `${MONTHS[month]} ${year}`, style("Helvetica-Bold", 9.5));
      WEEKDAYS.forEach((name, index) =>
        writer.type.text(left + index * cellWidth + 3, top + 16, name, style("Helvetica", 7, MUTED)),
      );
      const first = new Date(Date.UTC(year, month, 1));
      const offset = (first.getUTCDay() + 6) % 7;
      for (let date = first; date.getUTCMonth() === month; date = new Date(date.getTime() + 86_400_000)) {
        const slot = offset + date.getUTCDate() - 1;
        const x = left + (slot % 7) * cellWidth;
        const y = top + 27 + Math.floor(slot / 7) * CELL_HEIGHT;
        dayCell(writer, x, y, cellWidth, String(date.getUTCDate()), stateOf(iso(date)));
      }
    });
  }
  legend(writer, cellWidth);
}

/** The calendar rows' alt text: what a sighted reader takes from the colours. */
export function calendarAlt(
  months: readonly { year: number; month: number }[],
  stateOf: (day: string) => DayState,
): string {
  const days: Record<DayState, string[]> = { covered: [], missing: [], future: [], outside: [] };
  for (const { year, month } of months)
    for (let date = new Date(Date.UTC(year, month, 1)); date.getUTCMonth() === month; date = new Date(date.getTime() + 86_400_000))
      days[stateOf(iso(date))].push(iso(date));
  const first = months[0] as { year: number; month: number };
  const last = months.at(-1) as { year: number; month: number };
  const span =
    months.length === 1 ? `${MONTHS[first.month]} ${first.year}` : `${MONTHS[first.month]} ${first.year} to ${MONTHS[last.month]} ${last.year}`;
  const inPeriod = days.covered.length + days.missing.length + days.future.length;
  return [
    `Coverage calendar, ${span}: ${days.covered.length} of the ${inPeriod} days of the period shown have a complete snapshot`,
    days.missing.length > 0 ? `no complete snapshot on ${dayRanges(days.missing)}` : "no gaps",
    ...(days.future.length > 0 ? [`${days.future.length} days are after the evidence date`] : []),
  ].join("; ") + ".";
}

function dayCell(
  writer: PdfWriter,
  x: number,
  y: number,
  width: number,
  label: string,
  state: DayState,
): void {
  const doc = writer.doc;
  const inner = { x: x + 1, y: y + 1, width: width - 2, height: CELL_HEIGHT - 2 };
  if (state !== "outside") writer.fillRect(inner.x, inner.y, inner.width, inner.height, COLORS[state]);
  if (state === "missing") {
    doc.save();
    doc.rect(inner.x, inner.y, inner.width, inner.height).clip();
    for (let offset = -inner.height; offset < inner.width; offset += 4) {
      doc.moveTo(inner.x + offset, inner.y + inner.height).lineTo(inner.x + offset + inner.height, inner.y);
    }
    doc.lineWidth(0.8).strokeColor("#c0392b").stroke();
    doc.restore();
    doc.rect(inner.x, inner.y, inner.width, inner.height).lineWidth(1).strokeColor("#b71c1c").stroke();
  }
  const color: Rgb = state === "outside" ? [0.75, 0.75, 0.77] : state === "future" ? MUTED : INK;
  const font = state === "missing" ? "Helvetica-Bold" : "Helvetica";
  writer.type.text(
    x + width / 2 - writer.type.width(label, font, 7.5) / 2,
    y + 4,
    label,
    style(font, 7.5, color),
  );
}

function legend(writer: PdfWriter, cellWidth: number): void {
  writer.ensure(20);
  const entries: [DayState, string, string][] = [
    ["covered", "complete snapshot", "green"],
    ["missing", "no complete snapshot (gap)", "red, hatched"],
    ["future", "after the evidence date", "grey"],
  ];
  const alt = `Legend: ${entries.map(([, label, colour]) => `${colour}, ${label}`).join("; ")}.`;
  const top = writer.y;
  writer.tags.figure(alt, [writer.left, top, writer.right, top + CELL_HEIGHT], () => {
    let x = writer.left;
    for (const [state, label] of entries) {
      dayCell(writer, x, top, Math.min(cellWidth, 22), "", state);
      writer.type.text(x + 26, top + 4, label, style("Helvetica", 8));
      x += 26 + writer.type.width(label, "Helvetica", 8) + 18;
    }
  });
  writer.y += CELL_HEIGHT + 8;
}
