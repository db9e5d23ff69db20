import type { LoadStatus } from '../../shared/core/load.js';
import { type PendingObject, pendingKey } from '../../shared/core/schedule.js';
import type {
  DatasetSlots,
  KnownObject,
  PendingObjects,
  ScheduledLoad,
  ScheduledLoads,
} from '../../shared/ports.js';

/**
 * The scheduler's stores in memory, with the conditional semantics of their DynamoDB items: each
 * operation reads and writes in one synchronous step (one JavaScript turn), as one conditional
 * write does. `beforeEach` is awaited before every operation; tests use it to shuffle how racing
 * schedulers interleave. `loads` stands for the ledger and the manifests in the artifacts bucket.
 */
export class MemorySchedulerStores {
  private readonly objects = new Map<string, { object: PendingObject; loadId?: string }>();
  private readonly slotHolder = new Map<string, string>();
  private readonly manifests = new Map<string, ScheduledLoad>();
  private readonly records = new Map<string, { status: LoadStatus; attempts: number }>();

  constructor(private readonly beforeEach: () => Promise<void> = async () => undefined) {}

  readonly pending: PendingObjects = {
    add: async (o) => {
      await this.beforeEach();
      const id = `${o.dataset}\n${pendingKey(o)}`;
      if (this.objects.has(id)) return false;
      this.objects.set(id, { object: o });
      return true;
    },
    reopen: async (o, takenBy) => {
      await this.beforeEach();
      const id = `${o.dataset}\n${pendingKey(o)}`;
      if (this.objects.get(id)?.loadId !== takenBy) return false;
      this.objects.set(id, { object: o });
      return true;
    },
    list: async (dataset) => {
      await this.beforeEach();
      return [...this.objects.values()]
        .filter((e) => e.object.dataset === dataset && e.loadId === undefined)
        .map((e) => e.object);
    },
    claim: async (dataset, loadId, objects) => {
      await this.beforeEach();
      const ids = objects.map((o) => `${dataset}\n${pendingKey(o)}`);
      if (
        ids.some(
          (id) => this.objects.get(id)?.loadId !== undefined && this.objects.get(id)?.loadId !== loadId,
        )
      )
        return false;
      for (const [i, id] of ids.entries()) this.objects.set(id, { object: objects[i]!, loadId });
      return true;
    },
    byKey: async (dataset, bucket, key) => {
      await this.beforeEach();
      const out: KnownObject[] = [];
      for (const e of this.objects.values())
        if (e.object.dataset === dataset && e.object.bucket === bucket && e.object.key === key)
          out.push(e.loadId ? { object: e.object, loadId: e.loadId } : { object: e.object });
      return out;
    },
  };

  readonly slots: DatasetSlots = {
    holder: async (dataset) => {
      await this.beforeEach();
      return this.slotHolder.get(dataset);
    },
    acquire: async (dataset, loadId) => {
      await this.beforeEach();
      const held = this.slotHolder.get(dataset);
      if (held !== undefined && held !== loadId) return false;
      this.slotHolder.set(dataset, loadId);
      return true;
    },
    release: async (dataset, loadId) => {
      await this.beforeEach();
      if (this.slotHolder.get(dataset) !== loadId) return false;
      this.slotHolder.delete(dataset);
      return true;
    },
  };

  readonly loads: ScheduledLoads = {
    putManifest: async (load) => {
      await this.beforeEach();
      this.manifests.set(load.loadId, load);
    },
    manifest: async (_dataset, loadId) => {
      await this.beforeEach();
      return this.manifests.get(loadId);
    },
    register: async (load) => {
      await this.beforeEach();
      const known = this.records.get(load.loadId);
      if (known) return known;
      const created = { status: 'REGISTERED' as const, attempts: 1 };
      this.records.set(load.loadId, created);
      return created;
    },
    status: async (loadId) => {
      await this.beforeEach();
      return this.records.get(loadId)?.status;
    },
  };

  /** A load moved on (what the ledger's transitions do). */
  setStatus(loadId: string, status: LoadStatus): void {
    const known = this.records.get(loadId);
    if (!known) throw new Error(`no load ${loadId}`);
    this.records.set(loadId, { ...known, status });
  }

  /** The manifest of a load the scheduler stored. */
  manifestOf(loadId: string): ScheduledLoad | undefined {
    return this.manifests.get(loadId);
  }

  pendingCount(dataset: string): number {
    let n = 0;
    for (const e of this.objects.values()) if (e.object.dataset === dataset && e.loadId === undefined) n++;
    return n;
  }
}
