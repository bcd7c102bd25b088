// The PID-1 conformance checklist (docs/PID1.md), run against the built supervisor and against
// Debian's tini as PID 1 of a new PID namespace, asserting the same observable outcome for both
// wherever tini is the reference. Needs root (unshare --pid) and tini (test/setup/ensure-tools.sh).
import { readFileSync, readlinkSync } from "node:fs";
import { createConnection } from "node:net";
import { constants } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../../helpers/index.js";
import {
  bit,
  childrenOf,
  IMPLS,
  killAll,
  PID1_FIXTURES,
  procInfo,
  runAsPid1,
  sleep,
  zombiesOf,
  type Impl,
  type NsRun,
} from "./namespace.js";

const RECORDER = ["node", `${PID1_FIXTURES}/signal-recorder.mjs`];
const FORWARDED = ["SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGWINCH", "SIGCONT", "SIGURG", "SIGTERM"] as const;

afterEach(() => killAll());

it("10. control: without a reaping PID 1 the same orphans stay zombies (the count above can fail)", async () => {
  const bare = runAsPid1("bare", ["sh", "-c", `${PID1_FIXTURES}/orphans.sh 50 0 & exec sleep 3`]);
  await bare.waitForOutput("made");
  await sleep(1_000);
  expect(zombiesOf(await bare.pid1())).toBeGreaterThanOrEqual(45);
});

