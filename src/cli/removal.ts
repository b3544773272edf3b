// A removed member exits, as etcd does: with etcd's message and a non-zero code (5), so that a
// supervisor does not restart it into a cluster that refuses it.

import type { Logger } from "../node/logger.js";
import type { RunningNode } from "../node/server.js";
import { MEMBER_REMOVED_MESSAGE } from "../transport/index.js";

/** The exit code of a member removed from its cluster. */
export const EXIT_REMOVED = 5;

export function watchRemoval(running: RunningNode, logger: Logger): void {
  running.onRemoved((how) => {
    logger.error({ how }, MEMBER_REMOVED_MESSAGE);
    process.stderr.write(`raftkv: ${MEMBER_REMOVED_MESSAGE}\n`);
    running.close().finally(() => {
      logger.flush?.();
      process.exit(EXIT_REMOVED);
    });
  });
}
