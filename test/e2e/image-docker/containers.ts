import { parseSamples, type Samples } from "../../helpers/index.js";
import type { Engine } from "./engine.mjs";
import { DOCKER, run, type RunOptions, type RunResult } from "./exec.mjs";
import { IMAGES } from "./images.mjs";

/** Label on every container a test file starts, so the file can remove its own and nothing else. */
const OWNER_LABEL = "rs-image-test.owner";
/** The supervisor's metrics port inside the image (Dockerfile.fragment: METRICS_PORT=9091). */
const METRICS_PORT = 9091;

/** The pinned docker CLI against the engine; rejects on a non-zero exit unless allowFailure. */
export function docker(engine: Engine, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run([DOCKER, ...args], { timeoutMs: 60_000, ...options, env: { ...engine.env, ...options.env } });
}

export interface ContainerSpec {
  /** Defaults to the runner image the fragment built. */
  image?: string;
  /** `docker run` options (before the image). */
  options?: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** Arguments after the image (the supervisor's, or the command for another entrypoint). */
  command?: readonly string[];
  /** Publish the metrics port on a free loopback port of the host (default true). */
  publish?: boolean;
}

export interface Process {
  pid: number;
  ppid: number;
  user: string;
  stat: string;
  args: string;
}

/** A container of the runner image, as the tests drive it from the host. */
export class Container {
  constructor(
    readonly engine: Engine,
    readonly id: string,
  ) {}

  docker(args: readonly string[], options?: RunOptions): Promise<RunResult> {
    return docker(this.engine, args, options);
  }

  /** The host port the metrics port is published on (127.0.0.1 only). */
  async hostPort(): Promise<number> {
    const out = (await this.docker(["port", this.id, `${METRICS_PORT}/tcp`])).stdout.trim();
    const m = /^127\.0\.0\.1:(\d+)$/m.exec(out);
    if (!m) throw new Error(`metrics port not published on 127.0.0.1: ${out}`);
    return Number(m[1]);
  }

  /** A request from the host to the supervisor, through the published port. */
  async get(path: string): Promise<Response> {
    return fetch(`http://127.0.0.1:${await this.hostPort()}${path}`, { signal: AbortSignal.timeout(5_000) });
  }

  async metrics(): Promise<Samples> {
    const res = await this.get("/metrics");
    if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
    return parseSamples(await res.text());
  }

  /** Scrapes from the host until the predicate holds (the endpoint may not listen yet). */
  async waitForMetrics(predicate: (s: Samples) => boolean, timeoutMs = 30_000): Promise<Samples> {
    const deadline = Date.now() + timeoutMs;
    let last: Samples | undefined;
    let error: unknown;
    while (Date.now() < deadline) {
      try {
        last = await this.metrics();
        if (predicate(last)) return last;
      } catch (e) {
        error = e;
      }
      await sleep(200);
    }
    throw new Error(
      `metrics condition not met within ${timeoutMs} ms; ${
        last
          ? `last scrape:\n${JSON.stringify(
              last.all.filter((f) => f.samples.some((s) => s.value !== 0)),
              null,
              1,
            )}`
          : `no scrape: ${String(error)}`
      }\nlogs:\n${await this.logs()}`,
    );
  }

  exec(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return this.docker(["exec", this.id, ...argv], options);
  }

  /** Tells the stand-in listener what to do (test/fixtures/actions-runner/fake/control). */
  async control(...args: string[]): Promise<void> {
    await this.exec(["/actions-runner/fake/control", ...args]);
  }

  /** The container's output so far, stdout and stderr together. */
  async logs(): Promise<string> {
    const r = await this.docker(["logs", this.id], { allowFailure: true });
    return `${r.stdout}${r.stderr}`;
  }

  async inspect(): Promise<ContainerState> {
    return (JSON.parse((await this.docker(["inspect", this.id])).stdout) as ContainerState[])[0]!;
  }

  /** Polls docker inspect until the predicate holds. */
  async waitForState(predicate: (s: ContainerState) => boolean, timeoutMs: number, what: string): Promise<ContainerState> {
    const deadline = Date.now() + timeoutMs;
    let last = await this.inspect();
    while (!predicate(last)) {
      if (Date.now() > deadline)
        throw new Error(`${what} not reached within ${timeoutMs} ms; state: ${JSON.stringify(last.State)}\nlogs:\n${await this.logs()}`);
      await sleep(250);
      last = await this.inspect();
    }
    return last;
  }

  /** Processes in the container, from its own ps. */
  async processes(): Promise<Process[]> {
    const out = (await this.exec(["ps", "-eo", "pid=,ppid=,user=,stat=,args="])).stdout;
    return out
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => {
        const [pid, ppid, user, stat, ...args] = l.trim().split(/\s+/);
        return { pid: Number(pid), ppid: Number(ppid), user: user!, stat: stat!, args: args.join(" ") };
      });
  }

  /** docker stop; resolves with how long it took and the exit code. */
  async stop(timeoutSeconds?: number): Promise<{ ms: number; exitCode: number }> {
    const started = Date.now();
    await this.docker(["stop", ...(timeoutSeconds === undefined ? [] : ["-t", String(timeoutSeconds)]), this.id], { timeoutMs: 120_000 });
    const ms = Date.now() - started;
    return { ms, exitCode: (await this.inspect()).State.ExitCode };
  }

  /** Waits for the container to exit by itself; resolves with its exit code. */
  async wait(timeoutMs = 60_000): Promise<number> {
    return Number((await this.docker(["wait", this.id], { timeoutMs })).stdout.trim());
  }
}

/** What the tests read of docker inspect. */
export interface ContainerState {
  Id: string;
  Config: {
    Hostname: string;
    User: string;
    Entrypoint: string[] | null;
    Cmd: string[] | null;
    StopSignal?: string;
    StopTimeout?: number;
    Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
  };
  State: { Status: string; Running: boolean; ExitCode: number; Health?: { Status: string; FailingStreak: number } };
  Name: string;
}

/** docker run -d of the runner image (or another), labelled for its test file; publishes 9091 on a free loopback port. */
export async function startContainer(engine: Engine, owner: string, spec: ContainerSpec = {}): Promise<Container> {
  const args = ["run", "-d", "--label", `${OWNER_LABEL}=${owner}`];
  if (spec.publish !== false) args.push("-p", `127.0.0.1::${METRICS_PORT}`);
  for (const [k, v] of Object.entries(spec.env ?? {})) args.push("-e", `${k}=${v}`);
  args.push(...(spec.options ?? []), spec.image ?? IMAGES.runner, ...(spec.command ?? []));
  const id = (await docker(engine, args)).stdout.trim();
  return new Container(engine, id);
}

/** Removes (kills) every container a test file started. */
export async function removeContainers(engine: Engine, owner: string): Promise<void> {
  const ids = (await docker(engine, ["ps", "-aq", "--filter", `label=${OWNER_LABEL}=${owner}`])).stdout.split(/\s+/).filter(Boolean);
  if (ids.length > 0) await docker(engine, ["rm", "-f", "-v", ...ids], { timeoutMs: 60_000 });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
