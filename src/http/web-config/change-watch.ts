import { stat } from "node:fs/promises";

/**
 * Calls `changed` when any of the files (the list may change between calls) is replaced or
 * modified, looking every `intervalMs`: a few stat calls, never a read while nothing changed.
 * Returns the function that stops it.
 */
export function watchFiles(files: () => readonly string[], changed: () => Promise<void>, intervalMs: number): () => void {
  let last: string | undefined;
  let busy = false;
  const look = async () => {
    if (busy) return;
    busy = true;
    try {
      const now = await fingerprint(files());
      if (last !== undefined && now !== last) await changed();
      last = now;
    } finally {
      busy = false;
    }
  };
  void look();
  const timer = setInterval(() => void look(), intervalMs).unref();
  return () => clearInterval(timer);
}

/** Identity, size and modification time of each file (or why it cannot be seen), in one string. */
async function fingerprint(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    files.map((file) =>
      stat(file).then(
        (s) => `${file}:${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`,
        (error: NodeJS.ErrnoException) => `${file}:${error.code ?? "error"}`,
      ),
    ),
  );
  return parts.join("\n");
}
