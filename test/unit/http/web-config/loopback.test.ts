import { describe, expect, it } from "vitest";
import { isLoopback } from "../../../../src/http/web-config/request-policy.js";

describe("isLoopback", () => {
  it.each(["127.0.0.1", "127.1.2.3", "127.255.255.255", "::1", "::ffff:127.0.0.1", "::FFFF:127.0.0.2"])("%s is the loopback", (address) => {
    expect(isLoopback(address)).toBe(true);
  });
  it.each(["", "10.0.0.1", "172.17.0.1", "128.0.0.1", "::", "::2", "::ffff:10.0.0.1", "fe80::1", "1127.0.0.1", "127.0.0.1.example"])(
    "%s is not",
    (address) => {
      expect(isLoopback(address)).toBe(false);
    },
  );
});
