import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Orchestrator, StartedExecution } from '../ports.js';

/** The ARN of the execution `name` of a state machine. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * Starts load-dataset executions on Step Functions. StartExecution is idempotent for the same
 * name and input while the execution runs; once it has ended (or with another input) Step
 * Functions answers ExecutionAlreadyExists, which here means "already started".
 */
export class StepFunctionsOrchestrator implements Orchestrator {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async startExecution(name: string, input: unknown): Promise<StartedExecution> {
    const requestedAt = Date.now();
    try {
      const out = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      const startedBefore = out.startDate !== undefined && out.startDate.getTime() < requestedAt - 1000;
      return {
        executionArn: out.executionArn ?? executionArnOf(this.stateMachineArn, name),
        alreadyStarted: startedBefore,
      };
    } catch (e) {
      if (e instanceof ExecutionAlreadyExists) {
        return { executionArn: executionArnOf(this.stateMachineArn, name), alreadyStarted: true };
      }
      throw e;
    }
  }
}
