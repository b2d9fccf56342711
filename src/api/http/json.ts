// JSON the way Go's encoding/json writes it for the Engine API: HTML-significant characters
// escaped (<, >, & → \u003c, \u003e, \u0026) and a single trailing newline.

export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  ) + "\n";
}
