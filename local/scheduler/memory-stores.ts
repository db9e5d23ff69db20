import { type PendingObject, pendingKey } from '../../shared/core/schedule.js';
import type { DatasetSlots, PendingObjects, ScheduledLoad, ScheduledStatus } from '../../shared/ports.js';

/**
 * The scheduler's stores in memory, with the conditional semantics of their DynamoDB items: each
 * operation reads and writes in one synchronous step (one JavaScript turn), as one conditional
 * write does. `beforeEach` is awaited before every operation; tests use it to shuffle how racing
 * schedulers interleave.
 */
export class MemorySchedulerStores {
  private readonly pendingByDataset = new Map<string, Map<string, PendingObject>>();
  private readonly claimed = new Set<string>();
  private readonly slotHolder = new Map<string, string>();
  readonly loads = new Map<string, ScheduledLoad>();

  constructor(private readonly beforeEach: () => Promise<void> = async () => undefined) {}

  readonly pending: PendingObjects = {
    add: async (o) => {
      await this.beforeEach();
      const id = `${o.dataset}\n${pendingKey(o)}`;
      const of = this.pendingOf(o.dataset);
      if (this.claimed.has(id) || of.has(id)) return false;
      of.set(id, o);
      return true;
    },
    list: async (dataset) => {
      await this.beforeEach();
      return [...this.pendingOf(dataset).values()];
    },
    claim: async (dataset, _loadId, objects) => {
      await this.beforeEach();
      const of = this.pendingOf(dataset);
      for (const o of objects) {
        const id = `${dataset}\n${pendingKey(o)}`;
        of.delete(id);
        this.claimed.add(id);
      }
    },
  };

  readonly slots: DatasetSlots = {
    holder: async (dataset) => {
      await this.beforeEach();
      const id = this.slotHolder.get(dataset);
      return id === undefined ? undefined : this.loads.get(id);
    },
    acquire: async (load) => {
      await this.beforeEach();
      const held = this.slotHolder.get(load.dataset);
      if (held !== undefined && held !== load.loadId) return false;
      // A load that ended never gets the slot again (a scheduler acquiring late, with a manifest
      // built before that load claimed it).
      const known = this.loads.get(load.loadId);
      if (
        held === undefined &&
        known !== undefined &&
        known.status !== 'REGISTERED' &&
        known.status !== 'RUNNING'
      )
        return false;
      this.slotHolder.set(load.dataset, load.loadId);
      if (!this.loads.has(load.loadId)) this.loads.set(load.loadId, load);
      return true;
    },
    release: async (dataset, loadId) => {
      await this.beforeEach();
      if (this.slotHolder.get(dataset) !== loadId) return false;
      this.slotHolder.delete(dataset);
      return true;
    },
  };

  /** A load moved on (what the ledger's transitions do). */
  setStatus(loadId: string, status: ScheduledStatus): void {
    const load = this.loads.get(loadId);
    if (!load) throw new Error(`no load ${loadId}`);
    this.loads.set(loadId, { ...load, status });
  }

  pendingCount(dataset: string): number {
    return this.pendingOf(dataset).size;
  }

  private pendingOf(dataset: string): Map<string, PendingObject> {
    let of = this.pendingByDataset.get(dataset);
    if (!of) {
      of = new Map();
      this.pendingByDataset.set(dataset, of);
    }
    return of;
  }
}
