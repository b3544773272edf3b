// A member removed from the cluster stops itself, as etcd does ("the member has been permanently
// removed from the cluster"). It learns of its removal in one of two ways: it applies the change
// itself (a leader that removed itself), or a member that applied it refuses its Raft stream as
// removed — a removed follower usually never hears that its removal committed.

/** Fires its listeners once, with how the removal was learnt. */
export class RemovalNotice {
  #how: string | null = null;
  readonly #listeners: ((how: string) => void)[] = [];

  notify(how: string): void {
    if (this.#how !== null) return;
    this.#how = how;
    for (const fn of this.#listeners.splice(0)) fn(how);
  }

  listen(fn: (how: string) => void): void {
    if (this.#how !== null) fn(this.#how);
    else this.#listeners.push(fn);
  }
}
