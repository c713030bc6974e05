/**
 * The time limit of a channel's exchanges with one long-lived timer instead of one per exchange.
 * A channel has at most one exchange under way (its wire lock), and an exchange over PC/SC takes
 * some 0.1–0.3 ms against a limit of seconds: setting and clearing a timer for each cost more than
 * the SDK's own work per command. So the timer set for one exchange's deadline stays; an exchange
 * that starts before it fires and ends no sooner reuses it, and only a fire with an exchange still
 * under way looks at that exchange's deadline (expired: it fails; not yet: the timer is set again
 * for it). Between exchanges the timer is unreferenced: an idle channel keeps no process alive,
 * while a pending exchange does, as a timer of its own did.
 */
export class DeadlineWatch {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The deadline the timer was set for (performance.now() time). */
  private timerDeadline = 0;
  /** The exchange under way: its deadline and what to do when it passes. */
  private deadline = 0;
  private expire: (() => void) | undefined;

  /** Watches one exchange: `expire` runs once `deadline` (performance.now() time) passes, unless end() came first. */
  start(deadline: number, expire: () => void): void {
    this.deadline = deadline;
    this.expire = expire;
    const timer = this.timer;
    if (timer === undefined || this.timerDeadline > deadline) this.arm(deadline);
    else timer.ref();
  }

  /** The exchange ended (answered, failed or abandoned). */
  end(): void {
    this.expire = undefined;
    this.timer?.unref();
  }

  private arm(deadline: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDeadline = deadline;
    this.timer = setTimeout(this.fire, Math.max(0, deadline - performance.now()));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const expire = this.expire;
    if (expire === undefined) return;
    // The timer was set for an earlier exchange's deadline, or fired early: Node measures a
    // timer's delay from the event loop's cached time, which lags the performance clock by the
    // work done since the loop last read it (milliseconds on a busy machine). Either way this
    // exchange still has time.
    if (performance.now() < this.deadline) {
      this.arm(this.deadline);
      return;
    }
    this.expire = undefined;
    expire();
  };
}
