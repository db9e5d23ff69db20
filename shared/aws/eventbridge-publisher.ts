import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventPublisher } from '../ports.js';

/** EventBridge did not accept an event: carries the entry's error code and message. */
export class EventPublishError extends Error {
  override readonly name = 'EventPublishError';
  constructor(
    readonly errorCode: string,
    readonly errorMessage: string,
    readonly eventBusName: string,
    readonly detailType: string,
  ) {
    super(`EventBridge rejected "${detailType}" on bus ${eventBusName}: ${errorCode}: ${errorMessage}`);
  }
}

/**
 * Publishes custom events to one EventBridge bus (PutEvents, one entry per event). PutEvents
 * answers 200 even when an entry fails, so a failed entry (`FailedEntryCount` > 0) is thrown as
 * an {@link EventPublishError} with its error code (e.g. `InternalFailure`, `ThrottlingException`).
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  async publish(source: string, detailType: string, detail: Record<string, unknown>): Promise<void> {
    const out = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.eventBusName,
            Source: source,
            DetailType: detailType,
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    if ((out.FailedEntryCount ?? 0) > 0) {
      const failed = out.Entries?.find((e) => e.ErrorCode !== undefined);
      throw new EventPublishError(
        failed?.ErrorCode ?? 'Unknown',
        failed?.ErrorMessage ?? 'no error message',
        this.eventBusName,
        detailType,
      );
    }
  }
}
