/**
 * Offline schema lint of CloudFormation templates with AWS's own validator
 * (@aws/cloudformation-validate: the resource provider schemas and rules of cfn-lint, in
 * WebAssembly): unknown properties, wrong types, missing required properties, values outside
 * an enum, unknown resource types, broken references. See docs/deploy.md for what it measured.
 */
import { RegoEngine, type TemplateFile } from '@aws/cloudformation-validate';

export interface LintProblem {
  readonly rule: string;
  readonly resource?: string;
  readonly path?: string;
  readonly message: string;
}

/**
 * Warnings that are findings, not style: W3030 is "not one of the allowed values" (an enum), which
 * the validator reports as a warning. W8003 (a condition that is always true) is left out on
 * purpose: osls writes stage parameters into the conditions as literals.
 */
const WARNINGS_THAT_FAIL = new Set(['W3030']);

export class SchemaLint {
  private readonly engine = new RegoEngine();

  /** Problems of one template (JSON object, or YAML/JSON text with a file name). */
  lint(template: unknown, name = 'template.json'): LintProblem[] {
    const bytes = Buffer.from(typeof template === 'string' ? template : JSON.stringify(template));
    const file = { path: name, readBytes: () => bytes } as TemplateFile;
    return this.engine
      .validateStandard(file, { severityLevel: 'WARN' })
      .diagnostics.filter(
        (d) => d.severity === 'FATAL' || d.severity === 'ERROR' || WARNINGS_THAT_FAIL.has(d.ruleId),
      )
      .map((d) => ({
        rule: d.ruleId,
        ...(d.entity?.logicalId ? { resource: d.entity.logicalId } : {}),
        ...(d.propertyPath ? { path: d.propertyPath } : {}),
        message: d.message,
      }));
  }

  close(): void {
    this.engine.free();
  }
}
