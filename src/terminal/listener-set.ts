/**
 * The listeners of one kind of event (card events of a transport, trace events of a channel).
 * `emit` calls every listener registered when it starts, in registration order; a listener that
 * throws does not keep the event from the others and does not fail the operation that emitted it:
 * a listener's failure is its own.
 */
export class ListenerSet<Event> {
  private readonly listeners = new Set<(event: Event) => void>();

  /** How many listeners are registered (an emitter may skip building an event nobody hears). */
  get size(): number {
    return this.listeners.size;
  }

  /** Registers `listener`; returns the function that removes it again. */
  add(listener: (event: Event) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: Event): void {
    // A snapshot: a listener that adds or removes listeners changes the next event, not this one.
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // Its own failure; the others still hear the event.
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
