/** The engine's version, printed by `engine --version` and reported by every layer. */
export const ENGINE_VERSION = "0.1.0";
/** The OCI runtime spec version our runtime implements (what `runc spec` writes). */
export const OCI_SPEC_VERSION = "1.0.2-dev";
