import { describe, expect, it } from "vitest";
import { createLineTap } from "../../../src/io/line-tap.js";

/** Feeds the text to a tap in the given chunk sizes and returns the lines it handed on. */
async function linesOf(text: string | Buffer, chunkSize: number): Promise<string[]> {
  const lines: string[] = [];
  const tap = createLineTap(
    (l) => lines.push(l),
    (e) => {
      throw e;
    },
  );
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  for (let i = 0; i < bytes.length; i += chunkSize) tap.write(bytes.subarray(i, i + chunkSize));
  await tap.end();
  return lines;
}

const TS = "2026-11-25 10:00:00Z";
const stream = [
  `[RUNNER ${TS} INFO Terminal] WRITE LINE: ${TS}: Running job: echoed`,
  `${TS}: Running job: build (ubuntu, 20)`,
  "plain step output that is skipped",
  "",
  `\x1b[32m${TS}: Job build (ubuntu, 20) completed with result: Succeeded\x1b[0m\r`,
  "√ Connected to GitHub",
  "Current runner version: '2.336.0'",
  `  ${TS}: Running job: indented, never an event`,
  `${TS}: Listening for Jobs`,
].join("\n");

describe("createLineTap", () => {
  it.each([1, 2, 3, 7, 64, 100_000])("hands on exactly the lines that may be events, in chunks of %i bytes", async (size) => {
    expect(await linesOf(stream, size)).toEqual([
      `${TS}: Running job: build (ubuntu, 20)`,
      `\x1b[32m${TS}: Job build (ubuntu, 20) completed with result: Succeeded\x1b[0m\r`,
      "√ Connected to GitHub",
      "Current runner version: '2.336.0'",
      `${TS}: Listening for Jobs`,
    ]);
  });

  it("decodes invalid UTF-8 with replacement characters and keeps going", async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${TS}: Running job: bad `),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(`\n${TS}: Listening for Jobs\n`),
    ]);
    expect(await linesOf(bytes, 5)).toEqual([`${TS}: Running job: bad \uFFFD\uFFFD`, `${TS}: Listening for Jobs`]);
  });

  it("skips a line over the cap, whole, and reads the next one", async () => {
    const text = `${TS}: Running job: ${"x".repeat(100_000)}\n${TS}: Listening for Jobs\n`;
    expect(await linesOf(text, 4096)).toEqual([`${TS}: Listening for Jobs`]);
  });
});
