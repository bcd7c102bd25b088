import { parseCgroupMounts, parseProcCgroup, type CgroupMembership, type CgroupMount } from "./parse.js";

/** The v1 controllers whose files the supervisor reads. */
export type V1Controller = "memory" | "cpuacct" | "cpu" | "blkio";
const V1_CONTROLLERS: readonly V1Controller[] = ["memory", "cpuacct", "cpu", "blkio"];

/** Where the container's cgroup files are: one directory on v2, one per controller on v1. */
export type CgroupLayout =
  { readonly version: 2; readonly dir: string } | { readonly version: 1; readonly dirs: Readonly<Partial<Record<V1Controller, string>>> };

/** The layout, or why there is none (in words, for the start-up line). */
export type Located = { readonly ok: true; readonly layout: CgroupLayout } | { readonly ok: false; readonly reason: string };

/**
 * Finds this process's cgroup directories from the texts of /proc/self/cgroup and
 * /proc/self/mountinfo: the membership line names the cgroup's path in its hierarchy, the mount
 * says where (and from which directory of the hierarchy) that hierarchy is mounted. On a hybrid
 * host the controllers live on v1 (the v2 hierarchy is then empty of them), so v1 is looked for
 * first, by the memory and CPU accounting controllers; else the v2 line.
 */
export function locateCgroup(procCgroup: string, mountinfo: string): Located {
  const memberships = parseProcCgroup(procCgroup);
  const mounts = parseCgroupMounts(mountinfo);
  if (memberships.length === 0) return { ok: false, reason: "/proc/self/cgroup names no cgroup" };

  const dirs: Partial<Record<V1Controller, string>> = {};
  for (const controller of V1_CONTROLLERS) {
    const member = memberships.find((m) => !m.v2 && m.controllers.includes(controller));
    const dir =
      member &&
      dirIn(
        mounts.filter((m) => !m.v2 && m.controllers.includes(controller)),
        member,
      );
    if (dir) dirs[controller] = dir;
  }
  if (dirs.memory || dirs.cpuacct) return { ok: true, layout: { version: 1, dirs } };

  const unified = memberships.find((m) => m.v2);
  if (unified) {
    const dir = dirIn(
      mounts.filter((m) => m.v2),
      unified,
    );
    if (dir) return { ok: true, layout: { version: 2, dir } };
    return { ok: false, reason: `the cgroup v2 path ${unified.path} is not under any cgroup2 mount in /proc/self/mountinfo` };
  }
  return {
    ok: false,
    reason: "no cgroup v1 memory or cpuacct hierarchy, and no cgroup v2 hierarchy, is mounted where /proc/self/cgroup says this process is",
  };
}

/** The directory of the membership's cgroup under the first mount that shows it. */
function dirIn(mounts: readonly CgroupMount[], member: CgroupMembership): string | undefined {
  for (const mount of mounts) {
    const root = mount.root === "/" ? "" : mount.root;
    if (member.path !== mount.root && !member.path.startsWith(`${root}/`)) continue;
    const rest = member.path.slice(root.length).replace(/^\/+/, "");
    return rest ? `${mount.mountPoint.replace(/\/+$/, "")}/${rest}` : mount.mountPoint;
  }
  return undefined;
}
