// Bounded concurrency over a stream: at most `limit` tasks in flight, results yielded as they finish.

export async function* mapConcurrent<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  limit: number,
  task: (value: T) => Promise<R>,
): AsyncGenerator<R> {
  const iterator =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (source as Iterable<T>)[Symbol.iterator]();
  const running = new Map<number, Promise<{ id: number; result: R }>>();
  let nextId = 0;
  let exhausted = false;
  const fill = async () => {
    while (!exhausted && running.size < limit) {
      const step = await iterator.next();
      if (step.done) {
        exhausted = true;
        break;
      }
      const id = nextId++;
      running.set(
        id,
        task(step.value).then((result) => ({ id, result })),
      );
    }
  };
  await fill();
  while (running.size > 0) {
    const { id, result } = await Promise.race(running.values());
    running.delete(id);
    yield result;
    await fill();
  }
}

/** Runs every task with at most `limit` in flight; resolves when all have settled. */
export async function runConcurrent<T>(values: readonly T[], limit: number, task: (value: T) => Promise<void>) {
  for await (const _ of mapConcurrent(values, limit, task)) {
    // results are side effects
  }
}
