import t from 'tap'
import { redisCluster } from './helpers/nodes'
import { startRedis } from './helpers/redis-server'
import { clusterBehaviour } from './suites/cluster-behaviour'

// Apps talking through a real redis-server, one per test.
clusterBehaviour(t, async (t) => redisCluster(await startRedis(t)))
