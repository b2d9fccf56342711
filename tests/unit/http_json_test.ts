import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { goJson, replyJson } from "../../src/api/http/json.ts";

Deno.test("json: replies keep <, > and & (WriteJSON's SetEscapeHTML(false)); streams escape them", () => {
  const v = { message: "No such container: <x>&y", sep: "a\u2028b" };
  assertEquals(replyJson(v), '{"message":"No such container: <x>&y","sep":"a\\u2028b"}\n');
  assertEquals(
    goJson(v),
    '{"message":"No such container: \\u003cx\\u003e\\u0026y","sep":"a\\u2028b"}\n',
  );
});
