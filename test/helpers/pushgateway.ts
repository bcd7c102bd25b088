// Debian's prometheus-pushgateway on 127.0.0.1, for the tests of the final push.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./system.js";

/** A running Pushgateway: its base URL, and stop() that ends it and removes its data. */
export interface Pushgateway {
  url: string;
  stop(): Promise<void>;
}

/** Starts a Pushgateway on a free port with a temporary persistence file (three tries at a port). */
export async function startPushgateway(): Promise<Pushgateway> {
  const dir = mkdtempSync(join(tmpdir(), "pushgateway-"));
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc = spawn("prometheus-pushgateway", [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${join(dir, "data")}`], {
      stdio: "ignore",
    });
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    const stop = async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    };
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && proc.exitCode === null) {
      try {
        if ((await fetch(`${url}/-/ready`)).ok) return { url, stop };
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (proc.exitCode === null) proc.kill("SIGKILL");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error("prometheus-pushgateway did not start");
}
