// What the adversarial suite shares: the supervisor in the form users run, a steady fake runner
// whose death would show, memory readings, and raw connections from chosen loopback addresses.
import { readFileSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { sleep, startSupervisor, until, type Running, type StartOptions } from "../../helpers/index.js";

export { sleep };
import { buildBundle, NODE24, requireNode24 } from "../image/helpers.js";

let launcher: string | undefined;
/**
 * The bundle and its launcher, built once per test file: the form the images run. With
 * ADVERSARIAL_BUNDLE_DIR, that bundle instead (one built from an older commit, to see a test fail on it).
 */
export function productionForm(): string {
  const given = process.env.ADVERSARIAL_BUNDLE_DIR;
  if (!launcher) launcher = join(given ?? buildBundle().dir, "runner-supervisor");
  return launcher;
}

/** Starts the production form on the runner's Node 24, as a runner image does. */
export function startProduction(options: StartOptions = {}): Running {
  requireNode24();
  return startSupervisor({ ...options, node: "/bin/sh", bin: productionForm(), env: { RUNNER_SUPERVISOR_NODE: NODE24, ...options.env } });
}

/**
 * A fake runner that prints `tick N` every 50 ms for `seconds`, then exits 7; first it prints
 * the channel's socket path. A shell dies of SIGPIPE, so a forwarded one shows as exit 141 and
 * missing ticks.
 */
export function steadyRunner(seconds: number): string[] {
  const ticks = Math.round(seconds * 20);
  return [
    "/bin/sh",
    "-c",
    `echo "socket=$RUNNER_SUPERVISOR_SOCKET"; i=0; while [ $i -lt ${ticks} ]; do echo "tick $i"; i=$((i+1)); sleep 0.05; done; exit 7`,
  ];
}

/** The ticks the steady runner's output holds. */
export function ticksIn(stdout: string): string[] {
  return stdout.split("\n").filter((l) => l.startsWith("tick "));
}

/** Every tick the steady runner printed arrived, in order, and nothing else came between. */
export function ticksIntact(stdout: string, seconds: number): boolean {
  const ticks = ticksIn(stdout);
  return ticks.length === Math.round(seconds * 20) && ticks.every((l, i) => l === `tick ${i}`);
}

/**
 * Waits until the steady runner has printed `more` ticks beyond those it has now: it still runs
 * after whatever came before. Returns how many ticks that makes.
 */
export async function stillTicking(r: Running, more = 5): Promise<number> {
  const target = ticksIn(r.stdout().toString()).length + more;
  await until(() => ticksIn(r.stdout().toString()).length >= target, 10_000, `${more} more ticks from the runner`);
  return target;
}

/** The channel's socket path, once the steady runner has printed it. */
export async function socketOf(running: Running): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const m = /^socket=(.+)$/m.exec(running.stdout().toString());
    if (m) return m[1]!;
    await sleep(25);
  }
  throw new Error("the runner never printed the channel's socket");
}

/** Resident memory now, its anonymous part (the process's own, not the node binary's pages) and the peak since resetPeak, in MiB. */
export function memoryOf(pid: number): { rss: number; anon: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)![1]);
  return { rss: kib("VmRSS") / 1024, anon: kib("RssAnon") / 1024, peak: kib("VmHWM") / 1024 };
}

/** Starts a new peak measurement (writes 5 to /proc/PID/clear_refs, which needs root or the same user). */
export function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

/** A connection to the endpoint from a chosen loopback address (so a test can play several clients). */
export function connectFrom(port: number, localAddress = "127.0.0.1"): Socket {
  const socket = connect({ port, host: "127.0.0.1", localAddress });
  socket.on("error", () => undefined);
  return socket;
}
