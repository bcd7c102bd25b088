import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { goIpText, sanValues } from "../../../../src/http/web-config/tls.js";
import { removeTempDirs, tempDir } from "../../../helpers/index.js";

afterAll(removeTempDirs);

describe("goIpText: an IP address as Go's net.IP.String() writes it", () => {
  it.each([
    ["127.0.0.1", "127.0.0.1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["0:0:0:0:0:FFFF:7F00:1", "127.0.0.1"],
    ["::ffff:10.1.2.3", "10.1.2.3"],
    ["1:0:0:1:0:0:0:1", "1:0:0:1::1"],
    ["1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["64:ff9b::1.2.3.4", "64:ff9b::102:304"],
    ["fe80:0:0:0:abcd:0:0:7", "fe80::abcd:0:0:7"],
  ])("%s -> %s", (node, go) => {
    expect(goIpText(node)).toBe(go);
  });
});

describe("sanValues: a client certificate's names as the toolkit matches them", () => {
  it("DNS, IP (Go's notation), e-mail and URI values from a certificate made by openssl, a comma in a URI included", () => {
    const dir = tempDir("sans-");
    writeFileSync(
      join(dir, "ext"),
      "subjectAltName=@alt\n[alt]\nDNS.1=a.example\nDNS.2=*.w.example\nIP.1=127.0.0.1\nIP.2=::1\nIP.3=2001:db8::1\nemail.1=ops@example.com\nURI.1=spiffe://x/a,b\notherName.1=1.2.3.4;UTF8:ignored\n",
    );
    const run = (args: string[]) => {
      const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
      if (r.status !== 0) throw new Error(r.stderr);
    };
    run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "k", "-out", "csr", "-subj", "/CN=x"]);
    run(["x509", "-req", "-in", "csr", "-signkey", "k", "-out", "c", "-days", "1", "-extfile", "ext"]);
    const certificate = new X509Certificate(readFileSync(join(dir, "c")));
    expect(sanValues(certificate.subjectAltName)).toEqual([
      "a.example",
      "*.w.example",
      "127.0.0.1",
      "::1",
      "2001:db8::1",
      "ops@example.com",
      "spiffe://x/a,b",
    ]);
  });

  it("no names: none", () => {
    expect(sanValues(undefined)).toEqual([]);
    expect(sanValues("")).toEqual([]);
  });
});
