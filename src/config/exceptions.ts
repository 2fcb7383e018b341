// Approved exceptions from controls.yaml: a failing resource whose ARN matches an unexpired one is `excepted`.
import { ConfigError } from "../core/errors.js";
import type { ExceptionConfig } from "./types.js";
import type { EvidenceItem } from "../core/model.js";

/** Longest resource glob accepted: an ARN is at most 2048 characters. */
export const MAX_GLOB_LENGTH = 2048;
/** Default share of a collector's items one wildcard exception may cover before it is refused (`scope: all` allows more). */
export const DEFAULT_MAX_EXCEPTION_SHARE = 0.5;

export interface GlobMatcher {
  test(text: string): boolean;
  /** Comparison steps of the last `test`: at most (text + 1) x (pattern + 1), never exponential. */
  readonly steps: number;
}

/**
 * ARN globs: `*` is any run of characters (including `:` and `/`), `?` is one character. Matched by the
 * two-pointer wildcard algorithm, which returns only to the last `*` seen: no regex, no backtracking blow-up,
 * so `*?*?*?...z` costs at most text x pattern steps (it used to hang a regex engine).
 */
export function compileGlob(glob: string): GlobMatcher {
  if (glob.length > MAX_GLOB_LENGTH) throw new ConfigError(`resource pattern is ${glob.length} characters; at most ${MAX_GLOB_LENGTH}`);
  let steps = 0;
  return {
    get steps() {
      return steps;
    },
    test(text: string): boolean {
      steps = 0;
      let t = 0;
      let p = 0;
      let star = -1;
      let resume = 0;
      while (t < text.length) {
        steps += 1;
        const c = glob[p];
        if (c === "?" || (c !== undefined && c !== "*" && c === text[t])) {
          t += 1;
          p += 1;
        } else if (c === "*") {
          star = p;
          resume = t;
          p += 1;
        } else if (star >= 0) {
          p = star + 1;
          resume += 1;
          t = resume;
        } else return false;
      }
      while (glob[p] === "*") p += 1;
      return p === glob.length;
    },
  };
}

/**
 * A glob that, by its shape alone, matches every resource of any collector: nothing but wildcards and the
 * `arn:<partition>:` frame. Narrower patterns (a whole service, `arn:aws:kms:*`) are judged at run time against the
 * collector's population by `assertShares`.
 */
export function isBlanketGlob(glob: string): boolean {
  if (!glob.includes("*")) return false;
  const literal = glob.split("*")[0] as string;
  // "", arn, arn:, arn:aws, arn:aws: (with `?` anywhere) and no more than that before the first `*`.
  return /^(arn(:[a-z0-9-]*)?:?)?$/.test(literal.replace(/\?/g, ""));
}

export class ExceptionBook {
  private readonly compiled: { exception: ExceptionConfig; pattern: GlobMatcher }[];
  private readonly matches = new Map<ExceptionConfig, number>();
  private readonly seen = new Map<string, number>();

  constructor(
    exceptions: readonly ExceptionConfig[],
    private readonly today: string,
    private readonly maxShare = DEFAULT_MAX_EXCEPTION_SHARE,
  ) {
    this.compiled = exceptions.map((exception) => ({ exception, pattern: compileGlob(exception.resource) }));
  }

  /** Applies the first matching exception to a failing item; an expired one is named but does not apply. */
  apply(item: EvidenceItem): EvidenceItem {
    this.seen.set(item.collector, (this.seen.get(item.collector) ?? 0) + 1);
    if (item.status !== "fail") return item;
    const match = this.compiled.find(
      ({ exception, pattern }) => exception.collector === item.collector && pattern.test(item.resource.arn),
    );
    if (!match) return item;
    const { exception } = match;
    this.matches.set(exception, (this.matches.get(exception) ?? 0) + 1);
    const record = {
      reason: exception.reason,
      approvedBy: exception.approvedBy,
      ...(exception.ticket ? { ticket: exception.ticket } : {}),
      expires: exception.expires,
    };
    if (exception.expires < this.today) {
      return {
        ...item,
        reason: `${item.reason} (exception ${exception.ticket ?? exception.resource} expired ${exception.expires} and no longer applies)`,
        observed: { ...item.observed, expiredException: record },
      };
    }
    return { ...item, status: "excepted", reason: `${exception.reason}: ${item.reason}`, exception: record };
  }

  /** Every exception with how many failing items it matched in this run, of how many items its collector produced. */
  usage(): { exception: ExceptionConfig; matched: number; population: number; expired: boolean }[] {
    return this.compiled.map(({ exception }) => ({
      exception,
      matched: this.matches.get(exception) ?? 0,
      population: this.seen.get(exception.collector) ?? 0,
      expired: exception.expires < this.today,
    }));
  }

  /**
   * Refuses the run when a wildcard exception without `scope: all` covered every item of its collector or more than
   * the allowed share: a blanket exception would turn a failing control effective in silence. Called before the
   * snapshot is recorded, so nothing is marked complete.
   */
  assertShares(): void {
    const refused = this.usage().filter(
      ({ exception, matched, population, expired }) =>
        !expired &&
        exception.scope !== "all" &&
        /[*?]/.test(exception.resource) &&
        matched > 0 &&
        (matched === population || matched / population > this.maxShare),
    );
    if (refused.length === 0) return;
    throw new ConfigError(
      `${refused.length} exception${refused.length === 1 ? "" : "s"} cover${refused.length === 1 ? "s" : ""} too much; nothing was recorded`,
      refused.map(
        ({ exception, matched, population }) =>
          `${exception.location} (${exception.collector} ${exception.resource}): matched ${matched} of ${population} items, more than ${Math.round(this.maxShare * 100)}%; ` +
          `narrow the pattern, or mark it "scope: all" with the reason`,
      ),
    );
  }
}
