// The tool's name and version, recorded in every snapshot and package.
import { existsSync, readFileSync } from "node:fs";

// src/core/ when run from source, dist/src/core/ when built: package.json is two or three folders up.
const candidates = ["../../package.json", "../../../package.json"].map((path) => new URL(path, import.meta.url));
const file = candidates.find((url) => existsSync(url)) as URL;
const manifest = JSON.parse(readFileSync(file, "utf8")) as { version: string };

export const TOOL = { name: "soc2-evidence", version: manifest.version } as const;
