// fast-check generators for the parsers' inputs: YAML-shaped text, edits of a valid controls.yaml, period names and
// AWS cron expressions, each mixing what users write with what they should not.
import fc from "fast-check";

const CONFIG_WORDS =
  "version organization scope accounts regions assumeRole store bucket controls collectors use with id title " +
  "exceptions expires kms-key-rotation secrets-rotation current us-east-1 123456789012 1 -1 2026-01-01 ~ null true";
/** YAML syntax, including the awkward: tabs, NUL, BOM, CRLF, directives, tags, anchors, aliases and merge keys. */
const YAML_SYNTAX = [
  ...[
    ": ",
    ":",
    " ",
    "\n",
    "\n  ",
    "\n    ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "'",
    '"',
    "? ",
    "# ",
    "|\n",
    ">-\n",
  ],
  ...["&a ", "*a", "<<: *a", "!!str ", "!!binary ", "!foo ", "---\n", "...\n", "%YAML 1.2\n", "\t", "\r\n"],
  ...["\u0000", "\ufeff", "\\", "@", "`", "1e999", ".nan"],
];

/** Random sequences of YAML syntax, config words and short random strings. */
export const yamlish = fc
  .array(fc.oneof(fc.constantFrom(...CONFIG_WORDS.split(" "), ...YAML_SYNTAX), fc.string({ maxLength: 6 })), {
    maxLength: 60,
  })
  .map((tokens) => tokens.join(""));

const SCALARS =
  "¦~¦[]¦{}¦true¦-1¦0¦1e309¦.nan¦0x10¦'x'¦\"\\u0000\"¦current¦organization¦us-east-1¦2026-02-30¦*a¦&a x¦" +
  "!!binary aGk=¦[us-east-1, mars-1]¦{ maxIntervalDays: 0 }¦99999999999999999999¦[[a]]";
const scalar = fc.oneof(
  fc.constantFrom(...SCALARS.split("¦")),
  fc.integer().map(String),
  fc.string({ maxLength: 12 }),
);

type Edit =
  | { kind: "delete" | "duplicate"; line: number }
  | { kind: "swap"; line: number; other: number }
  | { kind: "indent"; line: number; by: number }
  | { kind: "value" | "insert"; line: number; text: string }
  | { kind: "truncate"; at: number }
  | { kind: "char"; at: number; text: string };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constantFrom("delete" as const, "duplicate" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), line: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant("indent" as const), line: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ kind: fc.constant("value" as const), line: fc.nat(), text: scalar }),
  fc.record({ kind: fc.constant("insert" as const), line: fc.nat(), text: yamlish }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("char" as const),
    at: fc.nat(),
    text: fc.string({ unit: "binary", minLength: 1, maxLength: 2 }),
  }),
);

function applyEdit(text: string, change: Edit): string {
  if (change.kind === "truncate") return text.slice(0, change.at % (text.length + 1));
  if (change.kind === "char") {
    const at = change.at % (text.length + 1);
    return text.slice(0, at) + change.text + text.slice(at);
  }
  const lines = text.split("\n");
  const index = change.line % lines.length;
  const line = lines[index] ?? "";
  if (change.kind === "delete") lines.splice(index, 1);
  if (change.kind === "duplicate") lines.splice(index, 0, line);
  if (change.kind === "insert") lines.splice(index, 0, change.text);
  if (change.kind === "indent") {
    lines[index] =
      change.by >= 0 ? " ".repeat(change.by) + line : line.replace(new RegExp(`^ {0,${-change.by}}`), "");
  }
  if (change.kind === "value") {
    lines[index] = line.includes(": ")
      ? `${line.slice(0, line.indexOf(": "))}: ${change.text}`
      : `${line}: ${change.text}`;
  }
  if (change.kind === "swap") {
    const other = change.other % lines.length;
    [lines[index], lines[other]] = [lines[other] ?? "", line];
  }
  return lines.join("\n");
}

/** `valid` after one to three edits: delete, duplicate, swap or re-indent a line, replace a value, insert YAML, truncate, insert a character. */
export const editsOf = (valid: string) =>
  fc.array(edit, { minLength: 1, maxLength: 3 }).map((changes) => changes.reduce(applyEdit, valid));

