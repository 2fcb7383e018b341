// The access review section of report.pdf: the open actions first, then per secret a compact can/did matrix.
//
// Compact at any scale: access-review.csv holds every (secret, principal) pair for the reviewer to mark; the PDF is
// what they read first. An account where broad policies let 200 roles read each of 1,000 secrets has 200,000 pairs,
// most of them "can read, did not", and a row for each made a 32,000-page PDF. So beyond a few dozen, pairs that need
// the same decision are grouped by the statements that grant them (revoking a grant is one decision however many
// pairs it covers), and reads, and reads to investigate, keep a row each up to a cap. Every count says how many pairs
// are behind it; nothing is dropped without saying so and where it is.
import type { EvidencePackage } from "../src/core/package-model.js";
import type { ReviewRow } from "../src/core/access-review.js";
import type { EvidenceItem } from "../src/core/model.js";
import { ACCESS_REVIEW_FILE, exceptionLabel, readSourcesText, reviewItems, reviewRowsOf } from "./access-review-csv.js";
import { MUTED, STATUS_COLORS, style, type PdfWriter } from "./pdf-layout.js";
import { columns, titledTable, type Cell } from "./pdf-table.js";

/** Open actions listed one per row up to this many; beyond, grouped by action and granting statements. */
export const ACTION_ROWS = 60;
/** A secret's matrix lists every pair up to this many; beyond, the unused grants are grouped. */
export const MATRIX_ROWS = 25;
/** Groups of unused grants, and reads to investigate, listed at most (the rest are counted, and are in the CSV). */
const GROUP_ROWS = 200;