describe.each(IMPLS)("as PID 1: %s", (impl: Impl) => {
  it("1. passes the child's exit code through (0, 1, 3, 255) and does not restart it", async () => {
    for (const code of [0, 1, 3, 255]) {
      const run = runAsPid1(impl, ["sh", "-c", `echo once; exit ${code}`]);
      expect((await run.exit).code).toBe(code);
      expect(run.stdout()).toBe("once\n");
    }
  });

  it("2. exits 128+N when the child dies by signal N (SIGKILL 137, SIGSEGV 139)", async () => {
    for (const [signal, code] of [
      ["KILL", 137],
      ["SEGV", 139],
    ] as const) {
      const run = runAsPid1(impl, ["sh", "-c", `kill -${signal} $$`]);
      expect((await run.exit).code).toBe(code);
    }
  });

  it("3. SIGTERM from outside, child dies by its default action: 143", async () => {
    const run = runAsPid1(impl, ["sh", "-c", "echo up; sleep 10 & wait $!"]);
    await run.waitForOutput("up");
    process.kill(await run.pid1(), "SIGTERM");
    expect((await run.exit).code).toBe(143);
  });

  it("4. the child traps SIGTERM and exits 0 or 7: that code, for a SIGTERM from outside and from inside (kill -TERM 1)", async () => {
    for (const [code, from] of [
      [0, "outside"],
      [7, "outside"],
      [7, "inside"],
    ] as const) {
      const run = runAsPid1(impl, ["sh", "-c", `trap 'exit ${code}' TERM; echo up; sleep 10 & wait $!`]);
      await run.waitForOutput("up");
      const pid1 = await run.pid1();
      if (from === "outside") process.kill(pid1, "SIGTERM");
      else {
        const { spawnSync } = await import("node:child_process");
        spawnSync("nsenter", ["--target", String(pid1), "--pid", "--mount", "--", "kill", "-TERM", "1"]);
      }
      expect((await run.exit).code, `exit ${code} after SIGTERM from ${from}`).toBe(code);
    }
  });

  it("5-7. every forwarded signal reaches the child exactly once; SIGCHLD never; SIGUSR1 opens no inspector", async () => {
    const run = runAsPid1(impl, RECORDER);
    await run.waitForOutput("ready");
    const pid1 = await run.pid1();
    process.kill(pid1, "SIGCHLD");
    for (const signal of FORWARDED) {
      process.kill(pid1, signal);
      await run.waitForOutput(`got ${signal}`);
    }
    const exit = await run.exit;
    for (const signal of FORWARDED) expect(run.stdout().split(`got ${signal}\n`).length - 1, signal).toBe(1);
    expect(run.stdout()).not.toContain("got SIGCHLD");
    expect(exit.code).toBe(0);
    expect(run.stderr()).not.toMatch(/Debugger listening/);
    expect(await portOpen(9229)).toBe(false);
  });

  it("5b. SIGPIPE from outside: tini forwards it; the supervisor never does (docs/PID1.md), and the child runs on", async () => {
    const run = runAsPid1(impl, ["sh", "-c", "echo up; sleep 1; echo still here; exit 4"]);
    await run.waitForOutput("up");
    process.kill(await run.pid1(), "SIGPIPE");
    const exit = await run.exit;
    if (impl === "tini") expect(exit.code).toBe(141);
    else {
      expect(exit.code).toBe(4);
      expect(run.stdout()).toContain("still here");
    }
  });

  it("8. the child ignores SIGTERM: PID 1 stays alive and never exits before its child", async () => {
    const run = runAsPid1(impl, ["sh", "-c", "trap '' TERM; echo up; sleep 1.5; exit 4"], { args: ["--stop-grace-period", "0"] });
    await run.waitForOutput("up");
    process.kill(await run.pid1(), "SIGTERM");
    const early = await Promise.race([run.exit, sleep(800).then(() => "alive")]);
    expect(early).toBe("alive");
    expect((await run.exit).code).toBe(4);
  });

  it(`9. escalation: the child still runs 1 s after SIGTERM ${impl === "tini" ? "(tini never escalates)" : "and is killed: 137"}`, async () => {
    const run = runAsPid1(impl, ["sh", "-c", "trap '' TERM; echo up; sleep 6; exit 4"], { args: ["--stop-grace-period", "1"] });
    await run.waitForOutput("up");
    const pid1 = await run.pid1();
    const sent = Date.now();
    process.kill(pid1, "SIGTERM");
    const outcome = await Promise.race([run.exit, sleep(3_000).then(() => undefined)]);
    if (impl === "tini") {
      expect(outcome).toBeUndefined();
      return;
    }
    expect(outcome?.code).toBe(137);
    expect(outcome!.atMs - sent).toBeGreaterThanOrEqual(900);
    expect(run.stderr()).toMatch(/still runs 1 s after SIGTERM/);
  });

  it("10. 50 orphans leave no zombie within 1 s", async () => {
    const run = runAsPid1(impl, [`${PID1_FIXTURES}/orphans.sh`, "50", "3"]);
    await run.waitForOutput("made");
    const pid1 = await run.pid1();
    await sleep(1_000);
    expect(zombiesOf(pid1)).toBe(0);
  });

  it("10. a single orphaned zombie is reaped within 100 ms", async () => {
    const run = runAsPid1(impl, ["sh", "-c", "( sleep 0.3 & echo orphan $! ); sleep 2"]);
    await run.waitForOutput("orphan");
    const orphan = Number(/orphan (\d+)/.exec(run.stdout())![1]);
    const nsProc = `/proc/${await run.pid1()}/root/proc`;
    // The subshell prints before it exits: only then is the sleep an orphan of PID 1.
    await until(() => procInfo(orphan, nsProc)?.ppid === 1, 10_000, "the sleep reparented to PID 1");
    let zombieAt: number | undefined;
    let goneAt: number | undefined;
    const deadline = performance.now() + 3_000;
    for (let i = 0; i < 1_000_000 && goneAt === undefined && performance.now() < deadline; i++) {
      const info = procInfo(orphan, nsProc);
      if (info?.state === "Z") zombieAt ??= performance.now();
      if (info === undefined) goneAt = performance.now();
      else await new Promise((r) => setImmediate(r));
    }
    expect(goneAt).toBeDefined();
    const latency = goneAt! - (zombieAt ?? goneAt!);
    const seen =
      zombieAt === undefined
        ? "reaped before a poll saw it as a zombie"
        : `reaped ${latency.toFixed(1)} ms after a poll saw it as a zombie`;
    console.log(`[pid1] ${impl}: orphan ${seen}`);
    expect(latency).toBeLessThan(100);
  });

  it("11. reaping never steals the exit status of a process PID 1 spawned: 40 quick spawns, 40 exit events", async () => {
    const storm = impl === "supervisor" ? ["reaper"] : ["none"];
    const run =
      impl === "supervisor"
        ? runAsPid1("bare", ["node", `${PID1_FIXTURES}/spawn-storm.mjs`, ...storm])
        : runAsPid1("tini", ["node", `${PID1_FIXTURES}/spawn-storm.mjs`, ...storm]);
    await run.waitForOutput("}");
    const result = JSON.parse(run.stdout().trim()) as { events: number; correct: number; zombies: number; pid: number };
    expect(result).toMatchObject({ events: 40, correct: 40, zombies: 0 });
    if (impl === "supervisor") expect(result.pid).toBe(1);
  });

  it("exit-code mapping: codes chosen by the user are reported as 0 (tini -e)", async () => {
    const run = runAsPid1(impl, ["sh", "-c", "echo up; sleep 10 & wait $!"], {
      env: { EXIT_CODES_TO_ZERO: "143" },
      tiniArgs: ["-e", "143"],
    });
    await run.waitForOutput("up");
    process.kill(await run.pid1(), "SIGTERM");
    expect((await run.exit).code).toBe(0);
    const other = runAsPid1(impl, ["sh", "-c", "exit 3"], { env: { EXIT_CODES_TO_ZERO: "143" }, tiniArgs: ["-e", "143"] });
    expect((await other.exit).code).toBe(3);
  });

  it("12. the child exits while a grandchild holds stdout: PID 1 exits at once with the child's code", async () => {
    const run = runAsPid1(impl, ["sh", "-c", "sleep 5 & date +%s%3N; exit 3"]);
    const exit = await run.exit;
    expect(exit.code).toBe(3);
    const childExitMs = Number(run.stdout().trim());
    // At once, not when the grandchild's 5 s sleep ends (a margin for a busy machine).
    expect(exit.atMs - childExitMs).toBeLessThan(2_500);
    console.log(`[pid1] ${impl}: exit ${exit.atMs - childExitMs} ms after the child (grandchild holding stdout)`);
  });

  it("13. missing executable: 127; not executable: 126; a message on stderr", async () => {
    const missing = runAsPid1(impl, ["/nonexistent/command"]);
    expect((await missing.exit).code).toBe(127);
    expect(missing.stderr()).toMatch(/nonexistent/);
    const notExec = runAsPid1(impl, [`${PID1_FIXTURES}/spawn-storm.mjs`]);
    expect((await notExec.exit).code).toBe(126);
    expect(notExec.stderr()).toMatch(/spawn-storm|ermission/);
  });

  it("14. stdin, stdout and stderr pass through byte for byte; nothing is added to stdout", async () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256));
    const run = runAsPid1(impl, ["sh", "-c", "cat; printf 'to stderr\\n' >&2"], { stdin: "pipe" });
    run.proc.stdin!.end(bytes);
    expect((await run.exit).code).toBe(0);
    expect(Buffer.from(run.stdout(), "latin1").equals(bytes)).toBe(true);
    expect(run.stderr()).toBe("to stderr\n");
  });

  it("15. group mode: SIGINT to sh -c 'sleep 6; ...' ends it at once with 130; default mode signals the child only", async () => {
    // Bounds at half the sleep, so that a loaded machine does not blur "at once" and "after the sleep".
    const script = ["sh", "-c", "sleep 6; echo after"];
    const group = runAsPid1(impl, script, { env: { SIGNAL_PROCESS_GROUP: "true" }, tiniArgs: ["-g"] });
    await sleepStarted(group);
    const t0 = Date.now();
    process.kill(await group.pid1(), "SIGINT");
    const g = await group.exit;
    expect(g.code).toBe(130);
    expect(g.atMs - t0).toBeLessThan(3_000);
    const single = runAsPid1(impl, script);
    await sleepStarted(single);
    const t1 = Date.now();
    process.kill(await single.pid1(), "SIGINT");
    const s = await single.exit;
    // sh waits for its foreground sleep, which never got the signal.
    expect(s.atMs - t1).toBeGreaterThan(3_000);
  }, 30_000);

  it("16. the child runs in its own process group, with an empty signal mask and no ignored signals", async () => {
    // The child execs sleep, which never touches its signal mask: what it shows is what PID 1 gave
    // it. (A shell that waits, as dash does, blocks every signal for moments of its own.)
    const run = runAsPid1(impl, ["sh", "-c", "echo up; exec sleep 3"]);
    await run.waitForOutput("up");
    // The child itself, by its command line: PID 1 can have a process of its own for a moment
    // (seen once in a few runs under both implementations), and that one is no child of ours.
    const pid1 = await run.pid1();
    const isSleep = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8") === "sleep\x003\x00";
      } catch {
        return false;
      }
    };
    let child: number | undefined;
    await until(() => (child = childrenOf(pid1).find(isSleep)) !== undefined, 10_000, "the child, once it is sleep");
    const info = procInfo(child!)!;
    expect(info.pgrp).toBe(child);
    expect(info.blocked).toBe(0n);
    expect(info.ignored).toBe(0n);
  });

  it("17. not PID 1: orphans are reparented to it (subreaper) and reaped", async () => {
    const run = runAsPid1(impl, ["sh", "-c", "( sleep 0.4 & echo orphan $! ); sleep 1.2"], { notPid1: true, tiniArgs: ["-s"] });
    await run.waitForOutput("orphan");
    const orphan = Number(/orphan (\d+)/.exec(run.stdout())![1]);
    const self = run.proc.pid!;
    expect(procInfo(orphan)?.ppid).toBe(self);
    await sleep(700);
    expect(procInfo(orphan)).toBeUndefined();
    expect(zombiesOf(self)).toBe(0);
    await run.exit;
    expect(run.stderr()).not.toMatch(/warn/i);
  });

  it("17. not PID 1 and unable to reap: a warning, once, and supervision goes on", async () => {
    const run =
      impl === "supervisor"
        ? runAsPid1(impl, ["sh", "-c", "exit 5"], {
            notPid1: true,
            nodeArgs: ["--experimental-permission", "--allow-fs-read=*", "--allow-child-process", "--no-warnings"],
          })
        : runAsPid1(impl, ["sh", "-c", "exit 5"], { notPid1: true });
    expect((await run.exit).code).toBe(5);
    expect(run.stderr().match(/warn/gi)?.length).toBe(1);
    expect(run.stderr()).toMatch(/zombie/i);
  });

  it("18. a SIGTERM that arrives before the child exists is delivered once it is spawned", async () => {
    const run = runAsPid1(impl, ["sh", "-c", "sleep 3; exit 0"]);
    const pid1 = await run.pid1();
    // Ready to hold a signal: the supervisor catches SIGPWR, its last listener. tini blocks SIGTERM
    // before it forks, but unshare blocks it around its own fork too (so the mask counts only once
    // tini runs), and tini's sigtimedwait unblocks it while waiting (so its child shows it instead).
    const isTini = () => exeOf(pid1) === "/usr/bin/tini";
    const ready = (p: ReturnType<typeof procInfo>) =>
      impl === "supervisor"
        ? ((p?.caught ?? 0n) & bit(constants.signals.SIGPWR)) !== 0n
        : isTini() && (((p?.blocked ?? 0n) & bit(constants.signals.SIGTERM)) !== 0n || childrenOf(pid1).length > 0);
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && !ready(procInfo(pid1));) await new Promise((r) => setImmediate(r));
    const childless = childrenOf(pid1).length === 0;
    process.kill(pid1, "SIGTERM");
    const t0 = Date.now();
    const exit = await run.exit;
    expect(exit.code).toBe(143);
    expect(exit.atMs - t0).toBeLessThan(2_000);
    if (impl === "supervisor") expect(childless).toBe(true);
  });

  it("19. a parent-death signal reaches the child", async () => {
    const run = runAsPid1(impl, RECORDER, { args: ["--parent-death-signal", "SIGTERM"], tiniArgs: ["-p", "SIGTERM"] });
    await run.waitForOutput("ready");
    const pid1 = await run.pid1();
    const host = run.proc.pid!;
    process.kill(host, "SIGKILL");
    await run.exit;
    // unshare is gone; PID 1 still writes to our pipe until it exits.
    for (let i = 0; i < 400 && procInfo(pid1) !== undefined && !run.stdout().includes("got SIGTERM"); i++) await sleep(5);
    expect(run.stdout()).toContain("got SIGTERM");
  });
});

/** Waits until the child sh runs its foreground sleep, so a signal cannot land between commands. */
/** The program a process runs ("" when it is gone). */
function exeOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return "";
  }
}

/** Until the child's sleep runs: exec'd, not the shell's fork still on its way to it. */
async function sleepStarted(run: NsRun): Promise<void> {
  const pid1 = await run.pid1();
  for (let i = 0; i < 1_000; i++) {
    const [sh] = childrenOf(pid1);
    if (sh !== undefined && childrenOf(sh).some((c) => exeOf(c).endsWith("/sleep"))) return;
    await sleep(2);
  }
  throw new Error("the child's sleep never started");
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
