// What the web configuration guide and the Prometheus guide show of web configuration files is what
// the program reads and what the tests run: the guide's example file parses, its htpasswd command run as
// written makes a hash the file accepts, its example error is the program's, and the guide's
// scrape job is the example file the end-to-end test runs.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseWebConfig } from "../../../src/http/web-config/parse.js";
import { WebConfigError } from "../../../src/http/web-config/config.js";
import { ROOT } from "../../helpers/index.js";

const section = readFileSync(join(ROOT, "docs", "WEB_CONFIG.md"), "utf8");
const example = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;

describe("docs/WEB_CONFIG.md", () => {
  it("shows a web configuration file the program reads: TLS from files beside it and one basic auth user", () => {
    const config = parseWebConfig(example, "/etc/runner");
    expect(config.tls).toMatchObject({
      certFile: "/etc/runner/runner.pem",
      keyFile: "/etc/runner/runner.key",
      clientAuthType: "NoClientCert",
    });
    expect([...config.users.keys()]).toEqual(["prometheus"]);
  });

  it("its htpasswd command, run as written (the password on its standard input), makes a hash the file accepts", () => {
    const command = /# the output of: (htpasswd .*?) {3}\(it asks for the password\)/.exec(example)![1]!;
    const r = spawnSync("bash", ["-c", command], { input: "a password\na password\n", encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\$2y\$10\$[./A-Za-z0-9]{53}$/);
    expect(parseWebConfig(`basic_auth_users:\n  prometheus: ${r.stdout}\n`, "/").users.get("prometheus")).toBe(r.stdout);
  });

  it("its example error is the program's, word for word", () => {
    const shown = /`runner-supervisor: invalid WEB_CONFIG_FILE="\/etc\/runner\/web.yml": (.*?)`/.exec(section)![1]!;
    let error: unknown;
    try {
      parseWebConfig("tls_server_config:\n  cert_file: runner.pem\n  key_file: runner.key\n  min_version: TLS14\n", "/etc/runner");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WebConfigError);
    expect((error as WebConfigError).message).toBe(shown);
  });
});

describe("docs/PROMETHEUS_INTEGRATION.md's HTTPS scrape job", () => {
  it("is the example file's, which test/e2e/web-config/endpoint.test.ts runs", () => {
    const guide = readFileSync(join(ROOT, "docs", "PROMETHEUS_INTEGRATION.md"), "utf8");
    const at = guide.indexOf("### Over HTTPS with basic auth");
    const shown = parse(/```yaml\n([\s\S]*?)```/.exec(guide.slice(at))![1]!) as unknown;
    const file = parse(readFileSync(join(ROOT, "compose", "prometheus", "examples", "https.yml"), "utf8")) as { scrape_configs: unknown };
    expect(shown).toEqual({ scrape_configs: file.scrape_configs });
  });
});
