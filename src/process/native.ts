/**
 * The few Linux calls Node does not offer, reached through the koffi FFI: peeking at and
 * reaping exited children one pid at a time, and prctl. Loaded lazily; when it cannot be
 * loaded (no prebuilt binary, no glibc, addons disabled) the caller warns and goes on.
 */
export interface NativeCalls {
  /** Pid of some exited child, left unreaped (waitid WNOWAIT); 0 when none has exited. */
  peekExited(): number;
  /** Reaps exactly this pid if it has exited; true when it did. */
  reap(pid: number): boolean;
  /** PR_SET_CHILD_SUBREAPER: orphans of our descendants are reparented to us. */
  becomeSubreaper(): boolean;
  /** PR_SET_PDEATHSIG: the kernel sends us this signal when our parent dies. */
  setParentDeathSignal(signal: number): boolean;
  /** PR_SET_DUMPABLE 0: other processes of our user can no longer read our memory or /proc/PID/environ. */
  makeUndumpable(): boolean;
  /** malloc_trim(0): hands the memory glibc keeps after frees (V8's compilers free much) back to the kernel. */
  trimMemory(): void;
  /** _exit: ends the process at once with this code, without Node's teardown. */
  exit(code: number): never;
}

const P_ALL = 0;
const WNOHANG = 1;
const WEXITED = 4;
const WNOWAIT = 0x0100_0000;
const PR_SET_PDEATHSIG = 1;
const PR_SET_DUMPABLE = 4;
const PR_SET_CHILD_SUBREAPER = 36;
const SIGINFO_SIZE = 128;
// siginfo_t: three ints, then (on 64-bit, aligned to 8) the union whose first field is si_pid.
const SI_PID_OFFSET = process.arch === "x64" || process.arch === "arm64" || process.arch === "ppc64" || process.arch === "s390x" ? 16 : 12;

let loaded: Promise<NativeCalls> | undefined;

/** Loads libc through koffi, once per process (PID 1's duties and the exit share it); rejects with the reason when that is not possible. */
export function loadNativeCalls(): Promise<NativeCalls> {
  loaded ??= load();
  return loaded;
}

async function load(): Promise<NativeCalls> {
  if (process.platform !== "linux") throw new Error(`not on Linux (${process.platform})`);
  const koffi = (await import("koffi")).default;
  const libc = openLibc(koffi);
  const waitid = libc.func("int waitid(int idtype, int id, _Out_ uint8_t *info, int options)");
  const waitpid = libc.func("int waitpid(int pid, void *status, int options)");
  const prctl = libc.func("int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)");
  // Only glibc has it; elsewhere trimming is a no-op.
  const mallocTrim = optional(() => libc.func("int malloc_trim(size_t pad)"));
  const exit = libc.func("void _exit(int status)");
  const info = Buffer.alloc(SIGINFO_SIZE);

  return {
    peekExited: () => {
      info.fill(0);
      if (waitid(P_ALL, 0, info, WEXITED | WNOHANG | WNOWAIT) !== 0) return 0;
      return info.readInt32LE(SI_PID_OFFSET);
    },
    reap: (pid) => waitpid(pid, null, WNOHANG) === pid,
    becomeSubreaper: () => prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) === 0,
    setParentDeathSignal: (signal) => prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0) === 0,
    makeUndumpable: () => prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) === 0,
    trimMemory: () => void mallocTrim?.(0),
    exit: (code) => {
      exit(code);
      throw new Error("_exit returned");
    },
  };
}

function optional<T>(make: () => T): T | undefined {
  try {
    return make();
  } catch {
    return undefined;
  }
}

type Loader = { load(path: string): ReturnType<typeof import("koffi").load> };

function openLibc(koffi: Loader): ReturnType<Loader["load"]> {
  let first: unknown;
  for (const name of ["libc.so.6", "libc.so"]) {
    try {
      return koffi.load(name);
    } catch (error) {
      first ??= error;
    }
  }
  throw first;
}
