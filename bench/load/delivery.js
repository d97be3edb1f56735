'use strict'

/*
 * What one client of the reconnect storm with recovery keeps across its reconnects: where it was
 * in its room's stream, to resume from, and which events it has had, to count what was lost,
 * duplicated or reordered. Events are told apart by the `o` (emitting node) and `s` (that node's
 * number for the event in this room) the servers' steady emits carry (servers/harness.js).
 *
 * Resuming, as each side's own client does it:
 * - plugin raw-WS: the upgrade URL gets `resume=<urlencoded JSON>`, `{"<room>":{"offset":n,"epoch":"e"}}`,
 *   the last `position` seen for the room (from an event frame, or the welcome frame's `positions`);
 *   the welcome frame says `"resumed":{"<room>":true}` when the server resumed the room.
 * - Socket.IO: socket.io-client keeps the `pid` of the CONNECT reply `40{"sid":…,"pid":…}` and,
 *   as its offset, the last argument of each event packet when that is a string; it sends both in
 *   the next CONNECT, `40{"token":…,"pid":…,"offset":…}`. The session was recovered when the
 *   CONNECT reply carries the same pid.
 */

const INITIAL_SEEN = 64

class Delivery {
  /** `room` and its index in the servers' room list (`r{index}`). */
  constructor (room, roomIndex) {
    this.room = room
    this.roomIndex = roomIndex
    this.position = null
    this.pid = null
    this.offset = null
    /** The server's word on the last handshake: this client's room (or session) was resumed. */
    this.resumed = false
    /** Per origin: which event numbers arrived, how many of 0, 1, … arrived without a gap, the highest. */
    this.seen = []
    this.prefix = []
    this.highest = []
    this.distinct = []
    this.duplicates = 0
    this.reordered = 0
    /** Called after every counted event (the storm checks whether the client has caught up). */
    this.onEvent = null
  }

  beginReconnect () {
    this.resumed = false
  }

  /** Whether it has something to resume from: a position (plugin) or a session and offset (Socket.IO). */
  hasResumePoint () {
    return this.position !== null || (this.pid !== null && this.offset !== null)
  }

  // --- plugin raw-WS ---

  /** The query the upgrade URL gets: nothing before the first position is known. */
  wsQuery () {
    if (this.position === null) return ''
    return `?resume=${encodeURIComponent(JSON.stringify({ [this.room]: this.position }))}`
  }

  /** Any text frame of the plugin's JSON protocol. */
  onWsFrame (payload) {
    const frame = JSON.parse(payload.toString())
    if (frame.type === 'welcome') {
      this.resumed = frame.resumed?.[this.room] === true
      // The welcome's position counts only before any event was seen: after a resume, the events
      // replayed behind it carry their own.
      const position = frame.positions?.[this.room]
      if (position !== undefined && this.position === null) this.position = { offset: position.offset, epoch: position.epoch }
      return
    }
    if (frame.type !== 'event') return
    if (frame.position !== undefined && frame.position.room === this.room) {
      this.position = { offset: frame.position.offset, epoch: frame.position.epoch }
    }
    this.record(frame.data)
  }

  // --- Socket.IO (engine.io v4) ---

  /** The auth payload of the CONNECT packet: the token, and the session to recover once there is one. */
  eioAuth (token) {
    if (this.pid === null || this.offset === null) return { token }
    return { token, pid: this.pid, offset: this.offset }
  }

  /** The CONNECT reply `40{"sid":…,"pid":…}`. */
  onEioConnect (payload) {
    const { pid } = JSON.parse(payload.toString('utf8', 2))
    this.resumed = this.pid !== null && pid === this.pid
    this.pid = pid ?? null
  }

  /** An event packet `42["tick",{…},"<offset>"]` (a recovered session's missed ones come before the CONNECT reply). */
  onEioEvent (payload) {
    const args = JSON.parse(payload.toString('utf8', 2))
    const last = args[args.length - 1]
    if (args.length > 1 && typeof last === 'string') this.offset = last
    this.record(args[1])
  }

  // --- what arrived ---

  record (data) {
    if (data === null || typeof data !== 'object' || !Number.isInteger(data.o) || !Number.isInteger(data.s)) return
    const { o: origin, s: number } = data
    let seen = this.seen[origin]
    if (seen === undefined) {
      seen = this.seen[origin] = new Uint8Array(INITIAL_SEEN)
      this.prefix[origin] = 0
      this.highest[origin] = -1
      this.distinct[origin] = 0
    }
    if (number >= seen.length) {
      const grown = new Uint8Array(Math.max(seen.length * 2, number + 1))
      grown.set(seen)
      seen = this.seen[origin] = grown
    }
    if (seen[number] === 1) {
      this.duplicates++
    } else {
      seen[number] = 1
      this.distinct[origin]++
      if (number < this.highest[origin]) this.reordered++
      else this.highest[origin] = number
      while (this.prefix[origin] < seen.length && seen[this.prefix[origin]] === 1) this.prefix[origin]++
    }
    if (this.onEvent !== null) this.onEvent()
  }

  /** Whether every event each node had sent to this client's room by `marks` has arrived. */
  caughtUp (marks) {
    for (let origin = 0; origin < marks.length; origin++) {
      if ((this.prefix[origin] ?? 0) < marks[origin][this.roomIndex]) return false
    }
    return true
  }

  /** Events of `counts` (per origin, per room: how many were sent) that never arrived. */
  missing (counts) {
    let missing = 0
    for (let origin = 0; origin < counts.length; origin++) missing += counts[origin][this.roomIndex] - (this.distinct[origin] ?? 0)
    return missing
  }
}

module.exports = { Delivery }
