// The access review section of report.pdf, read back with poppler-utils: actions first, then the matrix.
import { describe, expect, it } from "vitest";
import { renderPdf } from "../reports/pdf.js";
import type { EvidenceItem } from "../src/core/model.js";
import { syntheticPackage } from "./fixtures/package.js";
import { pdfText } from "./support/pdf-text.js";

const A = "111111111111";
const reviewItem = (name: string, review: object[]): EvidenceItem => ({
  collector: "secrets-access-review",
  controlIds: ["CC6.2"],
  account: A,
  region: "us-east-1",
  resource: { arn: `arn:aws:secretsmanager:us-east-1:${A}:secret:${name}-AbCdEf`, type: "AWS::SecretsManager::Secret", name },
  status: "fail",
  reason: "",
  expected: {},
  source: { service: "iam", operations: ["GetAccountAuthorizationDetails"], requestIds: [], collectedAt: "2026-08-15T06:00:00Z" },
  observed: { notRead: ["service control policies (AWSOrganizationsNotInUseException): not applied, so access may be over-reported"], review },
});

const row = (principal: string, extra: object) => ({ secret: "s", principal: `arn:aws:iam::${A}:${principal}`, principalType: "role", canRead: true, didRead: false, reads: 0, grantedBy: [`arn:aws:iam::${A}:policy/read-prod#ReadProd`], sourceRegions: [], sourceIps: [], action: "", ...extra });

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
    expect(section.slice(matrix)).toContain("Could not read: service control policies");
  });
});
