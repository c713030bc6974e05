/** Whether a suite that needs one of the labs (scripts/pg-lab, scripts/pcsc-lab) runs here. */
export interface LabCheck {
  /** Whether the suite should run: the lab is ready, or CI=true, where a missing lab must fail. */
  run: boolean;
  ready: boolean;
  /** Why the lab is not usable; empty when ready. */
  reason: string;
  /** Throws the reason when the lab is not ready (call in beforeAll). */
  assertReady(): void;
}

/** The check of `lab` (its name in messages) given why it is not usable (empty: it is ready). */
export function labCheck(lab: string, reason: string, enableHint: string): LabCheck {
  const ready = reason === '';
  return {
    run: ready || process.env.CI === 'true',
    ready,
    reason,
    assertReady() {
      if (!ready) throw new Error(`${lab} missing (CI=true makes this a failure): ${reason}; ${enableHint}`);
    },
  };
}
