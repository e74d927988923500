/** What a program reports for `--version` and the agent sends in its registration (ECS versionInfo.agentVersion/agentHash). */
export interface BuildInfo {
  /** The release version: the root package.json's, or the one `npm run package --version` was given. */
  version: string;
  /** The git commit the release was built from (short hash), `unknown` for a program run from a checkout's tsc build. */
  commit: string;
}

/**
 * Replaced by the release build (scripts/package/bundle.js, esbuild `define`):
 * a bundle carries its version and commit as constants, so nothing is read at
 * run time and a copied bundle cannot disagree with itself.
 */
declare const STEVEDORE_BUILD_INFO: BuildInfo | undefined;

let checkout: BuildInfo | undefined;

export function buildInfo(): BuildInfo {
  if (typeof STEVEDORE_BUILD_INFO !== 'undefined') return STEVEDORE_BUILD_INFO;
  // A tsc build run from the checkout: the root package.json's version (dist/version/ is four levels below it).
  checkout ??= { version: (require('../../../../package.json') as { version: string }).version, commit: 'unknown' };
  return checkout;
}

/** The one `--version` line of every program: `stevedore-agent 0.2.0 (commit 1a2b3c4d)`. */
export function versionText(program: string, info: BuildInfo = buildInfo()): string {
  return `${program} ${info.version} (commit ${info.commit})`;
}
