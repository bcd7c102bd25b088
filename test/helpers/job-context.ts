import type { JobContext } from "../../src/messages/job-context.js";

/** One job's context as its hooks send it: the unit tests' common example. */
export const JOB_CONTEXT: JobContext = {
  runId: "1",
  runAttempt: 1,
  repository: "acme/shop",
  workflow: "CI",
  job: "build",
  eventName: "push",
  runnerName: "r",
};
