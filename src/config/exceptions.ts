// Approved exceptions from controls.yaml: a failing resource whose ARN matches an unexpired one is `excepted`.
import type { ExceptionConfig } from "./types.js";
import type { EvidenceItem } from "../core/model.js";

/** ARN globs: `*` is any run of characters (including `:` and `/`), `?` is one character. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}

export class ExceptionBook {
  private readonly compiled: { exception: ExceptionConfig; pattern: RegExp }[];
  private readonly matches = new Map<ExceptionConfig, number>();

  constructor(
    exceptions: readonly ExceptionConfig[],
    private readonly today: string,
  ) {
    this.compiled = exceptions.map((exception) => ({ exception, pattern: globToRegExp(exception.resource) }));
  }

  /** Applies the first matching exception to a failing item; an expired one is named but does not apply. */
  apply(item: EvidenceItem): EvidenceItem {
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

  /** Every exception with how many failing items it matched in this run. */
  usage(): { exception: ExceptionConfig; matched: number; expired: boolean }[] {
    return this.compiled.map(({ exception }) => ({
      exception,
      matched: this.matches.get(exception) ?? 0,
      expired: exception.expires < this.today,
    }));
  }
}
