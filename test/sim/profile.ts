// The per-seed profile: cluster size, core options and how hostile the world is. Drawing these
// from the seed (instead of fixing them) lets a range of seeds cover calm and chaotic runs,
// small and large windows, with and without pre-vote and check-quorum.

import type { CoreOptions } from "./cluster.js";
import type { NetworkFaults } from "./network.js";
import type { Prng } from "./prng.js";

/** Simulation time units per tick (message latencies are a few units). */
export const TICK_UNITS = 10;

/** Probabilities per simulation time unit (a tick is 10 units). */
export interface EventRates {
  propose: number;
  read: number;
  crash: number;
  /** Every node crashes at once (a power cut), each at its own point of the driver loop. */
  powerLoss: number;
  partition: number;
  compact: number;
  confChange: number;
  transfer: number;
  foreign: number;
}

/** Process pauses (SIGSTOP, then SIGCONT): see RandomRun in random-sim.ts. */
export interface PauseProfile {
  /** Probability per time unit that a live node is paused (0: no pauses). */
  rate: number;
  /** A pause lasts 1 to maxTicks ticks. */
  maxTicks: number;
  /** Probability that the resumed node re-issues one of its recent reads. */
  reissueChance: number;
}

/** Asynchronous storage writes: see Cluster in cluster.ts. */
export interface AsyncStorageProfile {
  /** Probability per time unit that a node's oldest write completes (0: synchronous writes). */
  completeChance: number;
}

export interface Profile {
  clusterSize: 3 | 5 | 7;
  core: CoreOptions;
  faults: NetworkFaults;
  rates: EventRates;
  /** Probability that a node handles its Ready right after an input (else at the end of the
   *  time unit, batching several inputs into one Ready as the real event loop does). */
  eagerReadyRate: number;
  /** Probability that a newly elected leader is isolated or crashed within a few ticks. */
  leaderChurnRate: number;
  pause: PauseProfile;
  /** Storage writes complete after the Ready, out of step with the loop (as src/node does). */
  asyncStorage: AsyncStorageProfile;
  faultTicks: number;
  maxDowntimeTicks: number;
  /** Bound on the liveness phase (see docs/sim.md). */
  livenessTicks: number;
}

/**
 * `pausePrng` is a stream of its own (the run keeps drawing pause events from it): the rest of
 * the profile, and the whole run of a seed without pauses (about half), do not depend on it.
 */
export function randomProfile(prng: Prng, pausePrng: Prng, storagePrng?: Prng): Profile {
  const clusterSize = prng.weighted([
    [3, 5],
    [5, 4],
    [7, 2],
  ] as const);
  const electionTicks = prng.pick([5, 10, 10, 10, 20]);
  // How hostile: 0 = calm, 1 = normal, 2 = chaotic. Each rate is scaled by it.
  const chaos = prng.weighted([
    [0.3, 1],
    [1, 3],
    [2.5, 2],
  ] as const);
  return {
    clusterSize,
    core: {
      electionTicks,
      heartbeatTicks: electionTicks >= 10 && prng.chance(0.3) ? 2 : 1,
      preVote: prng.chance(0.8),
      checkQuorum: prng.chance(0.8),
      maxInflightMsgs: prng.pick([1, 4, 256]),
      maxMsgBytes: prng.pick([1, 200, 4096, 1024 * 1024]),
      maxUncommittedBytes: prng.pick([2000, 64 * 1024 * 1024]),
    },
    faults: {
      dropRate: prng.pick([0, 0.01, 0.05, 0.15]) * Math.min(chaos, 1.5),
      duplicateRate: prng.pick([0, 0.01, 0.05]),
      latencyMinUnits: 1,
      latencyMaxUnits: prng.pick([2, 5, 20]),
      longDelayRate: prng.pick([0, 0.005, 0.02]),
      longDelayMaxUnits: prng.pick([50, 300]),
    },
    rates: {
      propose: 0.05 * prng.pick([0.3, 1, 3]),
      read: 0.02 * prng.pick([0.3, 1, 3]),
      crash: 0.0015 * chaos,
      powerLoss: 0.0002 * chaos,
      partition: 0.002 * chaos,
      compact: 0.005 * prng.pick([0.3, 1, 3]),
      confChange: 0.0015 * prng.pick([0, 1, 3]),
      transfer: 0.001 * prng.pick([0, 1, 3]),
      foreign: 0.0005,
    },
    eagerReadyRate: prng.pick([1, 0.7, 0.3]),
    leaderChurnRate: prng.pick([0, 0, 0.2, 0.5]) * Math.min(chaos, 1),
    pause: randomPauses(pausePrng, electionTicks),
    asyncStorage: randomAsyncStorage(storagePrng),
    faultTicks: prng.range(150, 600),
    maxDowntimeTicks: prng.pick([10, 50, 150]),
    livenessTicks: 60 * electionTicks,
  };
}

/** A stream of its own, like pauses: a quarter of the seeds write synchronously. */
function randomAsyncStorage(prng: Prng | undefined): AsyncStorageProfile {
  if (prng === undefined || prng.chance(0.25)) return { completeChance: 0 };
  return { completeChance: prng.pick([0.05, 0.2, 0.6]) };
}

function randomPauses(prng: Prng, electionTicks: number): PauseProfile {
  if (prng.chance(0.5)) return { rate: 0, maxTicks: 0, reissueChance: 0 };
  return {
    rate: prng.pick([0.0005, 0.001, 0.003]),
    // Up to four election timeouts: most pauses outlast one, so the others elect a new leader
    // while the paused one still believes it leads.
    maxTicks: 4 * electionTicks,
    reissueChance: prng.pick([0.5, 1]),
  };
}

/**
 * Profiles aimed at one bug class, for planted-bug searches that must be short
 * (`RAFTKV_SIM_PROFILE=name` replays a seed with one). Each adjusts the drawn profile.
 */
export const TARGETED_PROFILES = {
  /**
   * A leader paused while its read heartbeats are answered, long enough for a new leader to
   * commit: 3 nodes, reads often, slow links (answers in flight), pauses often, a re-issue on
   * every resume, and nothing else that takes the leader down.
   */
  pausedLeaderReads: (p: Profile): Profile => ({
    ...p,
    clusterSize: 3,
    core: { ...p.core, preVote: true, checkQuorum: true, heartbeatTicks: 1 },
    faults: { ...p.faults, dropRate: 0, latencyMaxUnits: 20 },
    rates: {
      ...p.rates,
      propose: 0.015,
      read: 0.06,
      crash: 0,
      powerLoss: 0,
      partition: 0,
      confChange: 0,
      transfer: 0,
    },
    pause: { rate: 0.003, maxTicks: 4 * (p.core.electionTicks ?? 10), reissueChance: 1 },
  }),
} satisfies Record<string, (p: Profile) => Profile>;

export type TargetedProfile = keyof typeof TARGETED_PROFILES;
