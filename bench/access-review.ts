// Access review at scale: 5,000 roles x 1,000 secrets, evaluated per secret against the principal index.
// Run: npx tsx bench/access-review.ts [roles] [secrets] [--no-memo]   (prints wall time, rows and peak RSS; not a test)
// --no-memo evaluates every candidate principal (no decision shared within a principal class), for comparison.
import { indexPrincipals, reviewSecret } from "../collectors/secrets-access-review.judge.js";
import { accessReviewEstate, REGION } from "./access-review-estate.js";

const memoise = !process.argv.includes("--no-memo");
const [roles = 5000, secrets = 1000] = process.argv.slice(2).filter((arg) => !arg.startsWith("--")).map(Number);
const { inputs, secretList } = accessReviewEstate(roles, secrets);
let peak = 0;
const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
const started = performance.now();
const index = indexPrincipals(inputs);
const indexed = performance.now();
let rows = 0;
let widest = 0;
for (const secret of secretList) {
  const review = reviewSecret(secret, index, inputs, { expectedRegions: [REGION], productionEnvironment: "prod", nonProductionAccounts: [] }, { memoise });
  rows += review.length;
  widest = Math.max(widest, review.length);
  sample();
}
const done = performance.now();
console.log(JSON.stringify({ roles, secrets, memoise, classes: index.classes.length, indexMs: Math.round(indexed - started), totalMs: Math.round(done - started), rows, widestSecret: widest, peakRssMb: Math.round(peak / 2 ** 20) }));
