'use strict'
const net = require('node:net')

/*
 * A deliberately cheap WebSocket client: a net socket, the HTTP upgrade written by hand, and a
 * frame parser that reads headers and skips payloads. Payload bytes are looked at only where
 * the protocol needs them (engine.io packet types, ping payloads to echo, the send time in the
 * latency scenario), so one generator process can count far more frames than a server can send.
 */

const OPCODE_TEXT = 0x1
const OPCODE_CLOSE = 0x8
const OPCODE_PING = 0x9
const OPCODE_PONG = 0xa
const HEADER_END = Buffer.from('\r\n\r\n')
const SEND_TIME_KEY = Buffer.from('"t":')
const CHAR_0 = 0x30
const CHAR_2 = 0x32
const CHAR_4 = 0x34
const MAX_RESPONSE_HEAD = 8 * 1024
// The key is fixed: nothing here checks Sec-WebSocket-Accept, and the server does not care.
const WEBSOCKET_KEY = 'ZmFzdGlmeS1yZWFsdGltZQ=='
// Every socket reads into this one buffer (net's `onread`), skipping the stream machinery and its
// per-chunk cost; each read is handled before the next one lands, and bytes kept past a read
// (an incomplete header, a captured payload) are copied out of it.
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024)

/** A masked client frame. An all-zero masking key leaves the payload bytes as they are. */
function clientFrame (opcode, payload) {
  const length = payload.length
  const header = length < 126 ? Buffer.alloc(6) : Buffer.alloc(8)
  header[0] = 0x80 | opcode
  if (length < 126) {
    header[1] = 0x80 | length
  } else {
    header[1] = 0x80 | 126
    header.writeUInt16BE(length, 2)
  }
  return Buffer.concat([header, payload])
}

const ENGINE_IO_PONG = clientFrame(OPCODE_TEXT, Buffer.from('3'))

/** Reads the integer after `"t":` (the intended send time in µs) without parsing the JSON. */
function readSendTime (payload) {
  let at = payload.indexOf(SEND_TIME_KEY)
  if (at === -1) return -1
  at += SEND_TIME_KEY.length
  let value = 0
  for (let digit = payload[at]; digit >= CHAR_0 && digit <= CHAR_0 + 9; digit = payload[++at]) value = value * 10 + digit - CHAR_0
  return value
}

/**
 * One connection. `protocol` is `ws` (frames are events) or `eio` (engine.io v4 over WebSocket:
 * answer ping `2` with `3`, send the Socket.IO CONNECT `40{"token":…}`, count `42` event packets).
 * `readyOn` says when the server has admitted the client: `upgrade` (the 101), `first-frame` (the
 * plugin's welcome), `eio-connect` (the `40` CONNECT answer) or `eio-welcome` (the first event after it).
 * Frames are counted into `sink` only once the client is ready. With a `delivery` (load/delivery.js,
 * the reconnect storm with recovery), every text payload is also read: the client resumes from
 * where it was and records which events it got.
 */
