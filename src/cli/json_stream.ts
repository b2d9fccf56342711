// Newline-delimited JSON messages (progress streams end lines with \r\n, events with \n).

/** Parse a byte stream of JSON values separated by newlines. */
export async function* jsonLines<T = Record<string, unknown>>(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<T> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line !== "") yield JSON.parse(line) as T;
    }
  }
  buffer += decoder.decode();
  if (buffer.trim() !== "") yield JSON.parse(buffer.trim()) as T;
}
