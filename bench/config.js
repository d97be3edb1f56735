'use strict'

/**
 * Sizes and durations of every scenario. They are chosen so that `npm run bench` (three rounds of
 * every target, the pending slots included once they are filled) stays under five minutes on
 * 2 cores, and so that each socket's backlog stays far below the plugin's 1 MiB slow-consumer cap.
 */
module.exports = Object.freeze({
  /** Rounds; every reported number is the median of these, with their min–max. */
  RUNS: 5,
  /** Hard stop for the whole bench: rounds not started by then are skipped (and said so). */
  BUDGET_MS: 280_000,

  /** Burst and single-emit fan-out: clients in the one room `all`. */
  FANOUT_CLIENTS: 1_000,
  /** Many rooms: this many clients spread evenly over ROOMS rooms (`r0` … `r199`). */
  ROOM_CLIENTS: 2_000,
  ROOMS: 200,
  /** Idle clients (room `idle`) that bring a single node to 5,000 connections for the memory slope. */
  IDLE_CLIENTS: 2_000,
  /** Memory is sampled after a forced GC with 0 connections and after each of these equal steps. */
  MEMORY_STEPS: 4,
  /** Handshakes in flight at once while connecting (each with its own JWT). */
  HANDSHAKE_CONCURRENCY: 100,

  /** Emits per event-loop turn in the burst and many-rooms scenarios (single emits: 1). */
  BURST: 10,
  /** Each throughput scenario emits for this long after a warm-up, then waits for every frame. */
  WARMUP_MS: 300,
  MEASURE_MS: 1_000,
  /** Bounds the emits of one measurement whatever the server's speed. */
  MAX_EMITS: 50_000,
  /** Time allowed for the clients to receive every frame of a measurement. */
  DRAIN_TIMEOUT_MS: 30_000,

  /** Latency: emits at this fraction of bare ws's measured single-emit maximum, for this long. */
  LATENCY_LOAD: 0.5,
  LATENCY_MS: 2_000,

  /**
   * Scale check (`--scale`, its own sessions): one node holding SCALE_CLIENTS connections, all in
   * room `all`, connected in SCALE_STEPS equal steps with memory sampled after GC at each; then
   * one emit per turn to all of them for SCALE_MEASURE_MS. Every process stays under the
   * 20,000 file descriptors a process may hold here.
   */
  SCALE_CLIENTS: 15_000,
  SCALE_STEPS: 3,
  SCALE_MEASURE_MS: 2_000,
  /**
   * Reconnect storm: this many clients connected, all dropped at once and reconnected at once;
   * fewer than the listen queue below holds, so no SYN of the storm has to be sent again.
   */
  STORM_CLIENTS: 4_000,
  /**
   * The listen queue of the scale check's servers (every target alike; the kernel clamps it to
   * net.core.somaxconn, 4,096 here). With Node's default of 511, most of the storm's SYNs are
   * dropped and sent again after 1 s, 3 s, 7 s, and the storm's time is the kernel's retry
   * schedule more than the server's handshakes.
   */
  SCALE_LISTEN_BACKLOG: 4_096,
  /** Time allowed for every storm client to be back (each refused or reset attempt is retried). */
  STORM_TIMEOUT_MS: 60_000,
  /** Hard stop for `--scale` runs, which do not count against BUDGET_MS. */
  SCALE_BUDGET_MS: 600_000,

  /**
   * Reconnect storm with recovery (`--recovery`, its own sessions, the two-node targets with
   * recovery on): the many-rooms layout (ROOM_CLIENTS in ROOMS rooms, each room's members on one
   * node), each node emitting RECOVERY_EMITS_PER_SECOND to every room in turn (so a room gets
   * 2 × 50 / 200 = 0.5 events a second, a client as many), from RECOVERY_WARMUP_MS before the drop
   * (long enough for every room to have had an event from each node: a node goes through the 200
   * rooms in 4 s) until RECOVERY_TAIL_MS after the storm; then every client should have every event.
   * The rate is low on purpose: at 100 per node, Socket.IO's streams adapter took 6.6–24 s in three
   * rounds to have every client back, and more than a minute in a fourth; at 200 and 400 per node,
   * more than a minute (bench/README.md says why). At 50 its storms take 3–6 s: a time to compare.
   * The servers listen with SCALE_LISTEN_BACKLOG, as in the scale check, so the storm's SYNs fit.
   */
  RECOVERY_EMITS_PER_SECOND: 50,
  RECOVERY_WARMUP_MS: 4_500,
  RECOVERY_TAIL_MS: 1_000,
  /** Once every client is back: time allowed for the events replayed to them to arrive. */
  RECOVERY_CATCH_UP_MS: 5_000,
  /** Time allowed after the emits stop for every client to have every event (the rest are lost). */
  RECOVERY_TALLY_TIMEOUT_MS: 3_000,
  /** Hard stop for `--recovery` runs, which do not count against BUDGET_MS. */
  RECOVERY_BUDGET_MS: 300_000,

  /** The event every server emits: its data, with the sequence number and intended send time added. */
  PAYLOAD_TEXT: 'order 1234 shipped, tracking number 1Z999AA10123456784'
})
