import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Bus } from '../bus/bus'
import type { ClusterQuery, QueryAnswers, QueryKind, ResponseEnvelope } from '../bus/envelope'
import type { NodeId } from '../types'

type QueryOf<K extends QueryKind> = Extract<ClusterQuery, { kind: K }>

interface PendingQuery {
  readonly kind: QueryKind
  /** Takes one node's answer; false when the node was not asked or already answered. */
  accept (node: NodeId, answer: unknown): boolean
}

/**
 * The asking side of cluster-wide queries. A query goes to every node the bus believes alive, each
 * over its own node channel, and waits for exactly those nodes: a node that is not listening (its
 * subscriber is gone) is not waited for at all, and one that is listening but silent (frozen,
 * overloaded) is waited for at most `timeoutMs`, after which the answer goes without it and a
 * warning names it. The same bound covers asking the bus who is alive.
 */
export class ClusterQueries {
  private readonly nodeId: NodeId
  private readonly bus: Bus
  private readonly timeoutMs: number
  private readonly log: FastifyBaseLogger
  private readonly pending = new Map<string, PendingQuery>()

  constructor (nodeId: NodeId, bus: Bus, timeoutMs: number, log: FastifyBaseLogger) {
    this.nodeId = nodeId
    this.bus = bus
    this.timeoutMs = timeoutMs
    this.log = log
  }

  /** This node's answer followed by every other live node's answer, in no particular order. */
  ask<K extends QueryKind> (query: QueryOf<K>, localAnswer: QueryAnswers[K]): Promise<Array<QueryAnswers[K]>> {
    const requestId = randomUUID()
    const answers: Array<QueryAnswers[K]> = [localAnswer]
    let waitingFor: Set<NodeId> | undefined
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer)
        this.pending.delete(requestId)
        resolve(answers)
      }
      const settle = (node: NodeId): void => {
        if (waitingFor?.delete(node) === true && waitingFor.size === 0) finish()
      }
      const timer = setTimeout(() => {
        this.log.warn({ requestId, query: query.kind, unanswered: waitingFor === undefined ? 'node list' : [...waitingFor] },
          'fastify-realtime: a cluster query timed out; answering without the nodes that did not reply')
        finish()
      }, this.timeoutMs)
      this.pending.set(requestId, {
        kind: query.kind,
        accept: (node, answer) => {
          if (waitingFor?.has(node) !== true) return false
          answers.push(answer as QueryAnswers[K])
          settle(node)
          return true
        }
      })
      void this.bus.liveNodes().then((nodes) => {
        if (!this.pending.has(requestId)) return
        waitingFor = new Set(nodes.filter((node) => node !== this.nodeId))
        if (waitingFor.size === 0) {
          finish()
          return
        }
        for (const node of waitingFor) {
          void this.bus.sendToNode(node, { type: 'request', origin: this.nodeId, requestId, query }).then((listening) => {
            if (!listening) settle(node)
          })
        }
      })
    })
  }

  /** Hands a node's answer to the query waiting for it; drops stray and mistyped answers. */
  receive (response: ResponseEnvelope): void {
    const query = this.pending.get(response.requestId)
    if (query === undefined || !isAnswerTo(query.kind, response.answer) || !query.accept(response.origin, response.answer)) {
      this.log.debug({ requestId: response.requestId, origin: response.origin }, 'fastify-realtime: ignored a late, unexpected or mistyped query answer')
    }
  }
}

function isAnswerTo (kind: QueryKind, answer: unknown): boolean {
  return kind === 'users' ? Array.isArray(answer) : typeof answer === 'number'
}
