// `publish --to vanta|drata` run as the CLI runs it, against the local stand-in that checks every request.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kmsOnlyConfig } from "./fixtures/controls.js";
import { syntheticPackage } from "./fixtures/package.js";
import { validateEvidenceJson } from "./support/evidence-schema.js";
import { main } from "../src/cli/main.js";
import { calls, EVIDENCE_BASE, folder, MAPPING, NOW, output, packageOf, publish, root, SECRETS, standIn, uploads, usePublishHarness, VANTA_CONTROLS } from "./support/publish-harness.js";

usePublishHarness();

describe("publish --to vanta", () => {
  it("uploads each control's PDF, links it to the mapped Vanta controls, and syncs resources and secrets", async () => {
    expect(await publish("--to", "vanta", "--package", folder, "--evidence-base-url", EVIDENCE_BASE)).toBe(0);
    expect(standIn.rejections).toEqual([]);
    const byDocument = Object.fromEntries(
      [...standIn.vanta.documents.values()].map((document) => [
        document.title,
        document.uploads.map((upload) => upload.fileName),
      ]),
    );
    expect(byDocument["SOC 2 CC6.1: Encryption keys rotate"]).toEqual([
      expect.stringMatching(/^soc2-evidence_CC6\.1_2026-Q3_.+\.pdf$/),
    ]);
    expect(byDocument["Logging evidence"]).toEqual([expect.stringMatching(/^soc2-evidence_CC7\.2_/)]);
    expect(calls("POST", /^\/v1\/documents$/)).toHaveLength(2);
    expect(
      uploads().every(
        (upload) => upload.mimeType === "application/pdf" && upload.effectiveDate === "2026-08-15T06:11:42.000Z",
      ),
    ).toBe(true);
    expect(Object.fromEntries([...standIn.vanta.links].map(([document, ids]) => [document, [...ids]]))).toEqual({
      "keys-doc": MAPPING["CC6.1"].vanta,
      "doc-5": MAPPING["CC6.3"].vanta,
    });
    expect(calls("PUT", /custom_resource/)).toHaveLength(1);
    const resources = standIn.vanta.resources.get("custom-resource-type-1") ?? [];
    expect(resources).toHaveLength(60);
    expect(resources.every((resource) => String(resource.externalUrl).startsWith(EVIDENCE_BASE))).toBe(true);
    const secrets = standIn.vanta.resources.get("secret-type-1") ?? [];
    expect(secrets.length).toBeGreaterThan(0);
    expect(secrets.every((secret) => String(secret.uniqueId).startsWith("arn:aws:secretsmanager:"))).toBe(true);
    expect(standIn.vanta.mints).toBe(2);
    const evidence = JSON.parse(await readFile(join(folder, "evidence.json"), "utf8")) as unknown;
    expect(validateEvidenceJson(evidence)).toEqual([]);
  });

  it("uploads the documents but refuses the resource sync from a local store, naming --evidence-base-url", async () => {
    const pkg = syntheticPackage({ items: 60 });
    const local = await packageOf({ ...pkg, runId: "20260815T070000Z-0c0c0c", store: { kind: "local", location: root, warnings: [] } });
    expect(await publish("--to", "vanta", "--package", local)).toBe(0);
    expect(uploads()).toHaveLength(4);
    expect(calls("PUT", /\/v1\/resources\//)).toEqual([]);
    expect(output.join("")).toContain("--evidence-base-url");
  });

  it("makes no duplicates when the same package is published again", async () => {
    const args = ["--to", "vanta", "--package", folder, "--evidence-base-url", EVIDENCE_BASE];
    expect(await publish(...args)).toBe(0);
    expect(await publish(...args, "--json")).toBe(0);
    expect(uploads()).toHaveLength(4);
    expect(calls("POST", /^\/v1\/documents$/)).toHaveLength(2);
    expect(calls("POST", /add-document-to-control$/)).toHaveLength(3);
    const summary = JSON.parse(output.filter((line) => line.startsWith("{")).at(-1) ?? "{}") as {
      skipped: string[];
    };
    expect(summary.skipped.filter((entry) => / is already on document /.test(entry))).toHaveLength(4);
    expect(summary.skipped.filter((entry) => / is already linked /.test(entry))).toHaveLength(3);
    expect(standIn.rejections).toEqual([]);
  });

  it("finishes a half-finished earlier publish without sending anything twice", async () => {
    // The first publish stops at its first upload (a 400 is not retried); the second picks up from there.
    standIn.inject({ method: "POST", path: /\/v1\/documents\/[^/]+\/uploads$/, status: 400 });
    expect(await publish("--to", "vanta", "--package", folder)).toBe(3);
    expect(await publish("--to", "vanta", "--package", folder)).toBe(0);
    expect(uploads()).toHaveLength(4);
    expect(new Set(uploads().map((upload) => upload.fileName)).size).toBe(4);
    expect(calls("POST", /^\/v1\/documents$/)).toHaveLength(2);
  });

  it("stops with a clear error on bad credentials, sending nothing else", async () => {
    process.env.VANTA_CLIENT_SECRET = "not-the-secret";
    expect(await publish("--to", "vanta", "--package", folder)).toBe(3);
    expect(output.join("")).toContain("/oauth/token failed with HTTP 401");
    expect(standIn.requests.filter((request) => request.path !== "/oauth/token")).toEqual([]);
  });

  it("prints the tenant's SOC 2 controls with their ids on --list-controls", async () => {
    expect(await publish("--to", "vanta", "--list-controls")).toBe(0);
    const text = output.join("");
    for (const control of VANTA_CONTROLS) expect(text).toContain(`${control.requirement}\t${control.id}\t${control.externalId}`);
  });

  it("adds the next run's files beside the earlier ones", async () => {
    expect(await publish("--to", "vanta", "--package", folder)).toBe(0);
    const next = await packageOf({
      ...syntheticPackage({ items: 60 }),
      runId: "20260816T061200Z-d4e5f6",
      generatedAt: "2026-08-16T06:14:00.000Z",
    });
    expect(await publish("--to", "vanta", "--package", next)).toBe(0);
    expect(uploads()).toHaveLength(8);
    expect(standIn.rejections).toEqual([]);
  });

  it("retries 429 after the Retry-After delay and 5xx or dropped connections, without duplicating an upload", async () => {
    standIn.inject({ method: "POST", path: /\/uploads$/, status: 429, retryAfter: "1" });
    standIn.inject({ method: "POST", path: /\/uploads$/, lose: true });
    standIn.inject({ method: "GET", path: /\/uploads$/, drop: true });
    standIn.inject({ method: "PUT", path: /custom_resource/, status: 503 });
    const started = Date.now();
    expect(await publish("--to", "vanta", "--package", folder, "--evidence-base-url", EVIDENCE_BASE)).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(uploads()).toHaveLength(4);
    expect(calls("PUT", /custom_resource/).map((request) => request.status)).toEqual([503, 200]);
    expect(calls("POST", /\/uploads$/).map((request) => request.status)).toContain(429);
  });

  it("stops with exit 2 naming the missing variables, before sending anything", async () => {
    delete process.env.VANTA_CLIENT_SECRET;
    expect(await publish("--to", "vanta", "--package", folder)).toBe(2);
    expect(output.join("")).toContain("VANTA_CLIENT_SECRET");
    expect(standIn.requests).toEqual([]);
  });

  it("refuses a package whose file no longer matches manifest.json", async () => {
    const file = join(folder, "vanta", "CC6.1.pdf");
    const bytes = await readFile(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 1, bytes.length - 10);
    await writeFile(file, bytes);
    expect(await publish("--to", "vanta", "--package", folder)).toBe(3);
    expect(output.join("")).toContain("vanta/CC6.1.pdf does not match manifest.json");
    expect(calls("POST", /\/uploads$/)).toEqual([]);
  });

  it("checks a package without sending anything on --dry-run", async () => {
    delete process.env.VANTA_CLIENT_ID;
    expect(await publish("--to", "vanta", "--package", folder, "--dry-run")).toBe(0);
    expect(output.join("")).toContain("would upload vanta/CC6.3.pdf");
    expect(standIn.requests).toEqual([]);
  });
});

describe("publish --to drata", () => {
  it("creates one evidence item per control, linked to the mapped Drata controls, and replaces the records in one session", async () => {
    expect(await publish("--to", "drata", "--package", folder)).toBe(0);
    expect(standIn.rejections).toEqual([]);
    const evidence = [...standIn.drata.evidence.values()];
    expect(evidence.map((entry) => entry.name)).toEqual([
      "SOC 2 CC6.1: Encryption keys rotate",
      "SOC 2 CC6.7: Data in transit is encrypted",
      "SOC 2 CC7.2: Access to sensitive data is logged",
      "SOC 2 CC6.3: Access is least-privilege and reviewed",
    ]);
    expect(evidence[0]).toMatchObject({
      controlIds: [1037, 1038],
      renewalScheduleType: "THREE_MONTHS",
      renewalDate: "2026-12-31",
    });
    expect(evidence[3]?.controlIds).toEqual([1012]);
    expect(standIn.drata.files.size).toBe(4);
    expect(standIn.drata.records.size).toBe(60);
    expect([...standIn.drata.sessions.values()].map((session) => session.status)).toEqual(["ACTIVE"]);
  });

  it("makes no duplicates when the same package is published again", async () => {
    expect(await publish("--to", "drata", "--package", folder)).toBe(0);
    const before = standIn.requests.length;
    expect(await publish("--to", "drata", "--package", folder)).toBe(0);
    expect(standIn.drata.evidence.size).toBe(4);
    expect(standIn.drata.files.size).toBe(4);
    expect(standIn.requests.slice(before).filter((request) => request.method !== "GET")).toEqual([]);
  });

  it("adds the next run's file as a new version of the same artifact and swaps the record session", async () => {
    expect(await publish("--to", "drata", "--package", folder)).toBe(0);
    const next = await packageOf({
      ...syntheticPackage({ items: 60 }),
      runId: "20260816T061200Z-d4e5f6",
      generatedAt: "2026-08-16T06:14:00.000Z",
    });
    expect(await publish("--to", "drata", "--package", next)).toBe(0);
    expect(standIn.rejections).toEqual([]);
    const evidence = [...standIn.drata.evidence.values()];
    expect(evidence).toHaveLength(4);
    expect(evidence.map((entry) => entry.artifacts.length)).toEqual([1, 1, 1, 1]);
    expect(evidence.map((entry) => entry.artifacts[0]?.versions.length)).toEqual([2, 2, 2, 2]);
    expect([...standIn.drata.sessions.values()].map((session) => session.status)).toEqual([
      "ARCHIVED",
      "ACTIVE",
    ]);
  });

  it("publishes the latest package of --period from the local store", async () => {
    const config = join(root, "controls.yaml");
    await writeFile(
      config,
      kmsOnlyConfig({ store: "prefix: soc2/" }),
    );
    expect(await publish("--to", "drata", "--period", "2026-Q3", "--out", root, "--config", config)).toBe(0);
    expect(standIn.drata.evidence.size).toBe(4);
  });

  it("prints the workspace's SOC 2 controls with their codes and ids on --list-controls", async () => {
    expect(await publish("--to", "drata", "--list-controls")).toBe(0);
    const text = output.join("");
    expect(text).toContain("CC6.1\tDCF-37\t1037");
    expect(text).toContain("CC6.3\tDCF-12\t1012");
  });

  it("creates the custom connection once with the workspace id, and the records follow it", async () => {
    delete process.env.DRATA_CONNECTION_ID;
    delete process.env.DRATA_RESOURCE_ID;
    expect(await publish("--to", "drata", "--create-connection", "--package", folder)).toBe(0);
    expect(standIn.rejections).toEqual([]);
    expect(output.join("")).toContain("created Drata custom connection 55");
    expect(output.join("")).toMatch(/DRATA_CONNECTION_ID=55\nDRATA_RESOURCE_ID=66\n/);
    expect([...standIn.drata.connections.values()].map((connection) => connection.workspaceIds)).toEqual([[7]]);

    const before = standIn.requests.length;
    expect(await publish("--to", "drata", "--create-connection", "--package", folder)).toBe(0);
    expect(output.join("")).toContain("reusing Drata custom connection 55");
    expect(standIn.requests.slice(before).filter((request) => request.method !== "GET")).toEqual([]);
    expect(standIn.drata.connections.size).toBe(1);

    Object.assign(process.env, { DRATA_CONNECTION_ID: "55", DRATA_RESOURCE_ID: "66" });
    expect(await publish("--to", "drata", "--package", folder)).toBe(0);
    expect(standIn.drata.records.size).toBe(60);
  });

  it("refuses --create-connection for Vanta with exit 2, sending nothing", async () => {
    expect(await publish("--to", "vanta", "--create-connection", "--package", folder)).toBe(2);
    expect(output.join("")).toContain("--create-connection is for --to drata");
    expect(standIn.requests).toEqual([]);
  });

  it("links to the controls the package records when published without a config", async () => {
    const mapped = syntheticPackage({ items: 60 });
    const linked = await packageOf({
      ...mapped,
      runId: "20260815T071200Z-c0ffee",
      controls: mapped.controls.map((control) => (control.id === "CC6.3" ? { ...control, platforms: { drata: ["DCF-12"], vanta: ["access-review"] } } : control)),
    });
    expect(await main(["publish", "--to", "drata", "--package", linked], NOW)).toBe(0);
    const evidence = [...standIn.drata.evidence.values()];
    expect(evidence.map((entry) => [entry.name.slice(0, 11), entry.controlIds])).toEqual([
      ["SOC 2 CC6.1", []],
      ["SOC 2 CC6.7", []],
      ["SOC 2 CC7.2", []],
      ["SOC 2 CC6.3", [1012]],
    ]);
    expect(await main(["publish", "--to", "vanta", "--package", linked, "--evidence-base-url", EVIDENCE_BASE], NOW)).toBe(0);
    expect(standIn.rejections).toEqual([]);
    expect(Object.fromEntries([...standIn.vanta.links].map(([document, ids]) => [document, [...ids]]))).toEqual({
      "doc-5": ["access-review"],
    });
    const written = JSON.parse(await readFile(join(linked, "evidence.json"), "utf8")) as unknown;
    expect(validateEvidenceJson(written)).toEqual([]);
  });

  it("stops with a clear error on a bad API key", async () => {
    process.env.DRATA_API_KEY = "wrong-key-0000";
    expect(await publish("--to", "drata", "--package", folder)).toBe(3);
    expect(output.join("")).toContain("failed with HTTP 401");
    expect(standIn.drata.evidence.size).toBe(0);
  });

  it("gives up after five attempts with exit 3, naming the call but never the key", async () => {
    for (let count = 0; count < 5; count += 1)
      standIn.inject({ method: "POST", path: /evidence-files$/, status: 500 });
    expect(await publish("--to", "drata", "--package", folder)).toBe(3);
    const text = output.join("");
    expect(text).toContain("evidence-files failed with HTTP 500 after 5 attempt(s)");
    expect(text).not.toContain(SECRETS.drata);
  });
});

describe("publish of other period lengths", () => {
  it.each([
    { label: "2026", start: "2026-01-01", end: "2026-12-31", through: "2026-08-15", cadence: "P1Y", schedule: "ONE_YEAR" },
    { label: "2026-07-01..2026-08-31", start: "2026-07-01", end: "2026-08-31", through: "2026-08-15", cadence: "P1M", schedule: "TWO_MONTHS" },
  ])("publishes a $label package to both platforms with no rejected field", async (period) => {
    const pkg = syntheticPackage({ items: 60 });
    const days = (Date.parse(period.end) - Date.parse(period.start)) / 86_400_000 + 1;
    const other = await packageOf({
      ...pkg,
      period: { label: period.label, start: period.start, end: period.end, through: period.through, days },
    });
    expect(await publish("--to", "vanta", "--package", other, "--evidence-base-url", EVIDENCE_BASE)).toBe(0);
    expect(await publish("--to", "drata", "--package", other)).toBe(0);
    expect(standIn.rejections).toEqual([]);
    const created = calls("POST", /^\/v1\/documents$/).map((request) => request.json as { cadence: string });
    expect(created.map((body) => body.cadence)).toEqual([period.cadence, period.cadence]);
    expect([...standIn.drata.evidence.values()].every((entry) => entry.renewalScheduleType === period.schedule)).toBe(true);
  });
});

describe("publish", () => {
  it("never writes a credential to stdout or stderr", async () => {
    expect(await publish("--to", "vanta", "--package", folder)).toBe(0);
    expect(await publish("--to", "drata", "--package", folder)).toBe(0);
    const text = output.join("");
    expect(text.length).toBeGreaterThan(100);
    for (const secret of [SECRETS.vanta, SECRETS.drata, "vanta-token-1"]) expect(text).not.toContain(secret);
  });

  it("refuses to send credentials to a plain-http host", async () => {
    process.env.DRATA_API_URL = "http://drata.example.com/public/v2";
    expect(await publish("--to", "drata", "--package", folder)).toBe(2);
    expect(standIn.requests).toEqual([]);
  });

  it("is checked by a stand-in that rejects malformed requests", async () => {
    const form = new FormData();
    form.append("file", new Blob([Buffer.from("%PDF-1.7")], { type: "application/octet-stream" }), "x.pdf");
    const token = await fetch(`${standIn.vantaUrl}/oauth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        client_id: "vanta-client-id",
        client_secret: SECRETS.vanta,
        scope: "vanta-api.all:write vanta-api.documents:upload",
        grant_type: "client_credentials",
      }),
    }).then((response) => response.json() as Promise<{ access_token: string }>);
    const upload = await fetch(`${standIn.vantaUrl}/v1/documents/keys-doc/uploads`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token.access_token}` },
      body: form,
    });
    expect(upload.status).toBe(415);
    const evidence = await fetch(`${standIn.drataUrl}/workspaces/7/evidence`, {
      method: "POST",
      headers: { Authorization: `Bearer ${SECRETS.drata}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "x", artifacts: [], controlCodes: ["CC6.1"] }),
    });
    expect(evidence.status).toBe(400);
    expect(standIn.rejections.map((request) => request.rejected)).toEqual([
      "the file part needs its real media type",
      "evidence: unknown controlCodes",
    ]);
  });
});
