import { describe, expect, it } from "vitest";
import { accessReviewCsvRenderer, csvCell } from "../reports/access-review-csv.js";
import type { EvidenceItem } from "../src/core/model.js";
import type { EvidencePackage } from "../src/core/package-model.js";

describe("csvCell", () => {
  it.each([
    { name: "leaves a plain value alone", value: "arn:aws:iam::111111111111:role/api", cell: "arn:aws:iam::111111111111:role/api" },
    { name: "quotes a comma", value: "a, b", cell: '"a, b"' },
    { name: "doubles quotes inside quotes", value: 'say "hi"', cell: '"say ""hi"""' },
    { name: "quotes a line break", value: "a\nb", cell: '"a\nb"' },
    { name: "neutralises a formula", value: "=HYPERLINK(\"x\")", cell: '"\'=HYPERLINK(""x"")"' },
    { name: "neutralises + - @", value: "@SUM(A1)", cell: "'@SUM(A1)" },
    { name: "neutralises a leading minus", value: "-1+2", cell: "'-1+2" },
  ])("$name", ({ value, cell }) => {
    expect(csvCell(value)).toBe(cell);
  });
});

describe("access-review.csv", () => {
  it("writes one row per (secret, principal) with yes/no and empty decision and reviewer", async () => {
    const item = {
      collector: "secrets-access-review",
      controlIds: ["CC6.2"],
      account: "111111111111",
      region: "us-east-1",
      resource: { arn: "arn:s", type: "AWS::SecretsManager::Secret", name: "prod/db" },
      status: "fail",
      reason: "",
      expected: {},
      source: { service: "iam", operations: [], requestIds: [], collectedAt: "2026-12-01T00:00:00Z" },
      observed: {
        review: [
          { secret: "arn:s", principal: "arn:aws:iam::111111111111:role/idle", principalType: "role", canRead: true, didRead: false, reads: 0, grantedBy: ["p#ReadProd", "k#1"], sourceRegions: [], sourceIps: [], action: "revoke: can read but did not in the period" },
          { secret: "arn:s", principal: "arn:aws:iam::111111111111:role/api", principalType: "ecs-task-role", taskFamilies: ["api"], canRead: true, didRead: true, reads: 2, lastRead: "2026-11-21T10:00:00.000Z", grantedBy: ["p#ReadProd"], sourceRegions: ["us-east-1"], sourceIps: ["10.0.0.1"], action: "" },
        ],
      },
    } as unknown as EvidenceItem;
    const written: Record<string, string> = {};
    await accessReviewCsvRenderer.render({ items: [item, { ...item, controlIds: ["CC6.3"] }] } as unknown as EvidencePackage, {
      write: async () => undefined,
      openSync: () => {
        throw new Error("the CSV is streamed");
      },
      copy: async () => {
        throw new Error("the CSV is streamed");
      },
      writeStream: async (path, chunks) => {
        written[path] = "";
        for await (const chunk of chunks) written[path] += String(chunk);
      },
    });
    const lines = (written["access-review.csv"] ?? "").split("\r\n");
    expect(lines[0]).toBe("account,secret,principal,principal_type,task_families,can_read,did_read,reads,last_read,source_regions,source_ips,granted_by,reads_from_snapshots,action,exception,note,decision,reviewer");
    expect(lines.slice(1)).toEqual([
      "111111111111,arn:s,arn:aws:iam::111111111111:role/idle,role,,yes,no,0,,,,p#ReadProd; k#1,,revoke: can read but did not in the period,,,,",
      "111111111111,arn:s,arn:aws:iam::111111111111:role/api,ecs-task-role,api,yes,yes,2,2026-11-21T10:00:00.000Z,us-east-1,10.0.0.1,p#ReadProd,,,,,,",
      "",
    ]);
  });
});