/** An ARN without partition, service, region and account; remembered, since 188,000 pairs name a few thousand ARNs. */
const shortNames = new Map<string, string>();
const short = (arn: string): string => {
  let name = shortNames.get(arn);
  if (name === undefined) {
    if (shortNames.size > 100_000) shortNames.clear();
    name = arn.split(":").slice(5).join(":") || arn;
    shortNames.set(arn, name);
  }
  return name;
};
const yesNo = (value: boolean, alarm: boolean): Cell | string => (alarm ? { text: value ? "yes" : "no", bold: true, color: STATUS_COLORS.fail } : value ? "yes" : "no");
const count = (n: number, noun: string): string => `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
const grants = (row: ReviewRow): string => row.grantedBy.map((ref) => short(ref)).join("; ") || "no grant the tool can see";
/** A pair the reviewer decides by revoking a grant: can read, did not read. */
const unused = (row: ReviewRow): boolean => row.canRead && !row.didRead;

interface Group {
  action: string;
  grantedBy: string;
  principals: Set<string>;
  secrets: Set<string>;
  pairs: number;
  exception: string;
}

interface Pair {
  row: ReviewRow;
  /** The secret's account and ARN, and its name as the matrix headings show it. */
  secret: string;
  name: string;
  exception: string;
}

const pairsOf = (item: EvidenceItem, rows: readonly ReviewRow[]): Pair[] => {
  const secret = `${item.account}|${item.resource.arn}`;
  const exception = exceptionLabel(item);
  return rows.map((row) => ({ row, secret, name: item.resource.name, exception }));
};

/** The granting statements as a group shows them, by the statements' ARNs joined: a few hundred lists across 187,000 pairs. */
const grantTexts = new Map<string, string>();

/** A row's granting statements as groups show them, made once per list of statements. */
function grantTextOf(row: ReviewRow): string {
  const statements = row.grantedBy.join("\u0000");
  let grantedBy = grantTexts.get(statements);
  if (grantedBy === undefined) {
    if (grantTexts.size > 100_000) grantTexts.clear();
    grantedBy = grants(row);
    grantTexts.set(statements, grantedBy);
  }
  return grantedBy;
}

/**
 * Adds a pair to the group of pairs with the same action, granting statements (as shown) and exception. The key joins
 * them with a character no action, statement name or label holds; building it as JSON, with the statements' short
 * names made for each pair, took 0.46 s of the access review bench's packaging (CPU profile).
 */
function addToGroup(groups: Map<string, Group>, { row, secret, exception }: Pair): void {
  const grantedBy = grantTextOf(row);
  const key = `${row.action}\u0000${grantedBy}\u0000${exception}`;
  let group = groups.get(key);
  if (!group) {
    group = { action: row.action, grantedBy, principals: new Set(), secrets: new Set(), pairs: 0, exception };
    groups.set(key, group);
  }
  group.principals.add(row.principal);
  group.secrets.add(secret);
  group.pairs += 1;
}

/** The groups, largest first. */
const largestFirst = (groups: Map<string, Group>): Group[] =>
  [...groups.values()].sort((left, right) => right.pairs - left.pairs || left.grantedBy.localeCompare(right.grantedBy));

/**
 * One walk over the review items, keeping none of them: the open actions (the first pairs, all of them when there are
 * few; the unused grants as groups; the first reads to investigate; the counts), the notes every secret shares, and
 * the secrets' matrices up to MATRIX_ROWS_HELD rows.
 */
function gatherReview(items: Iterable<EvidenceItem>) {
  const shared = new SharedNotes();
  const matrices: Matrix[] = [];
  let heldRows = 0;
  let allHeld = true;
  const first: Pair[] = [];
  const others: Pair[] = [];
  const revokes = new Map<string, Group>();
  const secrets = new Set<string>();
  let total = 0;
  let revokeCount = 0;
  let otherCount = 0;
  for (const item of items) {
    const rows = reviewRowsOf(item);
    const matrix = allHeld ? matrixOf(item, rows) : undefined;
    if (matrix && heldRows + matrix.rows.length <= MATRIX_ROWS_HELD) {
      matrices.push(matrix);
      heldRows += matrix.rows.length;
    } else allHeld = false;
    shared.add(matrix ?? notesOf(item));
    for (const pair of pairsOf(item, rows.filter((row) => row.action))) {
      total += 1;
      secrets.add(pair.secret);
      if (first.length <= ACTION_ROWS) first.push(pair);
      if (unused(pair.row)) {
        revokeCount += 1;
        addToGroup(revokes, pair);
      } else {
        otherCount += 1;
        if (others.length < GROUP_ROWS) others.push(pair);
      }
    }
  }
  return {
    actions: { first, others, groups: largestFirst(revokes), secrets: secrets.size, total, revokeCount, otherCount },
    shared,
    matrices: { held: matrices, all: allHeld },
  };
}

type OpenActions = ReturnType<typeof gatherReview>["actions"];

const notReadOf = (item: EvidenceItem): string[] => (Array.isArray(item.observed.notRead) ? (item.observed.notRead as string[]) : []);

/**
 * What every secret's matrix would say alike, said once above them: in one account each of 1,000 secrets repeated the
 * same unreadable SCPs and CloudTrail window, three lines each (the access review bench's report.pdf).
 */
class SharedNotes {
  private notRead: string[] | undefined;
  private reads: string | undefined;

  add({ notRead, reads }: Notes): void {
    this.notRead = this.notRead?.filter((note) => notRead.includes(note)) ?? notRead;
    this.reads = this.reads === undefined || this.reads === reads ? reads : "";
  }

  /** The notes every secret has, as one paragraph. */
  text(): string {
    const notRead = this.notRead?.length ? `could not read ${this.notRead.join("; ")}.` : "";
    return [notRead, this.reads ?? ""].filter(Boolean).join(" ");
  }

  /** The notes of one secret that not every secret has. */
  own(matrix: Notes): string {
    const notRead = matrix.notRead.filter((note) => !this.notRead?.includes(note));
    return [notRead.length ? `Could not read: ${notRead.join("; ")}.` : "", matrix.reads === this.reads ? "" : matrix.reads].filter(Boolean).join(" ");
  }
}

const actionRow = ({ row, name, exception }: Pair): (string | Cell)[] => [name, short(row.principal), { text: row.action, bold: true }, exception || "none"];

function openActions(writer: PdfWriter, { first, others, groups, secrets, total, revokeCount, otherCount }: OpenActions): void {
  const heading = { text: "Open actions", level: 2 as const, empty: "None: every grant was used and every read was granted.", emptyStyle: style("Helvetica", 9) };
  if (total <= ACTION_ROWS) {
    titledTable(
      writer,
      heading,
      columns(["Secret", 0.24], ["Principal", 0.3], ["Action", 0.3], ["Exception", 0.16]),
      first.map((pair) => actionRow(pair)),
      { size: 7.5, caption: "Open actions" },
    );
    return;
  }
  titledTable(
    writer,
    {
      ...heading,
      text: "Open actions: grants not used in the period",
      note: `${count(total, "open action")} on ${count(secrets, "secret")}. ${count(revokeCount, "pair")} can read and did not, grouped here by the statements that grant them: revoking or narrowing a statement settles its whole group. Each pair is a row of ${ACCESS_REVIEW_FILE}.${groups.length > GROUP_ROWS ? ` The ${GROUP_ROWS} largest of ${count(groups.length, "group")} are shown.` : ""}`,
    },
    columns(["Granted by", 0.38], ["Principals", 0.1, "right"], ["Secrets", 0.1, "right"], ["Pairs", 0.1, "right"], ["Action", 0.18], ["Exception", 0.14]),
    groups.slice(0, GROUP_ROWS).map((group) => [group.grantedBy, String(group.principals.size), String(group.secrets.size), String(group.pairs), { text: "revoke", bold: true }, group.exception || "none"]),
    { size: 7.5, caption: "Grants not used" },
  );
  titledTable(
    writer,
    {
      text: "Open actions: reads to investigate",
      level: 2,
      note: otherCount > GROUP_ROWS ? `The first ${GROUP_ROWS} of ${count(otherCount, "pair")}; all are in ${ACCESS_REVIEW_FILE}.` : "",
      empty: "None: every read was granted, from an expected region and account.",
      emptyStyle: style("Helvetica", 9),
    },
    columns(["Secret", 0.24], ["Principal", 0.3], ["Action", 0.3], ["Exception", 0.16]),
    others.map((pair) => actionRow(pair)),
    { size: 7.5, caption: "Reads to investigate" },
  );
}

/**
 * A secret's grants as its matrix shows them: its own key's policy as "key policy", the key being named once above
 * the matrix. The key's ARN on every row took each row to three lines.
 */
const inMatrix = (grants: string, keyArn: string | undefined): string =>
  keyArn ? grants.replaceAll(`${short(keyArn)} key policy`, "key policy") : grants;

const matrixRow = (row: ReviewRow, keyArn: string | undefined): (string | Cell)[] => [
  short(row.principal),
  row.taskFamilies?.length ? `${row.principalType} (${row.taskFamilies.join(", ")})` : row.principalType,
  yesNo(row.canRead, !row.canRead && row.didRead),
  yesNo(row.didRead, row.canRead && !row.didRead),
  String(row.reads),
  row.lastRead?.slice(0, 10) ?? "",
  inMatrix(row.grantedBy.map((ref) => short(ref)).join("; "), keyArn),
];

/**
 * One secret's unused grants by action and granting statements, largest first. A secret has one row per principal, so
 * a group's pairs are its principals: counted, not gathered into sets as the open actions' groups across secrets are
 * (addToGroup ran for every unused pair twice, 0.3 s of the access review bench's packaging, CPU profile).
 */
function matrixGroups(rows: readonly ReviewRow[]): { grantedBy: string; pairs: number }[] {
  const counts = new Map<string, { grantedBy: string; pairs: number }>();
  for (const row of rows) {
    if (!unused(row)) continue;
    const key = `${row.action}\u0000${row.grantedBy.join("\u0000")}`;
    const group = counts.get(key);
    if (group) group.pairs += 1;
    else counts.set(key, { grantedBy: grantTextOf(row), pairs: 1 });
  }
  return [...counts.values()].sort((left, right) => right.pairs - left.pairs || left.grantedBy.localeCompare(right.grantedBy));
}

/** Every pair of a small secret; of a large one, each reader and each pair to investigate, then the unused grants grouped. */
function matrixRows(item: EvidenceItem, rows: readonly ReviewRow[], keyArn: string | undefined): { rows: (string | Cell)[][]; note: string } {
  if (rows.length <= MATRIX_ROWS) return { rows: rows.map((row) => matrixRow(row, keyArn)), note: "" };
  const listed = rows.filter((row) => !unused(row));
  const shown = listed.slice(0, MATRIX_ROWS);
  const grouped = matrixGroups(rows).map((group) => [
    { text: count(group.pairs, "principal"), bold: true },
    "grouped",
    "yes",
    { text: "no", bold: true, color: STATUS_COLORS.fail },
    "0",
    "",
    inMatrix(group.grantedBy, keyArn),
  ]);
  const more = listed.length - shown.length;
  const note = `${count(rows.length, "pair")}, grouped${more > 0 ? `; the first ${MATRIX_ROWS} readers and reads to investigate of ${listed.length}` : ""}.`;
  return { rows: [...shown.map((row) => matrixRow(row, keyArn)), ...grouped], note };
}

/**
 * Matrices' rows held from the first walk; past them, the matrices walk the items a second time. 20,000 rows of seven
 * cells, every string distinct, took 8.6 MB of heap (measured with --expose-gc); a walk of the bench's review items
 * parses 97 MB.
 */
const MATRIX_ROWS_HELD = 20_000;

/** The notes a secret's matrix may share with every other: what could not be read, where its reads come from. */
interface Notes {
  notRead: string[];
  reads: string;
}

/** One secret's matrix as the PDF draws it. */
interface Matrix extends Notes {
  heading: string;
  caption: string;
  keyArn: string | undefined;
  rows: (string | Cell)[][];
  note: string;
}

const notesOf = (item: EvidenceItem): Notes => ({ notRead: notReadOf(item), reads: readSourcesText(item) });

function matrixOf(item: EvidenceItem, rows: readonly ReviewRow[]): Matrix {
  const keyArn = typeof item.observed.keyArn === "string" ? item.observed.keyArn : undefined;
  return {
    heading: `${item.resource.name} (${item.account}, ${item.region})`,
    caption: item.resource.name,
    keyArn,
    ...notesOf(item),
    ...matrixRows(item, rows, keyArn),
  };
}

export function accessReviewSection(writer: PdfWriter, pkg: EvidencePackage): void {
  const items = reviewItems(pkg.items);
  if (items[Symbol.iterator]().next().done) return;
  writer.newPage();
  writer.heading("6 Access review of secrets", 1);
  writer.paragraph(
    "Who can read each secret (secretsmanager:GetSecretValue and kms:Decrypt on its key both allowed, after identity policies, permission boundaries, the resource and key policies, and SCPs where readable) against who did (CloudTrail GetSecretValue events within its 90-day event history, and for earlier days of the period what earlier snapshots recorded). The reviewer marks keep or revoke in access-review.csv and signs it.",
    style("Helvetica", 9),
  );
  const { actions, shared, matrices } = gatherReview(items);
  openActions(writer, actions);
  writer.heading("Matrix per secret", 2);
  const common = shared.text();
  writer.paragraph(
    `${common ? `For every secret below: ${common} ` : ""}A secret with more than ${MATRIX_ROWS} pairs shows each reader and each read to investigate (up to ${MATRIX_ROWS}), then those who can read and did not, grouped by the statements that grant them. Every pair is in ${ACCESS_REVIEW_FILE}.`,
    style("Helvetica-Oblique", 7.5, MUTED),
  );
  const draw = (matrix: Matrix) =>
    titledTable(
      writer,
      {
        text: matrix.heading,
        level: 3,
        note: [matrix.keyArn ? `Key ${short(matrix.keyArn)}.` : "", shared.own(matrix), matrix.note].filter(Boolean).join(" "),
        empty: "Nobody can read it and nobody did.",
        emptyStyle: style("Helvetica", 8.5),
      },
      // The statements are the widest cell: at 0.26 of the width each grouped row took four lines.
      columns(["Principal", 0.2], ["Type", 0.14], ["Can", 0.05], ["Did", 0.05], ["Reads", 0.06, "right"], ["Last read", 0.09], ["Granted by", 0.41]),
      matrix.rows,
      { size: 7, caption: matrix.caption },
    );
  for (const matrix of matrices.held) draw(matrix);
  if (matrices.all) return;
  let seen = 0;
  for (const item of items) if (seen++ >= matrices.held.length) draw(matrixOf(item, reviewRowsOf(item)));
}
