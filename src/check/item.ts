// One line of the host check's report.

/** ok; missing (fails the check when required, warns otherwise); unknown (could not tell). */
export type Status = "ok" | "missing" | "unknown";

export interface CheckItem {
  section: string;
  name: string;
  status: Status;
  /** A required feature that is missing makes `engine check` exit non-zero. */
  required: boolean;
  detail: string;
  /** What to do about it (missing and unknown items). */
  fix?: string;
}

export function item(
  section: string,
  name: string,
  status: Status,
  required: boolean,
  detail: string,
  fix?: string,
): CheckItem {
  return fix === undefined || status === "ok"
    ? { section, name, status, required, detail }
    : { section, name, status, required, detail, fix };
}

/** Items whose absence fails the check. */
export function failures(items: CheckItem[]): CheckItem[] {
  return items.filter((i) => i.required && i.status !== "ok");
}
