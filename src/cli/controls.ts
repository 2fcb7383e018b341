// `controls`: what each control is checked by, with parameters; `--validate` checks the config and exits.
import { findCollector } from "../../collectors/index.js";
import { configFrom, loggerFor, parse } from "./options.js";

export async function controlsCommand(args: string[], now: () => Date): Promise<number> {
  const { values } = parse(args, { validate: { type: "boolean", default: false } });
  const log = loggerFor(values);
  const loaded = await configFrom(values, now(), log);
  const { config } = loaded;
  if (values.validate) {
    const collectors = config.controls.reduce((sum, control) => sum + control.collectors.length, 0);
    process.stdout.write(`${loaded.file}: valid (${config.controls.length} controls, ${collectors} collector uses, ${config.exceptions.length} exceptions)\n`);
    for (const warning of loaded.warnings) process.stdout.write(`warning: ${warning}\n`);
    return 0;
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(config, null, 2) + "\n");
    return 0;
  }
  const lines: string[] = [];
  for (const control of config.controls) {
    lines.push(`${control.id}  ${control.title}`);
    for (const use of control.collectors) {
      const collector = findCollector(use.use);
      lines.push(`  - ${use.use}: ${collector?.title ?? ""}`);
      for (const [key, value] of Object.entries(use.with)) lines.push(`      ${key}: ${JSON.stringify(value)}`);
    }
  }
  for (const exception of config.exceptions) {
    lines.push(`exception ${exception.ticket ?? ""} ${exception.collector} ${exception.resource} (expires ${exception.expires}, approved by ${exception.approvedBy})`);
  }
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}