class RawClient {
  constructor (sink, { port, path, protocol, readyOn, token, delivery = null }, onSettled) {
    this.sink = sink
    this.protocol = protocol
    this.readyOn = readyOn
    this.token = token
    this.delivery = delivery
    /** Where it connected to, so that a storm can open its next connection to the same place. */
    this.endpoint = { port, path, protocol, readyOn }
    this.onSettled = onSettled
    this.ready = false
    this.settled = false
    this.upgraded = false
    this.head = null
    this.rest = null
    this.skip = 0
    this.capture = null
    this.captureOpcode = 0
    this.socket = net.connect({
      host: '127.0.0.1',
      port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (length, buffer) => {
          const chunk = buffer.subarray(0, length)
          if (this.upgraded) this.onData(chunk)
          else this.onHandshakeData(chunk)
        }
      }
    })
    const query = delivery !== null && protocol === 'ws' ? delivery.wsQuery() : ''
    this.socket.on('connect', () => this.socket.write(this.upgradeRequest(port, path + query)))
    this.socket.on('error', (err) => this.fail(err.code ?? err.message))
    this.socket.on('close', () => {
      if (this.ready) sink.closedAfterReady++
      this.fail('closed')
    })
  }

  upgradeRequest (port, path) {
    const authorization = this.protocol === 'ws' ? `Authorization: Bearer ${this.token}\r\n` : ''
    return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${WEBSOCKET_KEY}\r\n${authorization}\r\n`
  }

  onHandshakeData (chunk) {
    const head = this.head === null ? chunk : Buffer.concat([this.head, chunk])
    const end = head.indexOf(HEADER_END)
    if (end === -1) {
      if (head.length > MAX_RESPONSE_HEAD) this.fail('response head too large')
      else this.head = Buffer.from(head)
      return
    }
    this.head = null
    this.upgraded = true
    const statusLine = head.toString('latin1', 0, head.indexOf('\r\n'))
    if (!statusLine.startsWith('HTTP/1.1 101')) {
      this.fail(statusLine)
      return
    }
    if (this.readyOn === 'upgrade') this.becomeReady()
    if (end + HEADER_END.length < head.length) this.onData(head.subarray(end + HEADER_END.length))
  }

  becomeReady () {
    this.ready = true
    this.settle(null)
  }

  fail (reason) {
    this.settle(reason)
    if (!this.socket.destroyed) this.socket.destroy()
  }

  settle (error) {
    if (this.settled) return
    this.settled = true
    this.onSettled(error)
  }

  /** Walks the frames in a chunk: headers always, payloads only when `wantsPayload` says so. */
  onData (chunk) {
    let data = chunk
    if (this.rest !== null) {
      data = Buffer.concat([this.rest, chunk])
      this.rest = null
    }
    const length = data.length
    let at = 0
    let counted = 0
    while (at < length) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, length - at)
        if (this.capture !== null) this.capture.push(Buffer.from(data.subarray(at, at + take)))
        at += take
        this.skip -= take
        if (this.skip === 0) {
          if (this.capture !== null) {
            const payload = Buffer.concat(this.capture)
            this.capture = null
            counted += this.onFrame(this.captureOpcode, payload)
          } else {
            counted += this.onSkippedFrame(this.captureOpcode)
          }
        }
        continue
      }
      if (length - at < 2) break
      const opcode = data[at] & 0x0f
      let payloadLength = data[at + 1] & 0x7f
      let headerLength = 2
      if (payloadLength === 126) {
        if (length - at < 4) break
        payloadLength = data.readUInt16BE(at + 2)
        headerLength = 4
      } else if (payloadLength === 127) {
        if (length - at < 10) break
        payloadLength = Number(data.readBigUInt64BE(at + 2))
        headerLength = 10
      }
      at += headerLength
      const available = length - at
      if (this.wantsPayload(opcode)) {
        if (available >= payloadLength) {
          counted += this.onFrame(opcode, data.subarray(at, at + payloadLength))
          at += payloadLength
        } else {
          this.capture = [Buffer.from(data.subarray(at))]
          this.captureOpcode = opcode
          this.skip = payloadLength - available
          at = length
        }
      } else if (available >= payloadLength) {
        counted += this.onSkippedFrame(opcode)
        at += payloadLength
      } else {
        this.captureOpcode = opcode
        this.skip = payloadLength - available
        at = length
      }
    }
    // An incomplete frame header waits for the next read (copied: the read buffer is reused).
    if (at < length) this.rest = Buffer.from(data.subarray(at))
    if (counted > 0) this.sink.onCounted(counted)
  }

  wantsPayload (opcode) {
    if (opcode !== OPCODE_TEXT) return opcode === OPCODE_PING || opcode === OPCODE_CLOSE
    return this.protocol === 'eio' || this.sink.latency || this.delivery !== null
  }

  /** A frame whose payload was skipped; returns how many events it counts for. */
  onSkippedFrame (opcode) {
    if (opcode !== OPCODE_TEXT) return 0
    if (this.ready) return 1
    if (this.readyOn === 'first-frame') this.becomeReady()
    return 0
  }

  /** A frame with its payload; returns how many events it counts for. */
  onFrame (opcode, payload) {
    if (opcode === OPCODE_PING) {
      this.socket.write(clientFrame(OPCODE_PONG, payload))
      return 0
    }
    if (opcode === OPCODE_CLOSE) {
      this.socket.end()
      return 0
    }
    if (opcode !== OPCODE_TEXT) return 0
    if (this.protocol === 'eio') return this.onEngineIoPacket(payload)
    if (this.delivery !== null) this.delivery.onWsFrame(payload)
    if (!this.ready) return this.onSkippedFrame(opcode)
    this.sink.onSendTime(readSendTime(payload))
    return 1
  }

  onEngineIoPacket (payload) {
    const type = payload[0]
    if (type === CHAR_2) {
      this.socket.write(ENGINE_IO_PONG)
      return 0
    }
    if (type === CHAR_0) {
      // engine.io open: send the Socket.IO CONNECT with the token as its auth payload (and, to
      // recover a session, its pid and offset).
      const auth = this.delivery === null ? { token: this.token } : this.delivery.eioAuth(this.token)
      this.socket.write(clientFrame(OPCODE_TEXT, Buffer.from(`40${JSON.stringify(auth)}`)))
      return 0
    }
    if (type !== CHAR_4) return 0
    const packet = payload[1]
    if (packet === CHAR_0) {
      if (this.delivery !== null) this.delivery.onEioConnect(payload)
      if (this.readyOn === 'eio-connect') this.becomeReady()
      return 0
    }
    if (packet === CHAR_4) {
      this.fail(`Socket.IO CONNECT refused: ${payload.toString()}`)
      return 0
    }
    if (packet !== CHAR_2) return 0
    if (this.delivery !== null) this.delivery.onEioEvent(payload)
    if (!this.ready) {
      if (this.readyOn === 'eio-welcome') this.becomeReady()
      return 0
    }
    if (this.sink.latency) this.sink.onSendTime(readSendTime(payload))
    return 1
  }

  close () {
    this.socket.destroy()
  }

  /** Closes the connection on purpose: not counted as a client the server disconnected. */
  drop () {
    this.ready = false
    this.settled = true
    this.socket.destroy()
  }
}

module.exports = { RawClient }
