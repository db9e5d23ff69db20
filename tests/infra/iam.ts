/**
 * Walks every IAM policy statement of a CloudFormation template: identity policies of roles
 * and policies, trust policies, and resource policies (bucket, queue, topic policies).
 */

import type { Json, Template } from './template.js';

export interface FoundStatement {
  /** Logical id of the resource that holds the statement. */
  readonly owner: string;
  readonly ownerType: string;
  readonly kind: 'identity' | 'trust' | 'resource';
  readonly statement: Record<string, Json>;
}

const RESOURCE_POLICIES: Record<string, string> = {
  'AWS::S3::BucketPolicy': 'PolicyDocument',
  'AWS::SQS::QueuePolicy': 'PolicyDocument',
  'AWS::SNS::TopicPolicy': 'PolicyDocument',
  'AWS::KMS::Key': 'KeyPolicy',
};

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function policyStatements(template: Template): FoundStatement[] {
  const found: FoundStatement[] = [];
  const add = (owner: string, ownerType: string, kind: FoundStatement['kind'], doc: Json) => {
    for (const statement of asArray(doc?.Statement)) found.push({ owner, ownerType, kind, statement });
  };
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Role') {
      add(id, r.Type, 'trust', p.AssumeRolePolicyDocument);
      for (const policy of asArray(p.Policies)) add(id, r.Type, 'identity', policy.PolicyDocument);
    } else if (
      r.Type === 'AWS::IAM::Policy' ||
      r.Type === 'AWS::IAM::ManagedPolicy' ||
      r.Type === 'AWS::IAM::RolePolicy'
    ) {
      add(id, r.Type, 'identity', p.PolicyDocument);
    } else if (RESOURCE_POLICIES[r.Type]) {
      add(id, r.Type, 'resource', p[RESOURCE_POLICIES[r.Type] as string]);
    }
  }
  return found;
}

export const actionsOf = (s: Record<string, Json>): string[] => asArray<string>(s.Action);
export const resourcesOf = (s: Record<string, Json>): unknown[] => asArray<unknown>(s.Resource);

/** Logical ids of the AWS::IAM::Policy resources attached to a role. */
function attachedPolicies(template: Template, roleId: string): string[] {
  return Object.entries(template.Resources)
    .filter(
      ([, r]) =>
        r.Type === 'AWS::IAM::Policy' && asArray(r.Properties?.Roles).some((x: Json) => x?.Ref === roleId),
    )
    .map(([id]) => id);
}

/** The Allow actions of one role's identity policies (inline and attached AWS::IAM::Policy). */
export function allowedActions(template: Template, roleId: string): Set<string> {
  const attached = attachedPolicies(template, roleId);
  return new Set(
    policyStatements(template)
      .filter(
        (f) =>
          f.kind === 'identity' &&
          (f.owner === roleId || attached.includes(f.owner)) &&
          f.statement.Effect === 'Allow',
      )
      .flatMap((f) => actionsOf(f.statement)),
  );
}

/**
 * The resources each Allow action of one role's identity policies is granted on, in statement
 * order (inline and attached AWS::IAM::Policy). Statements with a Condition are marked.
 */
export function grantsOf(template: Template, roleId: string): Map<string, unknown[]> {
  const attached = attachedPolicies(template, roleId);
  const grants = new Map<string, unknown[]>();
  for (const f of policyStatements(template)) {
    if (f.kind !== 'identity' || f.statement.Effect !== 'Allow') continue;
    if (f.owner !== roleId && !attached.includes(f.owner)) continue;
    const resources = resourcesOf(f.statement).map((r) =>
      f.statement.Condition === undefined ? r : { resource: r, condition: f.statement.Condition },
    );
    for (const action of actionsOf(f.statement))
      grants.set(action, [...(grants.get(action) ?? []), ...resources]);
  }
  return grants;
}

/**
 * Least-privilege violations: wildcard actions, NotAction/NotPrincipal/NotResource, and
 * Resource "*" for actions outside `starAllowed(action, found)` (bucket, queue, topic and key
 * policies included; a key policy's "*" is its key). Deny statements of resource
 * policies may use wildcard actions (a TLS-only bucket policy denies `s3:*`): they only take away.
 */
export function iamViolations(
  template: Template,
  starAllowed: (action: string, found: FoundStatement) => boolean,
): string[] {
  const problems: string[] = [];
  for (const f of policyStatements(template)) {
    const s = f.statement;
    const where = `${f.owner} (${f.kind}) ${s.Sid ?? JSON.stringify(actionsOf(s))}`;
    for (const key of ['NotAction', 'NotResource', 'NotPrincipal'])
      if (key in s) problems.push(`${where}: uses ${key}`);
    if (!('Action' in s)) problems.push(`${where}: has no Action`);
    const denyInResourcePolicy = f.kind === 'resource' && s.Effect === 'Deny';
    for (const action of actionsOf(s)) {
      if (typeof action !== 'string') problems.push(`${where}: non-literal action ${JSON.stringify(action)}`);
      else if (action.includes('*') && !denyInResourcePolicy)
        problems.push(`${where}: wildcard action ${action}`);
    }
    // In a key policy, Resource "*" is the key itself (the only form KMS accepts).
    if (f.kind === 'trust' || denyInResourcePolicy || f.ownerType === 'AWS::KMS::Key') continue;
    if (resourcesOf(s).includes('*')) {
      for (const action of actionsOf(s)) {
        if (!starAllowed(action, f)) problems.push(`${where}: Resource "*" for ${action}`);
      }
    }
  }
  return problems;
}

/**
 * Actions that have no resource-level permissions: Resource "*" is the only choice.
 * Not states:SendTaskSuccess / SendTaskFailure, although the Service Authorization Reference
 * (list_awsstepfunctions) lists no resource type for them: for the task token of a state
 * machine's task (not an activity's) Step Functions authorizes them against the state machine
 * ARN (AccessDenied names `...:stateMachine:<name>`; measured in aws/aws-cdk#8486, whose
 * grantTaskResponse scopes to the state machine), so dq-router is scoped to load-dataset.
 */
export const STAR_EVERYWHERE = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);
/** CloudWatch Logs vended delivery, needed by a state machine's LoggingConfiguration only. */
export const STAR_FOR_STATE_MACHINES = new Set([
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

/** The one allowlist of Resource "*": everywhere for X-Ray, log delivery for state machine roles. */
export function starAllowedIn(template: Template): (action: string, found: FoundStatement) => boolean {
  return (action, found) => {
    if (STAR_EVERYWHERE.has(action)) return true;
    if (!STAR_FOR_STATE_MACHINES.has(action)) return false;
    const trust = template.Resources[found.owner]?.Properties?.AssumeRolePolicyDocument?.Statement ?? [];
    return (trust as { Principal?: { Service?: string | string[] } }[]).some((st) =>
      [st.Principal?.Service].flat().includes('states.amazonaws.com'),
    );
  };
}
