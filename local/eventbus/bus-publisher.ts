import type { EventPublisher } from '../../shared/ports.js';
import type { LocalEventBus } from './bus.js';

/** The EventPublisher port on the local bus (PutEvents in AWS). */
export class BusPublisher implements EventPublisher {
  constructor(private readonly bus: LocalEventBus) {}

  async publish(source: string, detailType: string, detail: Record<string, unknown>): Promise<void> {
    this.bus.put(this.bus.envelope(source, detailType, detail));
  }
}
