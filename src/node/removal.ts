// A member removed from the cluster stops itself, as etcd does ("the member has been permanently
// removed from the cluster"). It learns of its removal in one of two ways: it applies the change
// itself (a leader that removed itself), or a member that applied it refuses its Raft stream as
// removed — a removed follower usually never hears that its removal committed.

/**
 * Fires its listeners once, with how the removal was first learnt, `delayMs` after that (etcd's
 * stopWithDelay: a leader removing itself must answer the call and let the others learn that the
 * removal committed before it stops). Later notices change nothing.
 */
export class RemovalNotice {
  #how: string | null = null;
  #learnt = false;
  readonly #listeners: ((how: string) => void)[] = [];

  constructor(readonly delayMs = 0) {}

  notify(how: string): void {
    if (this.#learnt) return;
    this.#learnt = true;
    const fire = (): void => {
      this.#how = how;
      for (const fn of this.#listeners.splice(0)) fn(how);
    };
    if (this.delayMs === 0) fire();
    else setTimeout(fire, this.delayMs).unref();
  }

  listen(fn: (how: string) => void): void {
    if (this.#how !== null) fn(this.#how);
    else this.#listeners.push(fn);
  }
}
