// The local channel that job hooks and workflow steps talk to, abused the way a job's code can:
// early hang-ups, floods, malformed and oversized messages, endless cache types. The runner
// runs on, memory and series stay bounded, and every accepted report counts exactly once.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendMessage } from "../../../src/in-job/client.js";
import { stopSupervisor, type Running } from "../../helpers/index.js";
import { memoryOf, socketOf, startProduction, steadyRunner, stillTicking, ticksIn } from "./harness.js";

const RUNNER_SECONDS = 60;
let s: Running;
let socketPath: string;
beforeAll(async () => {
  s = startProduction({ command: steadyRunner(RUNNER_SECONDS) });
  socketPath = await socketOf(s);
  await s.port;
});
afterAll(async () => {
  await stopSupervisor(s);
});

/** Sends raw bytes on one channel connection; resolves with the answer (or "" when it was cut). */
function rawMessage(bytes: Buffer | string, hangUpEarly = false): Promise<string> {
  return new Promise((resolve) => {
    const c = connect(socketPath);
    let answer = "";
    c.on("error", () => undefined);
    c.on("data", (d) => (answer += d.toString()));
    c.on("close", () => resolve(answer));
    c.on("connect", () => {
      if (hangUpEarly) c.destroy();
      else c.end(bytes);
    });
  });
}

const rejected = async () => (await s.metrics()).value("github_runner_context_messages_total", { kind: "rejected" }) ?? 0;

describe("the channel under abuse", () => {
  it("200 early hang-ups and 100 half messages: each counted as rejected, the runner runs on", async () => {
    const before = await rejected();
    for (let i = 0; i < 200; i++) await rawMessage("", true);
    for (let i = 0; i < 100; i++) await rawMessage('{"kind":"cache","cacheType":"np');
    expect((await rejected()) - before).toBe(300);
    expect(s.proc.exitCode).toBeNull();
  });

  it("malformed, out-of-bounds, binary and oversized messages are rejected one for one", async () => {
    const before = await rejected();
    const bad: (string | Buffer)[] = [
      "not json\n",
      "[]\n",
      "null\n",
      '{"kind":"nope"}\n',
      '{"kind":"cache","cacheType":"npm","hits":-1,"misses":0}\n',
      '{"kind":"cache","cacheType":"npm","hits":1e9,"misses":0}\n',
      '{"kind":"cache","cacheType":"NPM Cache","hits":1,"misses":0}\n',
      '{"kind":"hook","hook":"job-started","context":{"runId":"x"}}\n',
      Buffer.from([0xff, 0xfe, 0x00, 0x0a]),
      `{"kind":"cache","cacheType":"npm","hits":1,"misses":0,"pad":"${"x".repeat(20_000)}"}\n`,
    ];
    const answers = [];
    for (const message of bad) answers.push(await rawMessage(message));
    expect((await rejected()) - before).toBe(bad.length);
    expect(answers.every((a) => a === "" || a === "rejected\n")).toBe(true);
  });

  it("a flood of 2,000 reports, 100 at a time: every accepted one counts once, the rest are refused, memory stays bounded", async () => {
    const m0 = await s.metrics();
    const hitsBefore = m0.value("github_runner_cache_requests_total", { cache_type: "npm", result: "hit" }) ?? 0;
    const idle = memoryOf(s.proc.pid!).rss;
    let accepted = 0;
    for (let wave = 0; wave < 20; wave++) {
      const answers = await Promise.all(
        Array.from({ length: 100 }, () => sendMessage(socketPath, { kind: "cache", cacheType: "npm", hits: 3, misses: 0 }, 5_000)),
      );
      accepted += answers.filter(Boolean).length;
    }
    const m = await s.metrics();
    expect(accepted).toBeGreaterThan(0);
    expect(m.value("github_runner_cache_requests_total", { cache_type: "npm", result: "hit" })! - hitsBefore).toBe(3 * accepted);
    expect(memoryOf(s.proc.pid!).rss - idle).toBeLessThan(32);
  }, 60_000);

  it("500 distinct cache types: the configured ones and other, never a new series per type", async () => {
    for (let i = 0; i < 500; i++) await sendMessage(socketPath, { kind: "cache", cacheType: `type${i}`, hits: 1, misses: 1 }, 2_000);
    const m = await s.metrics();
    const series = m.all
      .find((f) => f.name === "github_runner_cache_requests")!
      .samples.filter((x) => x.name === "github_runner_cache_requests_total");
    const types = new Set(series.map((x) => x.labels.cache_type));
    expect(types.has("type0")).toBe(false);
    expect(types.size).toBe(13);
    expect(m.value("github_runner_cache_requests_total", { cache_type: "other", result: "miss" })).toBeGreaterThanOrEqual(500);
  }, 60_000);

  it("through all of it the runner's output is untouched", async () => {
    expect(s.proc.exitCode).toBeNull();
    const printed = await stillTicking(s);
    await stopSupervisor(s);
    const ticks = ticksIn(s.stdout().toString());
    expect(ticks.length).toBeGreaterThanOrEqual(printed);
    expect(ticks.every((l, i) => l === `tick ${i}`)).toBe(true);
  });
});
