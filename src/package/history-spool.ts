// Where a period's history parks each resource's items while the snapshots are read: the lines as read, on disk,
// compacted as later snapshots supersede them, so memory holds one small state per resource and no items.
import type { EvidenceItem } from "../core/model.js";
import { LineSpool } from "./line-spool.js";

/**
 * Superseded bytes allowed, beyond `ratio` times the live ones plus `floorBytes`, before a compaction rewrites the live
 * lines. Checked after each snapshot, so by this rule the file holds at most (1 + ratio) x the live lines plus
 * `floorBytes` plus one snapshot's lines.
 */
export interface GarbageLimit {
  ratio: number;
  floorBytes: number;
}

export const GARBAGE_LIMIT: GarbageLimit = { ratio: 4, floorBytes: 64 << 20 };

/** The line ids a resource's state points at. */
export interface SpooledLines {
  latest: number;
  first: number;
}

export class HistorySpool {
  private lines = new LineSpool();
  private compacted = 0;

  constructor(private readonly limit: GarbageLimit = GARBAGE_LIMIT) {}

  /** Compactions so far. */
  get compactions(): number {
    return this.compacted;
  }

  /** Bytes in the file, live and superseded. */
  get bytes(): number {
    return this.lines.bytes;
  }

  add(line: string): number {
    return this.lines.append(line);
  }

  item(line: number): EvidenceItem {
    return JSON.parse(this.lines.line(line)) as EvidenceItem;
  }

  /**
   * The item of a line, parsed only if something reads it: a judge's `dates(item, previous)` is given the resource's
   * previous item, and all but one ignore it.
   */
  lazyItem(line: number): EvidenceItem {
    let parsed: EvidenceItem | undefined;
    const item = () => (parsed ??= this.item(line));
    return new Proxy({} as EvidenceItem, {
      get: (_, key) => Reflect.get(item(), key),
      has: (_, key) => Reflect.has(item(), key),
      ownKeys: () => Reflect.ownKeys(item()),
      getOwnPropertyDescriptor: (_, key) => Reflect.getOwnPropertyDescriptor(item(), key),
    });
  }

  /** Rewrites the lines `states` point at into a new file once superseded lines outgrow them; updates the ids. */
  compact(states: ReadonlyMap<string, SpooledLines>): void {
    let live = 0;
    for (const state of states.values()) live += this.lines.lengthOf(state.latest) + (state.first === state.latest ? 0 : this.lines.lengthOf(state.first));
    if (this.lines.bytes - live <= this.limit.ratio * live + this.limit.floorBytes) return;
    const next = new LineSpool();
    try {
      for (const state of states.values()) {
        const latest = next.append(this.lines.line(state.latest));
        state.first = state.first === state.latest ? latest : next.append(this.lines.line(state.first));
        state.latest = latest;
      }
    } catch (error) {
      next.dispose();
      throw error;
    }
    this.lines.dispose();
    this.lines = next;
    this.compacted += 1;
  }

  dispose(): void {
    this.lines.dispose();
  }
}
