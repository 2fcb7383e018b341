// A list that fills while it is read: every walk sees every value pushed, in push order, and waits for the next one
// until the list is ended (or failed, which every walk then throws). One producer, any number of readers.

export class Replay<T> implements AsyncIterable<T> {
  private readonly values: T[] = [];
  private state: { ended: false } | { ended: true; failure?: { error: unknown } } = { ended: false };
  private waiting: (() => void)[] = [];

  push(value: T): void {
    if (this.state.ended) throw new Error("Replay.push after the list ended");
    this.values.push(value);
    this.wake();
  }

  end(): void {
    if (this.state.ended) return;
    this.state = { ended: true };
    this.wake();
  }

  /** Ends the list with an error: a walk throws it once it has seen every value pushed before. */
  fail(error: unknown): void {
    if (this.state.ended) return;
    this.state = { ended: true, failure: { error } };
    this.wake();
  }

  /** Every value, once the list has ended (rejects as a walk would throw). */
  async all(): Promise<T[]> {
    for await (const _ of this) {
      // walked to the end
    }
    return this.values;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (let next = 0; ; ) {
      if (next < this.values.length) {
        yield this.values[next++] as T;
        continue;
      }
      if (this.state.ended) {
        if (this.state.failure) throw this.state.failure.error;
        return;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}
