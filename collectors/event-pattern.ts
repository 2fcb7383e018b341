// Does an EventBridge event pattern match an event? Enough of the pattern language to judge rules by content, not name.
// Source: EventBridge User Guide, "Creating event patterns" and "Content filtering" (prefix, suffix, anything-but,
// exists, equals-ignore-case, wildcard, numeric); $or and unmodelled operators are reported, never guessed.

export type Pattern = Record<string, unknown>;
export type Event = Record<string, unknown>;

export class PatternParseError extends Error {
  override name = "PatternParseError";
}

/** The pattern JSON as ListRules returns it; malformed or non-object input is an error with the reason. */
export function parsePattern(text: string | undefined): Pattern {
  if (!text) throw new PatternParseError("the rule has no event pattern (a schedule)");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PatternParseError(`event pattern is not JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new PatternParseError("event pattern is not a JSON object");
  return parsed as Pattern;
}

export interface MatchResult {
  matches: boolean;
  /** Dotted paths the pattern filters on that the candidate event does not carry: assumed to match (the real event may). */
  assumed: string[];
  /** Why the match could not be judged (an operator this evaluator does not model). */
  unjudged?: string;
}

const glob = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(value);

/** One pattern value (an array of alternatives) against one event value; undefined when an operator is not modelled. */
function matchesValue(alternatives: unknown, value: unknown): boolean | undefined {
  if (!Array.isArray(alternatives)) return undefined;
  const values = Array.isArray(value) ? value : [value];
  for (const alternative of alternatives) {
    if (alternative === null || typeof alternative !== "object") {
      if (values.some((one) => one === alternative)) return true;
      continue;
    }
    const [operator, operand] = Object.entries(alternative as Record<string, unknown>)[0] ?? [];
    const text = values.filter((one): one is string => typeof one === "string");
    switch (operator) {
      case "prefix":
        if (typeof operand === "string" && text.some((one) => one.startsWith(operand))) return true;
        break;
      case "suffix":
        if (typeof operand === "string" && text.some((one) => one.endsWith(operand))) return true;
        break;
      case "equals-ignore-case":
        if (typeof operand === "string" && text.some((one) => one.toLowerCase() === operand.toLowerCase())) return true;
        break;
      case "wildcard":
        if (typeof operand === "string" && text.some((one) => glob(operand, one))) return true;
        break;
      case "exists":
        if ((operand === true) === (value !== undefined)) return true;
        break;
      case "anything-but": {
        if (value === undefined) break;
        const excluded = operand && typeof operand === "object" && !Array.isArray(operand) ? matchesValue([operand], value) : matchesValue(Array.isArray(operand) ? operand : [operand], value);
        if (excluded === undefined) return undefined;
        if (!excluded) return true;
        break;
      }
      default:
        return undefined;
    }
  }
  return false;
}

/** Matches a candidate event; fields the candidate lacks are assumed to match and listed, so the evidence says so. */
export function matchEvent(pattern: Pattern, event: Event, path = ""): MatchResult {
  const assumed: string[] = [];
  for (const [key, expected] of Object.entries(pattern)) {
    const at = path ? `${path}.${key}` : key;
    if (key === "$or") return { matches: false, assumed, unjudged: `${at}: $or is not judged` };
    const value = event[key];
    if (expected && typeof expected === "object" && !Array.isArray(expected)) {
      if (value === undefined || typeof value !== "object") {
        assumed.push(at);
        continue;
      }
      const inner = matchEvent(expected as Pattern, value as Event, at);
      assumed.push(...inner.assumed);
      if (!inner.matches || inner.unjudged) return { ...inner, assumed };
      continue;
    }
    if (value === undefined && !Array.isArray(expected)) return { matches: false, assumed, unjudged: `${at}: not a list of values` };
    if (value === undefined && !(expected as unknown[]).some((one) => one && typeof one === "object" && "exists" in (one as object))) {
      assumed.push(at);
      continue;
    }
    const result = matchesValue(expected, value);
    if (result === undefined) return { matches: false, assumed, unjudged: `${at}: an operator this check does not model` };
    if (!result) return { matches: false, assumed };
  }
  return { matches: true, assumed };
}
