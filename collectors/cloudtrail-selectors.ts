// Whether a trail's event selectors (classic or advanced) log every event of a kind, read and write; pure.
import type { AdvancedEventSelector, AdvancedFieldSelector, EventSelector } from "@aws-sdk/client-cloudtrail";

export type Access = "read" | "write";
export const ACCESSES: readonly Access[] = ["read", "write"];

export interface Selectors {
  classic: readonly EventSelector[];
  advanced: readonly AdvancedEventSelector[];
}

/**
 * Events that must be logged: all management events, or the data events of one resource type and ARN. A missing
 * `type` means any configured type; a missing `arn` means any resource of the type (one selector for it counts).
 */
export type Target = { category: "Management" } | { category: "Data"; type?: string; arn?: string };

/** True when some single selector logs every event of the target with that access; partial filters do not count. */
export function covers(selectors: Selectors, target: Target, access: Access): boolean {
  return (
    selectors.classic.some((selector) => classicCovers(selector, target, access)) ||
    selectors.advanced.some((selector) =>
      (selector.FieldSelectors ?? []).every((field) => admits(field, target, access)),
    )
  );
}

function classicCovers(selector: EventSelector, target: Target, access: Access): boolean {
  const readWrite = selector.ReadWriteType ?? "All";
  if (readWrite !== "All" && readWrite !== (access === "read" ? "ReadOnly" : "WriteOnly")) return false;
  if (target.category === "Management") {
    // Excluded sources (kms.amazonaws.com, rdsdata.amazonaws.com) leave part of the management events unlogged.
    return selector.IncludeManagementEvents !== false && !selector.ExcludeManagementEventSources?.length;
  }
  return (selector.DataResources ?? []).some(
    (resource) =>
      (target.type === undefined || resource.Type === target.type) &&
      (resource.Values ?? []).some(
        (value) => target.arn === undefined || classicValueCovers(value, target.arn),
      ),
  );
}

/** S3 object values are prefixes (`arn:aws:s3` is every bucket); other types name one resource or the whole service. */
function classicValueCovers(value: string, arn: string): boolean {
  if (isObjectPrefix(arn)) return value.length > 0 && arn.startsWith(value);
  return value === arn || (/^arn:[^:]+:[^:]+:?$/.test(value) && arn.startsWith(value));
}

const isObjectPrefix = (arn: string): boolean => /^arn:[^:]+:s3:::/.test(arn);

/** Whether one field condition lets through every event of the target (the conditions of a selector are ANDed). */
function admits(field: AdvancedFieldSelector, target: Target, access: Access): boolean {
  if (!hasCondition(field)) return true;
  switch (field.Field) {
    case "eventCategory":
      return matches(field, target.category);
    case "readOnly":
      return matches(field, access === "read" ? "true" : "false");
    case "resources.type":
      return target.category === "Data" && (target.type === undefined || matches(field, target.type));
    case "resources.ARN":
      if (target.category !== "Data") return false;
      if (target.arn === undefined) return true;
      return isObjectPrefix(target.arn) ? admitsEveryObject(field, target.arn) : matches(field, target.arn);
    default:
      // eventName, eventSource, userIdentity.arn, errorCode...: the selector logs only part of the events.
      return false;
  }
}

const list = (values: readonly string[] | undefined): readonly string[] => values ?? [];

function hasCondition(field: AdvancedFieldSelector): boolean {
  return [
    field.Equals,
    field.StartsWith,
    field.EndsWith,
    field.NotEquals,
    field.NotStartsWith,
    field.NotEndsWith,
  ].some((values) => list(values).length > 0);
}

/** Positive operators are ORed, negative ones must all hold (AWS: an event matches the field if both parts do). */
function matches(field: AdvancedFieldSelector, value: string): boolean {
  const positive = [...list(field.Equals), ...list(field.StartsWith), ...list(field.EndsWith)].length > 0;
  const included =
    !positive ||
    list(field.Equals).includes(value) ||
    list(field.StartsWith).some((prefix) => value.startsWith(prefix)) ||
    list(field.EndsWith).some((suffix) => value.endsWith(suffix));
  const excluded =
    list(field.NotEquals).includes(value) ||
    list(field.NotStartsWith).some((prefix) => value.startsWith(prefix)) ||
    list(field.NotEndsWith).some((suffix) => value.endsWith(suffix));
  return included && !excluded;
}

/** Every object ARN that starts with `prefix` passes: no exclusion may touch any of them. */
function admitsEveryObject(field: AdvancedFieldSelector, prefix: string): boolean {
  const positive = [...list(field.Equals), ...list(field.StartsWith), ...list(field.EndsWith)].length > 0;
  const included = !positive || list(field.StartsWith).some((start) => prefix.startsWith(start));
  const excluded =
    list(field.NotStartsWith).some((start) => prefix.startsWith(start) || start.startsWith(prefix)) ||
    list(field.NotEquals).some((value) => value.startsWith(prefix)) ||
    list(field.NotEndsWith).some((suffix) => suffix.length > 0);
  return included && !excluded;
}

const MAX_VALUES_SHOWN = 5;

function shown(values: readonly string[]): string {
  const head = values.slice(0, MAX_VALUES_SHOWN).join(",");
  return values.length > MAX_VALUES_SHOWN ? `${head} (+${values.length - MAX_VALUES_SHOWN} more)` : head;
}

const OPERATORS = ["Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith"] as const;

/** One line per selector, for `observed`: what the trail was configured to log, without every value. */
export function summarise(selectors: Selectors): string[] {
  const classic = selectors.classic.map((selector) => {
    const parts = [`classic ${selector.ReadWriteType ?? "All"}`];
    if (selector.IncludeManagementEvents === false) parts.push("no management events");
    else {
      const excluded = list(selector.ExcludeManagementEventSources);
      parts.push(excluded.length ? `management events excluding ${excluded.join(",")}` : "management events");
    }
    for (const resource of selector.DataResources ?? [])
      parts.push(`data ${resource.Type} ${shown(list(resource.Values))}`);
    return parts.join("; ");
  });
  const advanced = selectors.advanced.map((selector) => {
    const conditions = (selector.FieldSelectors ?? []).flatMap((field) =>
      OPERATORS.filter((operator) => list(field[operator]).length > 0).map(
        (operator) => `${field.Field} ${operator} ${shown(list(field[operator]))}`,
      ),
    );
    return `advanced${selector.Name ? ` "${selector.Name}"` : ""}: ${conditions.join("; ") || "no conditions"}`;
  });
  return [...classic, ...advanced];
}
