// Stopping a run: the named phases a run passes through and the check that ends it once a stop signal (SIGTERM) came.
// No I/O: the CLI wires the signal, and a test may hold a phase through the hook (SOC2_EVIDENCE_TEST_HOLD).

/** Where a stop lands: writing a snapshot, writing package files, writing the manifest, or checking a package. */
export type Phase = "snapshot.writing" | "package.writing" | "package.manifest" | "verify.checking";

/** Awaited at each phase: a test holds the run there and signals it; production runs pass none. */
export type PhaseHook = (phase: Phase) => Promise<void> | void;

/** Throws the stop reason once a signal has aborted the run: nothing after this point is written. */
export function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
}
