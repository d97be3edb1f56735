'use strict'
// Trading screen. Clients subscribe to a channel and the symbols they watch; each (channel, symbol)
// pair is a room such as `market-data:BTC/USD`, and a price feed pushes ticker updates into it.
// A screen must know when its data is stale: the server pings every 15 s (a dead connection is
// dropped), clients can measure their round trip, and a `heartbeat` event tells screens the feed is alive.
const Fastify = require('fastify')
const realtime = require('fastify-realtime')

const CHANNELS = new Set(['market-data', 'trades'])
const SYMBOLS = new Map([['BTC/USD', 65_000], ['ETH/USD', 3_200], ['SOL/USD', 150]])
const MAX_SYMBOLS = 20

const roomOf = (channel, symbol) => `${channel}:${symbol}`
const isMarketRoom = (room) => {
  const [channel, symbol] = room.split(/:(.*)/s)
  return CHANNELS.has(channel) && SYMBOLS.has(symbol)
}

/** Stand-in for an exchange feed: a random walk per symbol. */
function nextPrice (prices, symbol) {
  const price = prices.get(symbol) * (1 + (Math.random() - 0.5) / 500)
  prices.set(symbol, price)
  return Number(price.toFixed(2))
}

async function start ({ port = 3000, host = '127.0.0.1', secret = 'trading-example-secret-change-me', logLevel = 'info', tickMs = 1_000, heartbeatMs = 5_000 } = {}) {
  const app = Fastify({ logger: { level: logLevel } })
  await app.register(realtime, {
    jwt: { secret },
    heartbeatInterval: 15_000,
    // A screen sends a few subscriptions, not a stream: 60 messages a minute is plenty.
    messageRateLimit: { max: 60, timeWindow: 60_000 },
    canJoin: (user, room) => user !== null && isMarketRoom(room)
  })

  app.realtime.on('subscribe', (data, client) => {
    const { channel, symbols } = data ?? {}
    if (!CHANNELS.has(channel)) return { ok: false, error: `unknown channel; one of ${[...CHANNELS].join(', ')}` }
    if (!Array.isArray(symbols) || symbols.length === 0 || symbols.length > MAX_SYMBOLS) return { ok: false, error: `symbols: 1 to ${MAX_SYMBOLS}` }
    const unknown = symbols.filter((symbol) => !SYMBOLS.has(symbol))
    if (unknown.length > 0) return { ok: false, error: `unknown symbols: ${unknown.join(', ')}` }
    const rooms = symbols.map((symbol) => roomOf(channel, symbol))
    for (const room of rooms) client.join(room)
    return { ok: true, rooms }
  })
  app.realtime.on('unsubscribe', (data, client) => {
    const { channel, symbols } = data ?? {}
    if (!CHANNELS.has(channel) || !Array.isArray(symbols)) return { ok: false, error: 'expected { channel, symbols }' }
    const rooms = symbols.filter((symbol) => SYMBOLS.has(symbol)).map((symbol) => roomOf(channel, symbol))
    for (const room of rooms) client.leave(room)
    return { ok: true, rooms }
  })

  const prices = new Map(SYMBOLS)
  const feed = setInterval(() => {
    for (const symbol of SYMBOLS.keys()) {
      app.realtime.to(roomOf('market-data', symbol)).emit('ticker', { symbol, price: nextPrice(prices, symbol), at: Date.now() })
    }
  }, tickMs)
  const heartbeat = setInterval(() => { app.realtime.emit('heartbeat', { at: Date.now() }) }, heartbeatMs)
  app.addHook('onClose', async () => {
    clearInterval(feed)
    clearInterval(heartbeat)
  })

  const address = await app.listen({ host, port })
  return { app, address }
}

module.exports = { start }

if (require.main === module) {
  start({ port: Number(process.env.PORT ?? 3000), secret: process.env.JWT_SECRET, logLevel: process.env.LOG_LEVEL }).then(({ app, address }) => {
    console.log(`trading screen server on ${address}`)
    console.log(`token for trader-1 (1 h): ${app.jwt.sign({ sub: 'trader-1' }, { expiresIn: '1h' })}`)
  }, (err) => {
    console.error(err)
    process.exit(1)
  })
}