const pad = (value: number, width: number) => String(value).padStart(width, "0");
const dayish = fc
  .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
  .map(([year, month, day]) => `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`);

/** Period names: random text, quarters and halves (some impossible), years, and day ranges with impossible days. */
export const periodish = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.constantFrom("current", "CURRENT", "Q1", "q2", " Q3 ", "Q4", "Q0", "Q5", "H1"),
  // Years 0000-0099 are left out: Date.UTC reads them as 1900-1999 (a known issue, see bad-input.test.ts).
  fc
    .tuple(fc.integer({ min: 100, max: 9999 }), fc.constantFrom("", "-Q1", "-q4", "-Q5", "-H1", "-H2", "-H3"))
    .map(([year, suffix]) => `${pad(year, 4)}${suffix}`),
  fc.tuple(dayish, dayish).map(([start, end]) => `${start}..${end}`),
);

const JUNK_ATOMS = "*¦?¦L¦W¦LW¦#¦MON¦fri¦JAN¦dec¦FOO¦¦-¦/¦1-¦-1¦*/0".split("¦");
const cronAtom = fc.oneof(
  fc.nat({ max: 70 }).map(String),
  fc.constantFrom(...JUNK_ATOMS),
  fc
    .tuple(fc.nat({ max: 70 }), fc.nat({ max: 70 }), fc.constantFrom("-", "/", "#"))
    .map(([a, b, sign]) => `${a}${sign}${b}`),
  fc.tuple(fc.nat({ max: 40 }), fc.constantFrom("L", "W")).map(([a, suffix]) => `${a}${suffix}`),
);
const list = (atom: fc.Arbitrary<string>) =>
  fc.array(atom, { minLength: 1, maxLength: 3 }).map((atoms) => atoms.join(","));
const span = (min: number, max: number) =>
  fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([a, b]) => `${a}-${b}`);
const step = (min: number, max: number) =>
  fc
    .tuple(fc.constantFrom("*", String(min)), fc.integer({ min: 1, max }))
    .map(([from, by]) => `${from}/${by}`);
/** Minutes kept to a few values, so a valid expression fires at most a few times an hour and the year scan stays fast. */
const minutes = list(fc.nat({ max: 61 }).map(String));

/** Mostly what AWS accepts: one day field is `?`, the other uses values, ranges, steps, L, W and #. */
const likelyCron = fc
  .tuple(
    minutes,
    fc.oneof(fc.integer({ min: 0, max: 23 }).map(String), fc.constant("*"), span(0, 23), step(0, 12)),
    fc.oneof(
      list(
        fc.oneof(
          fc.integer({ min: 1, max: 31 }).map(String),
          fc.constantFrom("L", "LW", "15W", "*"),
          span(1, 31),
          step(1, 10),
        ),
      ).map((dom) => [dom, "?"]),
      list(
        fc.oneof(
          fc.integer({ min: 1, max: 7 }).map(String),
          fc.constantFrom("MON-FRI", "SAT", "*", "6L", "2#1", "7#5"),
          span(1, 7),
        ),
      ).map((dow) => ["?", dow]),
    ),
    fc.oneof(
      fc.constantFrom("*", "JAN", "FEB", "JAN-JUN", "DEC-FEB", "*/3"),
      fc.integer({ min: 1, max: 12 }).map(String),
    ),
    fc.oneof(
      fc.constantFrom("*", "2026-2199", "2030", "2199", "2026/2"),
      fc.integer({ min: 1970, max: 2199 }).map(String),
    ),
  )
  .map(([minute, hour, [dom, dow], month, year]) => `${minute} ${hour} ${dom} ${month} ${dow} ${year}`);

/** The inside of cron(...): mostly plausible six-field expressions, the rest junk in six or any number of fields. */
export const cronBody = fc.oneof(
  { arbitrary: likelyCron, weight: 3 },
  fc
    .tuple(minutes, list(cronAtom), list(cronAtom), list(cronAtom), list(cronAtom), list(cronAtom))
    .map((fields) => fields.join(" ")),
  fc.array(list(cronAtom), { minLength: 1, maxLength: 8 }).map((fields) => fields.join(" ")),
);
