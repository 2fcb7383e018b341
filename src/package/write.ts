// Writes a package: renderers into a staging folder, each file to the store, then manifest.json, then latest.json.
import { latestPointerKey, MANIFEST_FILE, packagePrefix } from "../core/store-layout.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Format } from "../../reports/renderer.js";
import type { Manifest, ManifestFile } from "../integrity/manifest.js";
import { SIGNATURE_FILE, signerOf } from "../integrity/sign.js";
import type { Store } from "../store/store.js";
import type { EvidencePackage } from "../core/package-model.js";
import type { Logger } from "../core/log.js";
import { stopIfAborted, type PhaseHook } from "../core/stop.js";
import { stagingTarget } from "./staging-target.js";
import { ItemSpool } from "./item-spool.js";
import { renderBeside, type BesideRender } from "./render-beside.js";

let renderers: Promise<typeof import("../../reports/index.js")> | undefined;

/**
 * The renderers' modules (pdfkit and its fonts among them, about 0.1 s to load) are loaded when first asked for, not
 * when the CLI starts: `collect` asks at the start of its snapshot, so they load while the first calls are in flight.
 */
export function loadRenderers(): Promise<typeof import("../../reports/index.js")> {
  renderers ??= import("../../reports/index.js");
  return renderers;
}

export interface WriteOptions {
  /** A stop before the manifest is written abandons the package (no manifest); once it is being written, it finishes. */
  signal?: AbortSignal;
  hooks?: PhaseHook;
  log?: Logger;
  /** Hears each format as its rendering starts (done of total formats). */
  progress?: (format: string, done: number, total: number) => void;
}

export interface WrittenPackage {
  prefix: string;
  manifestKey: string;
  manifest: Manifest;
}


const CONTENT_TYPES: Record<string, string> = { ".json": "application/json", ".pdf": "application/pdf", ".csv": "text/csv; charset=utf-8" };
const contentType = (path: string) => CONTENT_TYPES[path.slice(path.lastIndexOf("."))] ?? "application/octet-stream";

