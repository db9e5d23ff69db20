import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { ExecutionRunner, FinishedExecution, Orchestrator, StartedExecution } from '../ports.js';
import type { DescribedExecution, ExecutionHistory } from '../usecases/reconcile.js';

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

/** Step Functions execution statuses that are not an end. */
const RUNNING = new Set(['RUNNING', 'PENDING_REDRIVE']);

/**
 * An orchestrator that can also wait for an execution's end (DescribeExecution every `pollMs`):
 * the CLI's rollback on a stage, and the replays after it, which must commit in order.
 */
export class StepFunctionsExecutionRunner extends StepFunctionsOrchestrator implements ExecutionRunner {
  constructor(
    private readonly sfn: SFNClient,
    stateMachineArn: string,
    private readonly options: { readonly pollMs?: number; readonly onPoll?: (status: string) => void } = {},
  ) {
    super(sfn, stateMachineArn);
  }

  async waitFor(executionArn: string): Promise<FinishedExecution> {
    for (;;) {
      const out = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      const status = out.status ?? 'RUNNING';
      if (!RUNNING.has(status)) {
        return {
          executionArn,
          status: status as FinishedExecution['status'],
          ...(out.error ? { error: out.error } : {}),
          ...(out.cause ? { cause: out.cause } : {}),
        };
      }
      this.options.onPoll?.(status);
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 10_000));
    }
  }
}

/** The execution history of Step Functions (DescribeExecution), for the reconciler. */
export class StepFunctionsHistory implements ExecutionHistory {
  constructor(private readonly sfn: SFNClient) {}

  async describe(executionArn: string): Promise<DescribedExecution | undefined> {
    try {
      const out = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return {
        executionArn,
        stateMachineArn: out.stateMachineArn ?? '',
        name: out.name ?? executionArn.split(':').pop() ?? '',
        status: (out.status ?? 'RUNNING') as DescribedExecution['status'],
        startDate: out.startDate?.getTime() ?? 0,
        ...(out.stopDate ? { stopDate: out.stopDate.getTime() } : {}),
        ...(out.input !== undefined ? { input: out.input } : {}),
        ...(out.output !== undefined ? { output: out.output } : {}),
        ...(out.error !== undefined ? { error: out.error } : {}),
        ...(out.cause !== undefined ? { cause: out.cause } : {}),
      };
    } catch (e) {
      if (e instanceof ExecutionDoesNotExist) return undefined;
      throw e;
    }
  }
}
