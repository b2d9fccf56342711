// Platform selection from an index / manifest list (containerd's platforms matcher, reduced:
// os and architecture must match; a requested variant must match, arm64 "" ≡ "v8").

import { invalidArgument, notFound } from "../../lib/errors.ts";
import type { Descriptor, Platform } from "../content/oci.ts";

const archAliases: Record<string, string> = {
  x86_64: "amd64",
  "x86-64": "amd64",
  aarch64: "arm64",
  armhf: "arm",
  armel: "arm",
  i386: "386",
};

export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (architecture === "armhf") variant ??= "v7";
  if (architecture === "armel") variant ??= "v6";
  architecture = archAliases[architecture] ?? architecture;
  if (architecture === "arm64" && variant === "v8") variant = undefined;
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** This host's platform (linux on Deno's arch), the default for pulls. */
export function hostPlatform(): Platform {
  return normalizePlatform({ os: "linux", architecture: Deno.build.arch });
}

/** "linux/amd64", "linux/arm/v7" */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** Parses "linux/amd64" or "linux/arm64/v8" (docker --platform). */
export function parsePlatform(s: string): Platform {
  const [os, architecture, variant, ...rest] = s.split("/");
  if (!os || !architecture || rest.length) {
    throw invalidArgument(`invalid platform "${s}": expected os/arch[/variant]`);
  }
  return normalizePlatform({ os, architecture, ...(variant ? { variant } : {}) });
}

export function platformMatches(want: Platform, have: Platform): boolean {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  return !w.variant || w.variant === h.variant;
}

/**
 * The first entry of an index matching `want`; entries without a platform are skipped
 * (attestations). Docker's message when none matches.
 */
export function selectManifest(entries: Descriptor[], want: Platform): Descriptor {
  const match = entries.find((d) => d.platform && platformMatches(want, d.platform));
  if (!match) {
    throw notFound(
      `no matching manifest for ${
        formatPlatform(normalizePlatform(want))
      } in the manifest list entries`,
    );
  }
  return match;
}
