// Records each fault, input and security case the hardening suites try, with its outcome, for docs/RELIABILITY.md.
//
// A suite calls `useReliabilityLog(suite)` once and `record(row)` after a case's assertions have held. After the
// file, the rows are written to .tmp/reliability/<suite>.json (what scripts/reliability-table.ts renders) and
// compared with the committed table: a case missing from it, or whose case or outcome text changed, fails the
// suite until the table is regenerated. `measured` holds figures that vary from run to run; it is shown, not compared.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll } from "vitest";

export const RELIABILITY_DIR = ".tmp/reliability";
export const RELIABILITY_DOC = "docs/RELIABILITY.md";
export const REGENERATE = "npx tsx scripts/reliability-table.ts";

export type Area = "fault" | "input" | "property" | "security" | "concurrency";

export interface ReliabilityRow {
  /** Stable and unique within the suite, e.g. "throttle-storm". */
  id: string;
  area: Area;
  /** What was done to the tool, e.g. "50% of KMS calls throttled for the whole run". */
  case: string;
  /** What held, in words that do not change from run to run. */
  outcome: string;
  /** Figures from this run (calls, throttles, seconds): shown in the table, never compared. */
  measured?: string;
}

export interface SuiteRows {
  suite: string;
  rows: ReliabilityRow[];
}

interface TaskLike {
  type: string;
  mode: string;
  tasks?: TaskLike[];
  result?: { state?: string };
}

/** Every test of the file ran and passed: only then may the table hold no more cases than were recorded. */
function allPassed(task: TaskLike): boolean {
  if (task.tasks) return task.tasks.every(allPassed);
  return task.mode === "run" && task.result?.state === "pass";
}

/** Cell text for a markdown table: one line, no pipes, asterisks kept literal. */
export const cell = (text: string) =>
  text
    .replace(/\|/g, "/")
    .replace(/\*/g, "\\*")
    .replace(/\s*\n\s*/g, " ")
    .trim();

/** The rows of `suite` in the committed table: id -> [case, outcome]. */
export function rowsInDoc(doc: string, suite: string): Map<string, [string, string]> {
  const found = new Map<string, [string, string]>();
  for (const line of doc.split("\n")) {
    const cells = line.split("|").map((part) => part.trim());
    // | `suite/id` | area | case | outcome | measured |
    const match = /^`([^`/]+)\/([^`]+)`$/.exec(cells[1] ?? "");
    if (match?.[1] === suite && match[2]) found.set(match[2], [cells[3] ?? "", cells[4] ?? ""]);
  }
  return found;
}

/** Differences between what a suite recorded and the committed table; empty when the table is current. */
export function staleRows(
  recorded: readonly ReliabilityRow[],
  doc: string,
  suite: string,
  complete: boolean,
): string[] {
  const inDoc = rowsInDoc(doc, suite);
  const problems: string[] = [];
  for (const row of recorded) {
    const committed = inDoc.get(row.id);
    if (!committed) problems.push(`${suite}/${row.id} is not in the table`);
    else if (committed[0] !== cell(row.case) || committed[1] !== cell(row.outcome)) {
      problems.push(
        `${suite}/${row.id} changed: the table says "${committed[1]}", the suite saw "${cell(row.outcome)}"`,
      );
    }
  }
  if (complete) {
    const ids = new Set(recorded.map((row) => row.id));
    for (const id of inDoc.keys())
      if (!ids.has(id)) problems.push(`${suite}/${id} is in the table but no test records it`);
  }
  return problems;
}

/** Registers the suite; returns `record`, to call once per case after its assertions passed. */
export function useReliabilityLog(suite: string): (row: ReliabilityRow) => void {
  const rows: ReliabilityRow[] = [];
  // vitest reads the first argument as fixtures and insists on a destructuring pattern; the file is the second.
  // eslint-disable-next-line no-empty-pattern
  afterAll(async ({}, file) => {
    rows.sort((a, b) => a.id.localeCompare(b.id));
    await mkdir(RELIABILITY_DIR, { recursive: true });
    await writeFile(
      join(RELIABILITY_DIR, `${suite}.json`),
      JSON.stringify({ suite, rows } satisfies SuiteRows, null, 2),
    );
    if (process.env.RELIABILITY_UPDATE) return;
    const doc = await readFile(RELIABILITY_DOC, "utf8").catch(() => "");
    const problems = staleRows(rows, doc, suite, allPassed(file as unknown as TaskLike));
    if (problems.length > 0) {
      throw new Error(
        `${RELIABILITY_DOC} is out of date (${problems.join("; ")}): regenerate it with ${REGENERATE}`,
      );
    }
  });
  return (row) => {
    if (rows.some((existing) => existing.id === row.id))
      throw new Error(`reliability case ${suite}/${row.id} recorded twice`);
    rows.push(row);
  };
}
