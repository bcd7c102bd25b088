import { basename } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeContainers, sleep, startContainer, type Container } from "./containers.js";
import { suiteEngine } from "./suite.js";

// What only a container shows about the supervisor as PID 1: which process it is, the endpoint
// from the host through a published port, orphans reaped, and Docker's own init in front of it.
const engine = suiteEngine();
const owner = basename(import.meta.url);
afterAll(() => removeContainers(engine, owner));

/** Orphans the stand-in listener leaves run `sleep 1`; their parent after re-parenting, and any zombies. */
async function orphanState(c: Container): Promise<{ sleepers: number[]; zombies: number }> {
  const ps = await c.processes();
  return { sleepers: ps.filter((p) => p.args === "sleep 1").map((p) => p.ppid), zombies: ps.filter((p) => p.stat.startsWith("Z")).length };
}

describe("the supervisor as the container's PID 1", () => {
  it("is the runner's own Node (externals/node24) running the bundle, as the non-root user runner", async () => {
    const c = await startContainer(engine, owner);
    await c.waitForMetrics((m) => m.value("github_runner_status") === 1);
    const exe = (await c.exec(["readlink", "/proc/1/exe"])).stdout.trim();
    expect(exe).toBe("/actions-runner/externals/node24/bin/node");
    const cmdline = (await c.exec(["cat", "/proc/1/cmdline"])).stdout.split("\0").filter(Boolean);
    expect(cmdline).toEqual([exe, "--max-semi-space-size=1", "/opt/runner-supervisor/runner-supervisor.cjs", "--", "/entrypoint.sh"]);
    const ps = await c.processes();
    expect(ps.find((p) => p.pid === 1)?.user).toBe("runner");
    expect((await c.exec(["id", "-u"])).stdout.trim()).toBe("1001");
    // The child is the image's entrypoint.sh, which exec'd run.sh: its direct child.
    expect(ps.find((p) => p.ppid === 1 && p.args.includes("run.sh"))).toBeDefined();
  });

  it("serves /metrics and /health to the host through a port published on 127.0.0.1, labelled with the container's host name", async () => {
    const c = await startContainer(engine, owner, { env: { FAKE_JOBS: "2" } });
    const hostname = (await c.inspect()).Config.Hostname;
    const labels = { runner_name: hostname, runner_type: "standard" };
    const m = await c.waitForMetrics((s) => s.value("github_runner_jobs_total", { ...labels, status: "success" }) === 2);
    expect(m.value("github_runner_info", { ...labels, version: "2.336.0" })).toBe(1);
    expect(m.value("github_runner_status", labels)).toBe(1);
    const health = await c.get("/health");
    expect(health.status).toBe(200);
    // Docker published the port on loopback only.
    const bindings = (await c.docker(["port", c.id])).stdout.trim().split("\n");
    expect(
      bindings.every((b) => / -> 127\.0\.0\.1:\d+$/.test(b)),
      bindings.join("; "),
    ).toBe(true);
  });

  it("reaps the orphans the runner leaves behind", async () => {
    const c = await startContainer(engine, owner);
    await c.waitForMetrics((m) => m.value("github_runner_status") === 1);
    await c.control("orphans", "20");
    const early = await orphanState(c);
    // Re-parented to PID 1, the supervisor.
    expect(early.sleepers.length).toBeGreaterThan(0);
    expect(new Set(early.sleepers)).toEqual(new Set([1]));
    await sleep(2_500);
    expect(await orphanState(c)).toEqual({ sleepers: [], zombies: 0 });
  });
});

describe("behind Docker's own init (docker run --init)", () => {
  it("is PID 2 and still reaps the runner's orphans as a subreaper, and a docker stop still stops the runner cleanly", async () => {
    const c = await startContainer(engine, owner, { options: ["--init"] });
    await c.waitForMetrics((m) => m.value("github_runner_status") === 1);
    const ps = await c.processes();
    expect(ps.find((p) => p.pid === 1)?.args).toMatch(/docker-init -- \/opt\/runner-supervisor\/runner-supervisor/);
    const supervisor = ps.find((p) => p.ppid === 1 && p.args.includes("runner-supervisor.cjs"));
    expect(supervisor).toBeDefined();
    expect(await c.logs()).not.toMatch(/cannot register as a child subreaper/);

    await c.control("orphans", "20");
    const early = await orphanState(c);
    expect(early.sleepers.length).toBeGreaterThan(0);
    // They go to the supervisor, the nearest subreaper, not to docker-init.
    expect(new Set(early.sleepers)).toEqual(new Set([supervisor!.pid]));
    await sleep(2_500);
    expect(await orphanState(c)).toEqual({ sleepers: [], zombies: 0 });

    const stopped = await c.stop(30);
    expect(stopped.exitCode).toBe(143);
    expect(stopped.ms).toBeLessThan(10_000);
    expect(await c.logs()).toMatch(/Exiting runner\.\.\.\n[^]*Runner listener exit with 0 return code/);
  });
});
