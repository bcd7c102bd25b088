// Types of bin/build-bundle.mjs, for the tests that build and inspect the bundle.
export const BUNDLE_FILE: string;
export const PROGRAM_FILE: string;
export const IN_JOB_FILE: string;
export const WEB_CONFIG_FILE: string;
export const TRACES_FILE: string;
export const PASSWORD_WORKER_FILE: string;
export const PARSE_WORKER_FILE: string;
export const LAUNCHER_FILE: string;
export const KOFFI_NATIVE_FILE: string;
export const LICENSES_FILE: string;
export const DEFAULT_OUTDIR: string;
export function buildBundle(options?: { entry?: string; outdir?: string }): Promise<{
  outdir: string;
  files: { name: string; bytes: number }[];
  koffi: boolean;
}>;