export async function writePackage(pkg: EvidencePackage, store: Store, formats: readonly Format[], options: WriteOptions = {}): Promise<WrittenPackage> {
  const prefix = packagePrefix(pkg.period.label, pkg.runId);
  const staging = await mkdtemp(join(tmpdir(), "soc2-package-"));
  const uploads = new Uploads(store, prefix, staging, options);
  const target = stagingTarget(staging, (path) => uploads.add(path), (path) => uploads.has(path));
  let beside: BesideRender | undefined;
  const stopBeside = () => void beside?.stop(options.signal?.reason);
  try {
    const { renderersFor, ITEM_STREAMS } = await loadRenderers();
    const renderers = renderersFor(formats);
    // With the items in a spool, the formats that only stream them render on a worker meanwhile (render-beside.ts).
    const { items, ...head } = pkg;
    const spool = items instanceof ItemSpool ? items : undefined;
    const onWorker = spool ? renderers.filter((renderer) => ITEM_STREAMS.includes(renderer)) : [];
    if (spool && onWorker.length > 0) {
      stopIfAborted(options.signal);
      beside = renderBeside({ pkg: head, items: spool.share(), formats: onWorker.map((renderer) => renderer.format), staging }, (path) => uploads.add(path));
      // Heard at once, so a failure while the main thread renders is never unhandled; rethrown when awaited below.
      beside.finished.catch(() => undefined);
      options.signal?.addEventListener("abort", stopBeside, { once: true });
    }
    for (const [done, renderer] of renderers.entries()) {
      stopIfAborted(options.signal);
      uploads.check();
      options.progress?.(renderer.format, done, renderers.length);
      if (!onWorker.includes(renderer)) await renderer.render(pkg, target);
    }
    await beside?.finished;
    const files = await uploads.all();
    const manifest: Manifest = {
      schemaVersion: 1,
      tool: pkg.tool,
      organization: pkg.organization,
      period: pkg.period.label,
      runId: pkg.runId,
      generatedAt: pkg.generatedAt,
      location: `${store.location.replace(/\/$/, "")}/${prefix}`,
      files,
      snapshots: pkg.snapshots.flatMap((snapshot) => snapshot.files),
    };
    const manifestKey = `${prefix}${MANIFEST_FILE}`;
    // Signed before the manifest is stored, so a key that fails leaves no manifest; the signature lands beside it.
    const signature = await signerOf(store)?.sign(manifest);
    // The last point a stop abandons the package; from here the manifest and latest.json are written, and said so.
    stopIfAborted(options.signal);
    const finishing = () => options.log?.warn("package.finishing", { note: "stop received while the manifest was being written; the package is finished, then the run stops" });
    options.signal?.addEventListener("abort", finishing, { once: true });
    await options.hooks?.("package.manifest");
    await store.put(manifestKey, JSON.stringify(manifest, null, 2), "application/json");
    if (signature) await store.put(`${prefix}${SIGNATURE_FILE}`, JSON.stringify(signature, null, 2), "application/json");
    // Only a package whose manifest exists is complete; latest.json then points at it, unless a package generated
    // later was published while this one was uploading.
    const latestKey = latestPointerKey(pkg.period.label);
    await store.putPointer(
      latestKey,
      JSON.stringify({ runId: pkg.runId, manifest: manifestKey, generatedAt: pkg.generatedAt, status: pkg.summary.status }, null, 2),
      (current) => !newerPackageIsLatest(current, pkg.generatedAt),
    );
    options.signal?.removeEventListener("abort", finishing);
    return { prefix, manifestKey, manifest };
  } finally {
    // A worker still writing into the staging folder is ended first (after a failure or a stop on this thread).
    options.signal?.removeEventListener("abort", stopBeside);
    await beside?.stop(new Error("the package was abandoned"));
    // An upload may still be reading its staged file: the staging folder goes once none is, and none queued starts.
    await uploads.abandon();
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Each rendered file goes to the store as soon as it is complete, one at a time, while the next format renders: a
 * store's copy and hash (or an S3 upload) is mostly waiting, which rendering can fill. Packaging the access review
 * bench's store spent 0.9 s after the last render storing 180 MB, the main thread about 75% idle (CPU profile). One at a
 * time keeps memory where it was: an S3 upload holds its part buffers, and two would hold both.
 */
class Uploads {
  private readonly stored = new Map<string, Promise<ManifestFile>>();
  private queue: Promise<unknown> = Promise.resolve();
  private started: Promise<void> | undefined;
  private failure: unknown;
  private abandoned = false;

  constructor(
    private readonly store: Store,
    private readonly prefix: string,
    private readonly staging: string,
    private readonly options: WriteOptions,
  ) {}

  has(path: string): boolean {
    return this.stored.has(path);
  }

  /** Queues a complete staged file for the store; the first waits for the package.writing phase. */
  add(path: string): void {
    if (this.stored.has(path)) throw new Error(`the package already has ${path}`);
    this.started ??= Promise.resolve(this.options.hooks?.("package.writing"));
    const started = this.started;
    const upload = this.queue.then(async () => {
      await started;
      if (this.abandoned) throw new Error(`${path} was not stored: the package was abandoned`);
      this.check();
      stopIfAborted(this.options.signal);
      const file = await this.store.putFile(`${this.prefix}${path}`, join(this.staging, path), contentType(path));
      return { path, ...file };
    });
    // Heard here at once, so a failure while the next format renders is never unhandled; rethrown by check and all.
    upload.catch((error: unknown) => (this.failure ??= error));
    this.stored.set(path, upload);
    this.queue = upload.catch(() => undefined);
  }

  /** Throws what an upload already met, so rendering stops at the next format rather than at the end. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Every file as stored, by path. */
  async all(): Promise<ManifestFile[]> {
    const files: ManifestFile[] = [];
    for (const path of [...this.stored.keys()].sort()) files.push(await (this.stored.get(path) as Promise<ManifestFile>));
    return files;
  }

  /** Lets the upload under way finish and starts none of those queued; stored files are not taken back. */
  async abandon(): Promise<void> {
    this.abandoned = true;
    await Promise.allSettled(this.stored.values());
  }
}

/** Whether the pointer in place names a package generated after this one (compared inside the store's atomic write). */
function newerPackageIsLatest(current: Buffer | undefined, generatedAt: string): boolean {
  if (!current) return false;
  try {
    const pointer = JSON.parse(current.toString("utf8")) as { generatedAt?: unknown };
    return typeof pointer.generatedAt === "string" && pointer.generatedAt > generatedAt;
  } catch {
    return false; // an unreadable pointer is replaced
  }
}
