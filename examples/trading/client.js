'use strict'
// A terminal trading screen: `node examples/trading/client.js <token> [BTC/USD ETH/USD]`, connecting
// to ws://127.0.0.1:3000/ws, or to the server's /ws URL given as URL (when it runs elsewhere or with PORT).
const WebSocket = require('ws')
const { createClient } = require('fastify-realtime/client')

async function main () {
  const [token, ...symbols] = process.argv.slice(2)
  if (!token) throw new Error('usage: [URL=ws://host:port/ws] node examples/trading/client.js <token> [symbol …]')
  const client = createClient({ url: process.env.URL ?? 'ws://127.0.0.1:3000/ws', token, WebSocket })
  client.on('ticker', ({ symbol, price }) => console.log(`${symbol.padEnd(8)} ${price}`))
  client.on('heartbeat', ({ at }) => console.log(`feed alive, server clock ${new Date(at).toISOString()}`))
  client.on('reconnect', ({ rejoined }) => console.log(`reconnected, re-joined ${rejoined.join(', ')}`))
  await client.connect()
  console.log(await client.emitWithAck('subscribe', { channel: 'market-data', symbols: symbols.length > 0 ? symbols : ['BTC/USD'] }))
  setInterval(async () => console.log(`ping ${await client.ping()} ms`), 10_000)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
