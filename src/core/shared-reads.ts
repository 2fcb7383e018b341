// Reads several collectors of one run need alike (an account's IAM authorization details, its secrets with their
// resource policies): made once, and every collector that asks gets the answer with the calls behind it in its trace.
import type { CallTrace } from "./trace.js";

export type SharedRead = <T>(key: string, trace: CallTrace, read: (trace: CallTrace) => Promise<T>) => Promise<T>;

/** One run's shared reads, keyed by what was read; a failed read fails every caller alike, as it would each alone. */
export class SharedReads {
  private readonly reads = new Map<string, Promise<{ value: unknown; calls: CallTrace }>>();

  readonly read: SharedRead = async <T>(key: string, trace: CallTrace, read: (trace: CallTrace) => Promise<T>) => {
    let pending = this.reads.get(key);
    if (!pending) {
      const calls = trace.blank();
      pending = read(calls).then((value) => ({ value, calls }));
      this.reads.set(key, pending);
    }
    const { value, calls } = await pending;
    trace.absorb(calls);
    return value as T;
  };
}

/** Through the run's shared reads when it has them (a context built by hand, as in a unit test, reads directly). */
export function sharedRead<T>(ctx: { account: string; shared?: SharedRead }, key: string, trace: CallTrace, read: (trace: CallTrace) => Promise<T>): Promise<T> {
  return ctx.shared ? ctx.shared(`${ctx.account}|${key}`, trace, read) : read(trace);
}
