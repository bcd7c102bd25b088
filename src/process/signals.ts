import { constants } from "node:os";

/**
 * Signals forwarded to the child: every one Node can catch that tini forwards. Not SIGCHLD,
 * not the synchronous ones (SEGV, BUS, FPE, ILL, ABRT, TRAP, SYS), not TTIN/TTOU (ignored),
 * not KILL/STOP (uncatchable). Real-time signals cannot be caught by Node at all.
 * Not SIGPIPE either, unlike tini: the kernel raises it for every write of ours that meets a
 * closed socket or pipe (a scraper or a job step that hung up), and a listener cannot tell such
 * a SIGPIPE from one sent with kill. Without a listener Node ignores it, so it never reaches the runner.
 */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGUSR1",
  "SIGUSR2",
  "SIGALRM",
  "SIGTERM",
  "SIGSTKFLT",
  "SIGCONT",
  "SIGTSTP",
  "SIGURG",
  "SIGXCPU",
  "SIGXFSZ",
  "SIGVTALRM",
  "SIGPROF",
  "SIGWINCH",
  "SIGIO",
  "SIGPWR",
].filter((name) => name in constants.signals) as NodeJS.Signals[];

/** Signals that ask the child to stop. */
export const STOP_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(["SIGTERM", "SIGINT"]);

export type SignalHandler = (signal: NodeJS.Signals) => void;

/**
 * Catches every forwarded signal from the first moment (installed before anything else loads)
 * and holds those that arrive before there is a child, handing them over in order once a
 * handler is attached. Listening also keeps Node from its defaults: as PID 1 a signal without
 * a listener is ignored, and SIGUSR1 would open the inspector.
 */
export class SignalRouter {
  private pending: NodeJS.Signals[] = [];
  private handler: SignalHandler | undefined;

  /** Installs the listeners. Call first thing. */
  install(): this {
    for (const signal of FORWARDED_SIGNALS) process.on(signal, this.receive);
    process.on("SIGTTIN", ignore).on("SIGTTOU", ignore);
    return this;
  }

  /** From now on, signals go to this handler; those held so far are delivered at once, in order. */
  attach(handler: SignalHandler): void {
    this.handler = handler;
    const held = this.pending;
    this.pending = [];
    for (const signal of held) handler(signal);
  }

  private readonly receive = (signal: NodeJS.Signals): void => {
    if (this.handler) this.handler(signal);
    else if (this.pending.length < 64) this.pending.push(signal);
  };
}

function ignore(): void {}

/** Exit code for a child that died by a signal: 128 + its number, as a shell reports it. */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  // A name Node knows may have no number on this platform (SIGINFO, SIGLOST), whatever the type says.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  return 128 + (constants.signals[signal] ?? 0);
}
