// ADD <url>: the file is downloaded into a private directory (named after the URL's last
// path element, mode 0600 as Docker's download), then copied like a local source. A URL
// that cannot be fetched fails the step with the reason.

import { createHash } from "node:crypto";
import { invalidArgument } from "../../lib/errors.ts";

/** 10 GiB: far above a sane download, a cap on a hostile server. */
const MAX_DOWNLOAD = 10 * 2 ** 30;

export const isUrl = (s: string) => /^https?:\/\//i.test(s);

export interface Download {
  url: string;
  /** Private directory holding the file (the caller removes it). */
  dir: string;
  name: string;
  sha256: string;
}

export async function fetchUrl(url: string, execRoot: string): Promise<Download> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidArgument(`ADD failed: invalid URL ${JSON.stringify(url)}`);
  }
  const name = decodeURIComponent(parsed.pathname.split("/").filter(Boolean).pop() ?? "") ||
    "__unnamed__";
  if (name.includes("/") || name === "." || name === "..") {
    throw invalidArgument(`ADD failed: cannot name a file after ${JSON.stringify(url)}`);
  }
  await Deno.mkdir(`${execRoot}/build`, { recursive: true, mode: 0o700 });
  const dir = await Deno.makeTempDir({ dir: `${execRoot}/build`, prefix: "add-" });
  try {
    let resp: Response;
    try {
      resp = await fetch(url, { redirect: "follow" });
    } catch (e) {
      throw invalidArgument(`ADD failed: failed to GET ${url}: ${(e as Error).message}`);
    }
    if (!resp.ok) {
      await resp.body?.cancel();
      throw invalidArgument(
        `ADD failed: failed to GET ${url} with status ${resp.status} ${resp.statusText}`,
      );
    }
    const hash = createHash("sha256");
    let size = 0;
    {
      using f = await Deno.open(`${dir}/${name}`, { write: true, createNew: true, mode: 0o600 });
      for await (const chunk of resp.body ?? []) {
        size += chunk.length;
        if (size > MAX_DOWNLOAD) throw invalidArgument(`ADD failed: ${url}: too large`);
        hash.update(chunk);
        let off = 0;
        while (off < chunk.length) off += await f.write(chunk.subarray(off));
      }
    }
    await Deno.chmod(`${dir}/${name}`, 0o600);
    return { url, dir, name, sha256: hash.digest("hex") };
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
}
