// Publishing a member's attributes (etcd's "publish"): once a leader is known, a node proposes its
// name and advertised client URLs through Raft, so every member's table — and MemberList on any
// node — shows them. Retried until the replicated member record matches; a restart with the same
// attributes proposes nothing.

import { KIND_CODES, type KvStateMachine, type Member, readCommandHeader } from "../kv/index.js";
import type { Logger } from "./logger.js";

export interface PublishTarget {
  readonly memberId: number;
  readonly kv: Pick<KvStateMachine, "member">;
  /** Whether a leader is known now (proposals would be refused otherwise). */
  hasLeader(): boolean;
  proposeMemberAttributes(attributes: Member): Promise<unknown>;
}

/** Whether the committed entry data is a memberAttributes command (header only; cheap). */
export function isMemberAttributesEntry(data: Uint8Array): boolean {
  if (data.length < 2 || data[1] !== KIND_CODES.memberAttributes) return false;
  try {
    return readCommandHeader(data).kind === "memberAttributes";
  } catch {
    return false;
  }
}

/** The attributes this member publishes and whether the stored record already says so. */
export function attributesPublished(
  stored: { readonly name: string; readonly clientURLs: readonly string[] } | undefined,
  wanted: { readonly name: string; readonly clientURLs: readonly string[] },
): boolean {
  return (
    stored !== undefined &&
    stored.name === wanted.name &&
    stored.clientURLs.length === wanted.clientURLs.length &&
    stored.clientURLs.every((u, i) => u === wanted.clientURLs[i])
  );
}

export class AttributePublisher {
  readonly #target: PublishTarget;
  readonly #attributes: Member;
  readonly #log: Logger;
  #inFlight = false;
  #done = false;

  constructor(target: PublishTarget, name: string, clientURLs: readonly string[], log: Logger) {
    this.#target = target;
    this.#attributes = {
      ID: target.memberId,
      name,
      peerURLs: [],
      clientURLs: [...clientURLs],
      isLearner: false,
    };
    this.#log = log;
  }

  get published(): boolean {
    return this.#done;
  }

  /** Call on every tick and leader change: proposes when needed, at most one at a time. */
  poke(): void {
    if (this.#done || this.#inFlight) return;
    if (attributesPublished(this.#target.kv.member(this.#target.memberId), this.#attributes)) {
      this.#done = true;
      return;
    }
    if (!this.#target.hasLeader()) return;
    this.#inFlight = true;
    this.#target.proposeMemberAttributes(this.#attributes).then(
      () => {
        this.#inFlight = false;
        this.#done = true;
        this.#log.info(
          { name: this.#attributes.name, clientURLs: this.#attributes.clientURLs },
          "published member attributes",
        );
      },
      (err: unknown) => {
        // No leader, timed out, stopping: the next tick tries again.
        this.#inFlight = false;
        this.#log.debug({ err }, "publishing member attributes failed; will retry");
      },
    );
  }
}
