import type { Clock } from '../loop/clock';
import {
  RegistryReads,
  type ClusterRegistry,
  type ClusterView,
  type NodeListing,
  type NodeReport,
  type RoomListing,
} from './cluster-registry';

/**
 * The registry's in-process store. Several {@link MemoryRegistry}s may share one (the tests
 * run two or three nodes in one process on it); the embedded default has one node and one store.
 */
export class MemoryClusterStore {
  readonly nodes = new Map<string, { listing: NodeListing; expiresAt: number; rooms: RoomListing[] }>();
}

/** {@link ClusterRegistry} in memory: the embedded default, with no outside service. */
export class MemoryRegistry extends RegistryReads implements ClusterRegistry {
  readonly kind = 'memory';

  /**
   * @param clock ms clock for liveness (the server's).
   * @param nodeTtlMs a node not heard from for this long is reaped (default 3000).
   */
  constructor(
    private readonly clock: Clock,
    private readonly nodeTtlMs = 3000,
    readonly store = new MemoryClusterStore(),
  ) {
    super();
  }

  async publish(report: NodeReport): Promise<void> {
    this.store.nodes.set(report.node.id, {
      listing: { ...report.node },
      expiresAt: this.clock.now() + this.nodeTtlMs,
      rooms: report.rooms.map((r) => ({ ...r })),
    });
  }

  async reap(): Promise<string[]> {
    const now = this.clock.now();
    const dead: string[] = [];
    for (const [id, entry] of this.store.nodes) if (entry.expiresAt <= now) dead.push(id);
    for (const id of dead) this.store.nodes.delete(id);
    return dead;
  }

  async view(type?: string): Promise<ClusterView> {
    await this.reap();
    const view: ClusterView = { nodes: [], rooms: [] };
    for (const entry of this.store.nodes.values()) {
      view.nodes.push({ ...entry.listing });
      for (const room of entry.rooms) if (type === undefined || room.type === type) view.rooms.push({ ...room });
    }
    return view;
  }

  async close(nodeId: string): Promise<void> {
    this.store.nodes.delete(nodeId);
  }
}
