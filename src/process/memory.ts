import { monotonicMs } from "../common/clock.js";
import { ownStatusKiB } from "./own-status.js";

/** How often the supervisor looks at its own memory (and hands glibc's free pages back). */
const TICK_MS = 1_000;
/** Growth of its own memory over the last low that makes it collect garbage... */
const GROWTH_KIB = 4 * 1024;
/** ...at most this often... */
const MIN_GAP_MS = 5_000;
/** ...and again while a collection still gives this much back (V8 drops code unused over several collections). */
const WORTH_KIB = 1024;
/** Once memory has grown this much and then stays still for QUIET_TICKS, a burst is over: collect what it left. */
const SETTLED_GROWTH_KIB = 1024;
const QUIET_TICKS = 3;
const STILL_KIB = 64;

export interface MemoryKeeperOptions {
  /** Hands memory glibc keeps after frees back to the kernel (malloc_trim); absent without native calls. */
  readonly trim?: () => void;
  /** The process's own (anonymous) resident memory in KiB, or undefined when it cannot be read. */
  readonly ownMemoryKiB?: () => number | undefined;
  /** A full garbage collection. */
  readonly collect?: () => void;
  readonly now?: () => number;
}

/**
 * Keeps the supervisor's own memory near what it needs. After a burst (thousands of jobs or
 * scrapes) V8 leaves its garbage in place for good when the process then idles, and glibc keeps
 * what V8's compilers freed: once a second the free pages go back to the kernel, and a full
 * collection (about 5 ms on its heap; at most every 5 s) runs when the process's own memory has
 * grown 4 MiB over its floor, or 1 MiB and then stayed still for 3 s (a burst is over); then
 * again as long as each one still gives 1 MiB back. Returns a function that stops it.
 */
export function keepMemoryDown(o: MemoryKeeperOptions = {}): () => void {
  const ownMemory = o.ownMemoryKiB ?? (() => ownStatusKiB("RssAnon"));
  const collect = o.collect ?? fullCollection;
  const now = o.now ?? monotonicMs;
  // What the process needs: its own memory after the last collection, or lower.
  let floor: number | undefined;
  let lastCollection = Number.NEGATIVE_INFINITY;
  // Own memory just before the last collection, until a reading shows what that collection gave back.
  let before: number | undefined;
  let previous = 0;
  let still = 0;
  const collectNow = (own: number) => {
    collect();
    lastCollection = now();
    before = own;
  };
  const tick = () => {
    o.trim?.();
    const own = ownMemory();
    if (own === undefined) return;
    still = Math.abs(own - previous) < STILL_KIB ? still + 1 : 0;
    previous = own;
    const due = now() - lastCollection >= MIN_GAP_MS;
    if (before !== undefined) {
      // Freed pages are back with the kernel by the next tick: was it worth another?
      if (before - own < WORTH_KIB) [before, floor] = [undefined, own];
      else if (due) collectNow(own);
    } else if (floor === undefined || own < floor) floor = own;
    else if (due && (own - floor >= GROWTH_KIB || (own - floor >= SETTLED_GROWTH_KIB && still >= QUIET_TICKS))) collectNow(own);
  };
  const timer = setInterval(tick, TICK_MS).unref();
  return () => clearInterval(timer);
}

let gc: Promise<() => void> | undefined;
/** V8's full collection, reached without --expose-gc on the command line (a flag there slows every start). */
function fullCollection(): void {
  // Loaded the first time memory grew, never at start-up.
  gc ??= Promise.all([import("node:v8"), import("node:vm")]).then(([v8, vm]) => {
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc") as () => void;
  });
  void gc.then(
    (collect) => collect(),
    () => undefined,
  );
}
