/** A job result as the runner prints it. */
export type RunnerResult = "Succeeded" | "SucceededWithIssues" | "Failed" | "Canceled" | "Skipped" | "Abandoned";

/** Why the runner's shell wrapper says the listener exited ("Runner listener exit ..." lines). */
export type ListenerExitReason = "success" | "terminated" | "retryable" | "updating" | "session_conflict" | "deprecated" | "unknown_code";

/** Something the runner announced on its console, one per recognised line. */
export type RunnerEvent =
  | { readonly type: "connected" }
  | { readonly type: "version"; readonly version: string }
  | { readonly type: "listening" }
  | { readonly type: "job-started"; readonly name: string }
  | { readonly type: "job-completed"; readonly name: string; readonly result: RunnerResult }
  | { readonly type: "reconnected" }
  | { readonly type: "connect-error"; readonly message: string }
  | { readonly type: "session-conflict" }
  | { readonly type: "session-failed"; readonly message: string }
  | { readonly type: "runner-removed" }
  | { readonly type: "error"; readonly message: string }
  | { readonly type: "update-started" }
  | { readonly type: "update-finished" }
  | { readonly type: "update-failed"; readonly message: string }
  | { readonly type: "listener-exit"; readonly reason: ListenerExitReason; readonly relaunch: boolean }
  | { readonly type: "exiting" };
