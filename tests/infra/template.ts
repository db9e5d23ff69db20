/**
 * A CloudFormation template as osls writes it: untyped JSON that the infra tests navigate
 * freely (a wrong path fails the assertion that reads it).
 */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped by nature.
export type Json = any;

export interface CfnResource {
  readonly Type: string;
  readonly Properties: Json;
  readonly DependsOn?: Json;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface Template {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs: Record<string, Json>;
}
