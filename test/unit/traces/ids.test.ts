import { describe, expect, it } from "vitest";
import { receiverLegacyJobSpanId, receiverRunSpanId, receiverTraceId, remoteParentOf } from "../../../src/traces/ids.js";
import type { JobContext } from "../../../src/messages/job-context.js";

// The expected ids are the OpenTelemetry Collector GitHub receiver's own, from its test data
// (receiver/githubreceiver/testdata/workflow-run-expected.yaml and workflow-job-expected.yaml):
// run 14460881260, attempt 13 (its previous attempt, 12, is linked), job "test (1.23)".
const RUN = "14460881260";

describe("trace ids joinable with the Collector's GitHub receiver", () => {
  it("makes the receiver's trace id, run span id and (legacy) job span id", () => {
    expect(receiverTraceId(RUN, 13)).toBe("731ec8a47fd7450f753a812a4a8aa5a0");
    expect(receiverTraceId(RUN, 12)).toBe("3ab150c94bf95169f4958bc860bddc3b");
    expect(receiverRunSpanId(RUN, 13)).toBe("aba151af7cfbcf0f");
    expect(receiverLegacyJobSpanId(RUN, 13, "test (1.23)")).toBe("e68a36b3514c8634");
  });

  it("parents a job under the run span, the legacy job span, or nothing, by the rule", () => {
    const context: JobContext = {
      runId: RUN,
      runAttempt: 13,
      repository: "o/r",
      workflow: "build-and-test",
      job: "test",
      eventName: "push",
      runnerName: "",
    };
    expect(remoteParentOf("github-receiver", context, "test (1.23)")).toEqual({
      traceId: "731ec8a47fd7450f753a812a4a8aa5a0",
      spanId: "aba151af7cfbcf0f",
    });
    expect(remoteParentOf("github-receiver-legacy", context, "test (1.23)")).toEqual({
      traceId: "731ec8a47fd7450f753a812a4a8aa5a0",
      spanId: "e68a36b3514c8634",
    });
    expect(remoteParentOf("random", context, "test (1.23)")).toBeUndefined();
    // Without the hooks' context there is no run id: nothing to join, nothing invented.
    expect(remoteParentOf("github-receiver", undefined, "test (1.23)")).toBeUndefined();
  });
});
