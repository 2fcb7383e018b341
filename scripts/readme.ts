// Rewrites the collector table in README.md from the registry: npm run readme
import { readFileSync, writeFileSync } from "node:fs";
import { withCollectorTable } from "../src/docs/collector-table.js";

writeFileSync("README.md", withCollectorTable(readFileSync("README.md", "utf8")));
