import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/**
 * SIGKILLs the child's process group and every other process of its session. The child was
 * started with setsid, so its pid is the session id; run.sh (`set -m`) moves the listener
 * into a process group of its own, which a kill of the child's group alone would miss.
 */
export function killSession(sid: number): void {
  trySigkill(-sid);
  for (const pid of sessionMembers(sid)) trySigkill(pid);
}

function sessionMembers(sid: number): number[] {
  let entries: string[];
  try {
    // A /proc of another PID namespace would name other processes by these numbers.
    if (readlinkSync("/proc/self") !== String(process.pid)) return [];
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name (which may hold spaces and parentheses): state ppid pgrp session.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[3]) === sid) members.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

function trySigkill(target: number): void {
  try {
    process.kill(target, "SIGKILL");
  } catch {
    // already gone
  }
}
