/**
 * The signals a daemon answers, installed before anything else happens, so
 * that no signal ever meets Node's default (SIGHUP and SIGTERM end the
 * process at once, without the grace period or the pid file's removal).
 * Until the server is ready they are remembered: a SIGHUP becomes one reload
 * once it serves, a SIGTERM or SIGINT stops it as soon as it has started.
 */
export type StopSignal = "SIGTERM" | "SIGINT";

export interface SignalHandlers {
  reload(): void;
  stop(signal: StopSignal): Promise<void>;
}

export class SignalGate {
  private handlers: SignalHandlers | undefined;
  private reloadPending = false;
  private stopSignal: StopSignal | undefined;
  private stopping: Promise<void> | undefined;
  private settle: { resolve(): void; reject(e: unknown): void } | undefined;
  private readonly onHup = (): void => this.hup();
  private readonly onTerm = (): void => this.stop("SIGTERM");
  private readonly onInt = (): void => this.stop("SIGINT");

  constructor(private readonly proc: Pick<NodeJS.Process, "on" | "off"> = process) {
    proc.on("SIGHUP", this.onHup);
    proc.on("SIGTERM", this.onTerm);
    proc.on("SIGINT", this.onInt);
  }

  /** Serve until a stop signal has been handled (rejects if stopping failed); a signal that came during start-up is acted on now. */
  run(handlers: SignalHandlers): Promise<void> {
    this.handlers = handlers;
    const stopped = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    if (this.stopSignal !== undefined) this.startStop(this.stopSignal);
    else if (this.reloadPending) this.hup();
    return stopped;
  }

  /** Remove the listeners (after the server stopped, or when start-up failed). */
  dispose(): void {
    this.proc.off("SIGHUP", this.onHup);
    this.proc.off("SIGTERM", this.onTerm);
    this.proc.off("SIGINT", this.onInt);
  }

  private hup(): void {
    if (this.handlers === undefined) {
      this.reloadPending = true;
      return;
    }
    this.reloadPending = false;
    if (this.stopping === undefined) this.handlers.reload();
  }

  private stop(signal: StopSignal): void {
    if (this.handlers === undefined) {
      this.stopSignal ??= signal;
      return;
    }
    this.startStop(signal);
  }

  private startStop(signal: StopSignal): void {
    if (this.stopping !== undefined || this.handlers === undefined) return;
    this.stopping = this.handlers.stop(signal).then(() => this.settle?.resolve(), (e: unknown) => this.settle?.reject(e));
  }
}
