// JSON the way Go's encoding/json writes it for the Engine API, with a single trailing
// newline. goJson is json.Marshal's and a default Encoder's form (streams: progress
// messages, events, wait): HTML-significant characters escaped (<, >, & → \u003c, \u003e,
// \u0026). dockerd's replies and errors go through httputils.WriteJSON, whose encoder has
// SetEscapeHTML(false): replyJson leaves them as they are.

export function replyJson(value: unknown): string {
  // U+2028 and U+2029 are escaped either way.
  return JSON.stringify(value).replace(
    /[\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16),
  ) + "\n";
}

export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  ) + "\n";
}
