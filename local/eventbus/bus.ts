import { randomUUID } from 'node:crypto';
import { compileEventPattern } from './pattern.js';

/** An EventBridge event as targets receive it. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Record<string, unknown>;
}

export type BusTarget = (event: BusEvent) => Promise<unknown>;

/** Reports a target's failure; EventBridge would retry and then send it to the rule's DLQ. */
export type DeliveryFailureListener = (rule: string, event: BusEvent, error: unknown) => void;

/**
 * An in-process event bus with EventBridge pattern semantics. `put` delivers to the target of
 * every matching rule asynchronously (as EventBridge does); `idle()` waits for all deliveries
 * in flight, including those they cause.
 */
export class LocalEventBus {
  private readonly rules: { name: string; matches: (e: unknown) => boolean; target: BusTarget }[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly failureListeners: DeliveryFailureListener[] = [];

  constructor(
    private readonly account = '000000000000',
    private readonly region = 'local',
  ) {}

  /** Adds a rule: `pattern` is an EventBridge event pattern (validated now). */
  addRule(name: string, pattern: unknown, target: BusTarget): void {
    this.rules.push({ name, matches: compileEventPattern(pattern), target });
  }

  onDeliveryFailure(listener: DeliveryFailureListener): void {
    this.failureListeners.push(listener);
  }

  /** Builds the envelope around a detail, as PutEvents or an AWS service would. */
  envelope(
    source: string,
    detailType: string,
    detail: Record<string, unknown>,
    resources: readonly string[] = [],
  ): BusEvent {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source,
      account: this.account,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources,
      detail,
    };
  }

  put(event: BusEvent): void {
    for (const rule of this.rules) {
      if (!rule.matches(event)) continue;
      const delivery = Promise.resolve()
        .then(() => rule.target(event))
        .catch((error: unknown) => {
          for (const l of this.failureListeners) l(rule.name, event, error);
        })
        .finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  /** Whether a delivery is in flight. */
  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** Resolves when no delivery is in flight. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
