// The access review section of report.pdf, read back with poppler-utils: actions first, then the matrix.
import { describe, expect, it } from "vitest";
import { renderPdf } from "../reports/pdf.js";
import { REVIEW_ACCOUNT, reviewItem, reviewRow } from "./fixtures/review-items.js";
import { syntheticPackage } from "./fixtures/package.js";
import { pdfText, squash } from "./support/pdf-text.js";

const A = REVIEW_ACCOUNT;
const row = reviewRow;

describe("report.pdf access review", () => {
  it("lists the open actions before the per-secret matrix", async () => {
    const pkg = syntheticPackage({ items: 4 });
    const base = pkg.items[0];
    if (!base) throw new Error("the synthetic package has items");
    pkg.items.push({
      ...base,
      ...reviewItem("prod/db", [
        row("role/api", { principalType: "ecs-task-role", taskFamilies: ["api"], didRead: true, reads: 2, lastRead: "2026-08-10T10:00:00Z" }),
        row("role/idle", { action: "revoke: can read but did not in the period" }),
        row("user/alice", { principalType: "user", didRead: true, reads: 1, lastRead: "2026-08-11T10:00:00Z" }),
      ]),
    });
    const text = await pdfText(await renderPdf(pkg));
    const section = text.slice(text.lastIndexOf("6 Access review of secrets"));
    const actions = section.indexOf("Open actions");
    const matrix = section.indexOf("Matrix per secret");
    expect(actions).toBeGreaterThan(0);
    expect(matrix).toBeGreaterThan(actions);
    expect(section.slice(actions, matrix)).toMatch(/role\/idle[\s\S]*revoke: can read but did not in the period/);
    expect(section.slice(actions, matrix)).not.toMatch(/role\/api/);
    expect(section.slice(matrix)).toMatch(/role\/api[\s\S]*ecs-task-role \(api\)[\s\S]*role\/idle[\s\S]*user\/alice/);
    expect(squash(section.slice(matrix))).toContain(squash("For every secret below: could not read service control policies"));
  });

  it("says once what every secret's matrix shares, and under a secret only what is its own", async () => {
    const pkg = syntheticPackage({ items: 4 });
    const base = pkg.items[0];
    if (!base) throw new Error("the synthetic package has items");
    const scp = "service control policies (AWSOrganizationsNotInUseException): not applied, so access may be over-reported";
    const readSources = { cloudTrail: { from: "2026-07-05", to: "2026-08-15" }, snapshotDays: [] };
    const key = `arn:aws:kms:us-east-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const grantedBy = [`arn:aws:iam::${A}:policy/read-prod#ReadProd`, `${key} key policy#Enable IAM User Permissions`];
    const secret = (name: string, notRead: string[]) => {
      const item = reviewItem(name, [row("role/idle", { action: "revoke: can read but did not in the period", grantedBy })]);
      return { ...base, ...item, observed: { ...item.observed, notRead, keyArn: key }, period: { status: "fail" as const, reason: "1 open action", observed: { readSources } } };
    };
    pkg.items.push(secret("prod/db", [scp]), secret("prod/api", [scp, "resource policy (AccessDeniedException)"]), secret("prod/web", [scp]));
    const section = squash((await pdfText(await renderPdf(pkg))).split("6 Access review of secrets").at(-1) ?? "");
    const matrix = section.slice(section.indexOf("Matrixpersecret"));
    expect(matrix).toContain(squash(`For every secret below: could not read ${scp}. Reads: CloudTrail event history 2026-07-05 to 2026-08-15; no earlier snapshot added reads.`));
    expect(matrix.match(/AWSOrganizationsNotInUseException/g)).toHaveLength(1);
    expect(matrix.match(/Reads:CloudTrail/g)).toHaveLength(1);
    const api = matrix.slice(matrix.indexOf(squash("prod/api (")), matrix.indexOf(squash("prod/web (")));
    expect(api).toContain(squash("Could not read: resource policy (AccessDeniedException)."));
    expect(matrix.match(/resourcepolicy\(AccessDenied/g)).toHaveLength(1);
    // The secret's key is named once above its matrix; the rows say "key policy".
    expect(matrix.match(/Keykey\/1234abcd-12ab-34cd-56ef-1234567890ab\./g)).toHaveLength(3);
    expect(matrix.match(/policy\/read-prod#ReadProd;keypolicy#EnableIAMUserPermissions/g)).toHaveLength(3);
    expect(matrix.match(/1234abcd/g)).toHaveLength(3);
  });

  it("shows the period review: an earlier snapshot's read clears the action, and the note names each source's days", async () => {
    const pkg = syntheticPackage({ items: 4 });
    const base = pkg.items[0];
    if (!base) throw new Error("the synthetic package has items");
    const item = reviewItem("prod/db", [row("role/idle", { action: "revoke: can read but did not in the period" })]);
    const review = [row("role/idle", { didRead: true, reads: 1, lastRead: "2026-07-02T09:00:00Z", snapshotReadDays: ["2026-07-02"] })];
    pkg.items.push({ ...base, ...item, period: { status: "pass", reason: "no action open", observed: { reviewChanges: review, readSources: { cloudTrail: { from: "2026-07-05", to: "2026-08-15" }, snapshotDays: ["2026-07-02"] } } } });
    const section = (await pdfText(await renderPdf(pkg))).split("6 Access review of secrets").at(-1) ?? "";
    expect(section).toContain("None: every grant was used and every read was granted.");
    expect(section.replace(/\s+/g, " ")).toContain("Reads: CloudTrail event history 2026-07-05 to 2026-08-15; earlier snapshots for 2026-07-02.");
  });

  it("groups a large review: unused grants by the statements that grant them, each reader and each read to investigate on its own row", async () => {
    const pkg = syntheticPackage({ items: 4 });
    const base = pkg.items[0];
    if (!base) throw new Error("the synthetic package has items");
    const admin = [`arn:aws:iam::${A}:policy/admin#0`];
    const team = [`arn:aws:iam::${A}:policy/team#Read`];
    const secrets = Array.from({ length: 3 }, (_, s) =>
      reviewItem(`app/s${s}`, [
        ...Array.from({ length: 30 }, (_, r) => row(`role/admin${r}`, { grantedBy: admin, action: "revoke: can read but did not in the period" })),
        ...Array.from({ length: 10 }, (_, r) => row(`role/team${r}`, { grantedBy: team, action: "revoke: can read but did not in the period" })),
        row("role/reader", { didRead: true, reads: 3, lastRead: "2026-08-10T10:00:00Z" }),
        row("user/stranger", { principalType: "user", canRead: false, didRead: true, reads: 1, grantedBy: [], action: "investigate: read without a grant the tool can see" }),
      ]),
    );
    pkg.items.push(...secrets.map((item) => ({ ...base, ...item })));
    const section = squash((await pdfText(await renderPdf(pkg))).split("6 Access review of secrets").at(-1) ?? "");
    // 123 open actions: more than ACTION_ROWS, so grouped: 90 pairs under admin, 30 under team, 3 to investigate.
    expect(section).toContain(squash("123 open actions on 3 secrets. 120 pairs can read and did not, grouped here by the statements that grant them"));
    expect(section).toMatch(new RegExp(`${squash("policy/admin#0")}30390revoke`));
    expect(section).toMatch(new RegExp(`${squash("policy/team#Read")}10330revoke`));
    const investigate = section.slice(section.indexOf(squash("Open actions: reads to investigate")), section.indexOf(squash("Matrix per secret")));
    expect(investigate.match(/user\/stranger/g)).toHaveLength(3);
    expect(investigate).not.toContain("role/admin");
    // Each secret's matrix: 42 pairs, more than MATRIX_ROWS: the reader and the stranger, then one row per grant.
    const matrix = section.slice(section.indexOf(squash("Matrix per secret")));
    expect(matrix).toContain(squash("A secret with more than 25 pairs shows each reader and each read to investigate (up to 25), then those who can read and did not, grouped by the statements that grant them. Every pair is in access-review.csv."));
    expect(matrix.match(/42pairs,grouped\./g)).toHaveLength(3);
    expect(matrix).toMatch(new RegExp(`${squash("30 principals grouped yes no 0")}${squash("policy/admin#0")}`));
    expect(matrix).not.toContain("role/admin7");
    expect(matrix.match(/role\/reader/g)).toHaveLength(3);
  });

  it("draws every matrix once when there are more rows than it holds from the first walk (20,000): the rest from a second", async () => {
    const pkg = syntheticPackage({ items: 4 });
    const base = pkg.items[0];
    if (!base) throw new Error("the synthetic package has items");
    // 1,001 secrets of 20 pairs each: 20,020 rows, so the last secret's matrix comes from the second walk.
    for (let secret = 0; secret < 1001; secret += 1) {
      const rows = Array.from({ length: 20 }, (_, reader) => row(`role/s${secret}-r${reader}`, { didRead: true, reads: 1, lastRead: "2026-08-10T10:00:00Z" }));
      pkg.items.push({ ...base, ...reviewItem(`app/s${secret}`, rows) });
    }
    const section = squash((await pdfText(await renderPdf(pkg))).split("6 Access review of secrets").at(-1) ?? "");
    const matrix = section.slice(section.indexOf("Matrixpersecret"));
    for (const secret of [0, 999, 1000]) {
      expect(matrix.match(new RegExp(`app/s${secret}\\(111111111111`, "g")), `app/s${secret}`).toHaveLength(1);
      expect(matrix).toContain(`role/s${secret}-r19role`);
    }
    expect(matrix.match(/\(111111111111,us-east-1\)/g)).toHaveLength(1001);
  }, 120_000);
});
