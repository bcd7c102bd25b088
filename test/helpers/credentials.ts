// Password hashes for basic_auth_users, made as the exporter toolkit's docs make them.
import { spawnSync } from "node:child_process";

/** A bcrypt hash of a password as the exporter toolkit's docs make one: Apache's htpasswd -B ($2y$). */
export function bcryptHash(password: string, cost = 10): string {
  const r = spawnSync("htpasswd", ["-nbBC", String(cost), "", password], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`htpasswd failed (is apache2-utils installed? bash test/setup/ensure-tools.sh): ${r.stderr}`);
  return r.stdout.trim().replace(/^:/, "");
}
