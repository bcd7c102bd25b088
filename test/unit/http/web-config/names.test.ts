import { describe, expect, it } from "vitest";
import { bcryptCost } from "../../../../src/http/web-config/names.js";
import { bcryptHash } from "../../../helpers/index.js";

const TAIL = "X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG";

describe("bcryptCost", () => {
  it("reads the cost of $2a$, $2b$ and $2y$ hashes, also one htpasswd made", () => {
    expect(bcryptCost(`$2a$10$${TAIL}`)).toBe(10);
    expect(bcryptCost(`$2b$04$${TAIL}`)).toBe(4);
    expect(bcryptCost(`$2y$31$${TAIL}`)).toBe(31);
    expect(bcryptCost(bcryptHash("secret", 5))).toBe(5);
  });

  it.each([
    `$2x$10$${TAIL}`,
    `$2$10$${TAIL}`,
    `$2y$03$${TAIL}`,
    `$2y$32$${TAIL}`,
    `$2y$10$${TAIL}x`,
    `$2y$10$${TAIL.slice(1)}`,
    "secret",
    "",
  ])("%j is not a bcrypt hash", (text) => {
    expect(bcryptCost(text)).toBeUndefined();
  });
});
