import { describe, expect, it } from "vitest";
import { networkOf } from "../../../src/http/network.js";

describe("networkOf: the network budgets and the pool count a client by", () => {
  it.each([
    ["127.0.0.1", "127.0.0.0/24"],
    ["127.0.0.17", "127.0.0.0/24"],
    ["127.1.2.3", "127.1.2.0/24"],
    ["::ffff:10.1.2.3", "10.1.2.0/24"],
    ["::1", "0:0:0:0::/56"],
    ["2001:db8:1:2ff::1", "2001:db8:1:200::/56"],
    ["2001:db8:1:2aa:ffff::9", "2001:db8:1:200::/56"],
    ["2001:db8::1ff:2:3:4:5", "2001:db8:0:100::/56"],
    ["2001:db8::", "2001:db8:0:0::/56"],
    ["not an address", "not an address"],
  ])("%s is in %s", (address, network) => {
    expect(networkOf(address)).toBe(network);
  });
});
