import t from 'tap'
import { memoryCluster } from './helpers/nodes'
import { clusterBehaviour } from './suites/cluster-behaviour'

// Apps in one process sharing a MemoryBroker.
clusterBehaviour(t, async () => memoryCluster())
