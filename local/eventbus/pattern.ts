/**
 * EventBridge event-pattern matching for the local runtime: the in-process event bus and
 * `lakeplane events test-pattern`, which answers like `aws events test-event-pattern`.
 *
 * A pattern is validated once, in full, by {@link compileEventPattern}, and compiled to a tree
 * of small predicates; matching an event then walks only the fields the pattern names.
 *
 * Semantics follow the Amazon EventBridge User Guide ("Creating event patterns", "Comparison
 * operators / content filtering", "Arrays", "Null values and empty strings"):
 *
 * - Fields of an object pattern are ANDed; the values in a field's array are ORed. When the event
 *   value is an array, the field matches if any element matches (arrays nest: they are flattened).
 * - A nested pattern object applied to an array of objects must be satisfied by one element:
 *   two fields never match from different elements of the same array.
 * - Exact values are JSON strings, numbers, booleans or null, compared by type and value:
 *   `"5"` is not `5`, `""` is not `null`, `true` is not `"true"`.
 * - Operators (`prefix`, `suffix`, `equals-ignore-case`, `wildcard`, `anything-but`, `numeric`,
 *   `cidr`, `exists`) work on leaf values only. An object-valued field has no leaf value: it
 *   matches nothing, `exists: true` is false for it and `exists: false` is true.
 * - `exists` looks at presence only, not at the value: a field present with `null` exists.
 *   An empty array offers no value, so it does not exist.
 * - Every operator except `exists` needs a value, so none of them (not even `anything-but`)
 *   matches a missing field.
 * - `numeric` only matches JSON numbers, in -5e9..5e9, compared to six decimal places.
 * - `$or` (an array of two or more sub-patterns, at any level) ORs the sub-patterns.
 * - Dots in field names are path separators, as EventBridge joins names with `.` when it
 *   compiles: `{"a.b": [1]}` and `{"a": {"b": [1]}}` are the same pattern, and both match
 *   `{"a": {"b": 1}}` and `{"a.b": 1}`.
 *
 * Known, deliberate differences from AWS: numbers are compared by value after `JSON.parse`, so
 * an exact `[300]` also matches `300.0` and `3.0e2` (AWS compares their text); patterns are not
 * checked against the 2048-character size quota nor the wildcard "complexity" limit.
 *
 * @module
 */

/** A leaf value of an event: what every operator is applied to. */
type Scalar = string | number | boolean | null;
type Predicate = (value: Scalar) => boolean;
type JsonObject = Record<string, unknown>;

/**
 * Thrown when an event pattern is not valid, like EventBridge's `InvalidEventPatternException`.
 * The message reads `Event pattern is not valid. Reason: <reason> at <path>`, where path names
 * the offending place in the pattern (`detail.state[0].numeric`, or `(root)`).
 */
export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternError';
  /** What is wrong, without the location. */
  readonly reason: string;
  /** Where in the pattern, as a dotted path with `[i]` for array elements; `''` for the root. */
  readonly path: string;

  /**
   * @param reason - what is wrong with the pattern
   * @param path - where, as a dotted path with `[i]` for array elements (`''` for the root)
   */
  constructor(reason: string, path: string) {
    super(`Event pattern is not valid. Reason: ${reason} at ${path === '' ? '(root)' : path}`);
    this.reason = reason;
    this.path = path;
  }
}

/**
 * Validates an event pattern and compiles it to a matcher. The pattern is the parsed JSON
 * (`JSON.parse` of what `aws events put-rule --event-pattern` takes).
 *
 * @param pattern - the parsed event pattern
 * @returns a function telling whether an event (parsed JSON) matches the pattern
 * @throws InvalidEventPatternError if the pattern is not valid anywhere in it
 */
export function compileEventPattern(pattern: unknown): (event: unknown) => boolean {
  if (!isObject(pattern)) fail('Filter is not an object', '');
  const root = freeze(compileObject(pattern, ''));
  return (event: unknown): boolean =>
    matchObject(root, isObject(event) ? { obj: event, prefix: '' } : EMPTY_VIEW);
}

/**
 * Tells whether an event matches an event pattern, like `aws events test-event-pattern`.
 * Compiles the pattern on every call; use {@link compileEventPattern} to match many events.
 *
 * @param pattern - the parsed event pattern
 * @param event - the parsed event
 * @throws InvalidEventPatternError if the pattern is not valid
 */
export function testEventPattern(pattern: unknown, event: unknown): boolean {
  return compileEventPattern(pattern)(event);
}

// ---------------------------------------------------------------------------------------------
// Compiled form
// ---------------------------------------------------------------------------------------------

/** An object pattern: every field must match, and in each `$or` group some branch must. */
interface ObjectNode {
  readonly fields: readonly FieldNode[];
  readonly ors: readonly (readonly ObjectNode[])[];
}

/** One path segment of an object pattern, constrained as a leaf, as an object, or both. */
interface FieldNode {
  readonly key: string;
  readonly leaves: readonly LeafList[];
  readonly child: ObjectNode | undefined;
}

/** A field's array of values: it matches if any one of them does. */
interface LeafList {
  existsTrue: boolean;
  existsFalse: boolean;
  readonly strings: Set<string>;
  readonly numbers: Set<number>;
  matchTrue: boolean;
  matchFalse: boolean;
  matchNull: boolean;
  readonly tests: Predicate[];
}

/** Mutable form used while compiling, so that `a.b` and `a: {b}` merge into one tree. */
interface ObjectBuilder {
  readonly fields: Map<string, FieldBuilder>;
  readonly ors: ObjectBuilder[][];
}
interface FieldBuilder {
  readonly leaves: LeafList[];
  child: ObjectBuilder | undefined;
}

function freeze(b: ObjectBuilder): ObjectNode {
  const fields: FieldNode[] = [];
  for (const [key, f] of b.fields) {
    fields.push({ key, leaves: f.leaves, child: f.child ? freeze(f.child) : undefined });
  }
  return { fields, ors: b.ors.map((group) => group.map(freeze)) };
}

// ---------------------------------------------------------------------------------------------
// Validation and compilation
// ---------------------------------------------------------------------------------------------

/** Field names that make a `$or` array an ordinary field (they are operators, not fields). */
const OPERATOR_NAMES: ReadonlySet<string> = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'cidr',
  'exists',
  '=',
  '<',
  '<=',
  '>',
  '>=',
]);

/** Numeric values EventBridge can compare: -5.0e9 to +5.0e9, six decimal places. */
const NUMERIC_LIMIT = 5e9;
const NUMERIC_SCALE = 1e6;

function fail(reason: string, path: string): never {
  throw new InvalidEventPatternError(reason, path);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function at(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}

function compileObject(obj: JsonObject, path: string, into: ObjectBuilder = newObject()): ObjectBuilder {
  const keys = Object.keys(obj);
  if (keys.length === 0) fail('Empty objects are not allowed', path);
  for (const key of keys) {
    const value = obj[key];
    const keyPath = at(path, key);
    if (key === '$or' && isOrArray(value, keyPath)) {
      into.ors.push(value.map((branch, i) => compileObject(branch, `${keyPath}[${i}]`)));
      continue;
    }
    // EventBridge joins field names with "." when it compiles a pattern, so a dotted name is a path.
    const segments = key.split('.');
    let node = into;
    for (let i = 0; i < segments.length - 1; i++) {
      const field = fieldOf(node, segments[i] ?? '');
      field.child ??= newObject();
      node = field.child;
    }
    const field = fieldOf(node, segments[segments.length - 1] ?? '');
    if (Array.isArray(value)) {
      field.leaves.push(compileLeafList(value, keyPath));
    } else if (isObject(value)) {
      field.child = compileObject(value, keyPath, field.child ?? newObject());
    } else {
      fail(`"${key}" must be an object or an array, not ${describeValue(value)}`, keyPath);
    }
  }
  return into;
}

function newObject(): ObjectBuilder {
  return { fields: new Map(), ors: [] };
}

function fieldOf(node: ObjectBuilder, key: string): FieldBuilder {
  let field = node.fields.get(key);
  if (!field) {
    field = { leaves: [], child: undefined };
    node.fields.set(key, field);
  }
  return field;
}

/**
 * Whether a `$or` value is the OR operator: an array of 2+ objects naming no operator. Anything
 * else leaves `$or` an ordinary field name, as EventBridge does for backward compatibility, except
 * a single sub-pattern, which can only be a mistake.
 */
function isOrArray(value: unknown, path: string): value is JsonObject[] {
  if (!Array.isArray(value) || !value.every(isObject)) return false;
  if (value.some((branch) => Object.keys(branch).some((k) => OPERATOR_NAMES.has(k)))) return false;
  if (value.length === 1) fail('$or needs an array of at least 2 sub-patterns', path);
  return value.length >= 2;
}

function compileLeafList(values: readonly unknown[], path: string): LeafList {
  if (values.length === 0) fail('Empty arrays are not allowed', path);
  const list: LeafList = {
    existsTrue: false,
    existsFalse: false,
    strings: new Set(),
    numbers: new Set(),
    matchTrue: false,
    matchFalse: false,
    matchNull: false,
    tests: [],
  };
  values.forEach((value, i) => {
    const itemPath = `${path}[${i}]`;
    if (typeof value === 'string') list.strings.add(value);
    else if (typeof value === 'number') list.numbers.add(finite(value, itemPath));
    else if (value === true) list.matchTrue = true;
    else if (value === false) list.matchFalse = true;
    else if (value === null) list.matchNull = true;
    else if (isObject(value)) {
      const compiled = compileMatchExpression(value, itemPath);
      if (typeof compiled === 'boolean') {
        if (compiled) list.existsTrue = true;
        else list.existsFalse = true;
      } else {
        list.tests.push(compiled);
      }
    } else {
      fail(`Match value must be String, number, true, false, or null, not ${describeValue(value)}`, itemPath);
    }
  });
  return list;
}

/** Compiles `{ "<operator>": operand }`; an `exists` expression compiles to its boolean. */
function compileMatchExpression(expr: JsonObject, path: string): Predicate | boolean {
  const keys = Object.keys(expr);
  if (keys.length === 0) fail('Match expression name not found (empty object)', path);
  if (keys.length > 1) fail(`Only one key allowed in match expression, found ${keys.join(', ')}`, path);
  const op = keys[0] ?? '';
  const operand = expr[op];
  const opPath = at(path, op);
  switch (op) {
    case 'prefix':
    case 'suffix':
      return compileAffix(op, operand, opPath);
    case 'equals-ignore-case':
      return equalsIgnoreCase(requireString(operand, op, opPath));
    case 'wildcard':
      return compileWildcard(requireString(operand, op, opPath), opPath);
    case 'anything-but':
      return compileAnythingBut(operand, opPath);
    case 'numeric':
      return compileNumeric(operand, opPath);
    case 'cidr':
      return compileCidr(operand, opPath);
    case 'exists':
      if (typeof operand !== 'boolean') fail('exists match pattern must be either true or false.', opPath);
      return operand;
    default:
      return fail(`Unrecognized match type ${op}`, opPath);
  }
}

function requireString(operand: unknown, op: string, path: string): string {
  if (typeof operand !== 'string')
    fail(`${op} match pattern must be a string, not ${describeValue(operand)}`, path);
  return operand;
}

function finite(n: number, path: string): number {
  if (!Number.isFinite(n)) fail(`Cannot compare number ${n}`, path);
  return n;
}

/** `prefix`/`suffix`: a string, or `{"equals-ignore-case": string}` to ignore case. */
function compileAffix(op: 'prefix' | 'suffix', operand: unknown, path: string): Predicate {
  if (isObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      fail(`Unsupported ${op} pattern: ${keys.join(', ') || '{}'} (only equals-ignore-case)`, path);
    }
    const lower = requireString(
      operand['equals-ignore-case'],
      'equals-ignore-case',
      at(path, 'equals-ignore-case'),
    ).toLowerCase();
    return op === 'prefix'
      ? (v) => typeof v === 'string' && v.toLowerCase().startsWith(lower)
      : (v) => typeof v === 'string' && v.toLowerCase().endsWith(lower);
  }
  const s = requireString(operand, op, path);
  return op === 'prefix'
    ? (v) => typeof v === 'string' && v.startsWith(s)
    : (v) => typeof v === 'string' && v.endsWith(s);
}

function equalsIgnoreCase(s: string): Predicate {
  const lower = s.toLowerCase();
  const upper = s.toUpperCase();
  return (v) => typeof v === 'string' && (v.toLowerCase() === lower || v.toUpperCase() === upper);
}

/**
 * `wildcard`: `*` matches any run of characters, possibly empty; `\*` is a literal `*` and `\\` a
 * literal `\`. Consecutive `*` and a `\` escaping anything else are invalid.
 */
function compileWildcard(pattern: string, path: string): Predicate {
  const parts: string[] = [];
  let literal = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\')
        fail(`Invalid escape character at pos ${i + 1} in "${pattern}"`, path);
      literal += next;
      i++;
    } else if (c === '*') {
      if (pattern[i + 1] === '*')
        fail(`Consecutive wildcard characters at pos ${i + 1} in "${pattern}"`, path);
      parts.push(literal);
      literal = '';
    } else {
      literal += c;
    }
  }
  parts.push(literal);
  const first = parts[0] ?? '';
  if (parts.length === 1) return (v) => v === first;
  const last = parts[parts.length - 1] ?? '';
  const middle = parts.slice(1, -1).filter((p) => p !== '');
  const minLength = parts.reduce((n, p) => n + p.length, 0);
  // Leftmost-first search of each literal between stars: linear in the value, no backtracking.
  return (v) => {
    if (typeof v !== 'string' || v.length < minLength || !v.startsWith(first) || !v.endsWith(last))
      return false;
    const end = v.length - last.length;
    let pos = first.length;
    for (const part of middle) {
      const found = v.indexOf(part, pos);
      if (found < 0 || found + part.length > end) return false;
      pos = found + part.length;
    }
    return pos <= end;
  };
}

/**
 * `anything-but`: a string or number, a list of only strings or only numbers, or one of
 * `prefix`, `suffix`, `equals-ignore-case`, `wildcard` (each with a string or a list of strings).
 * It matches every leaf value the inner form does not match, whatever its type.
 */
function compileAnythingBut(operand: unknown, path: string): Predicate {
  if (typeof operand === 'string') return (v) => v !== operand;
  if (typeof operand === 'number') {
    const n = finite(operand, path);
    return (v) => v !== n;
  }
  if (Array.isArray(operand)) {
    const list: readonly unknown[] = operand;
    if (list.length === 0) fail('Empty arrays are not allowed', path);
    list.forEach((item, i) => {
      if (typeof item !== 'string' && typeof item !== 'number') {
        fail(
          `Inside anything-but list, only strings or numbers are supported, not ${describeValue(item)}`,
          `${path}[${i}]`,
        );
      }
      if (typeof item === 'number') finite(item, `${path}[${i}]`);
    });
    const kinds = new Set(list.map((item) => typeof item));
    if (kinds.size > 1)
      fail('Inside anything-but list, either all values are number or string, not mixed', path);
    const excluded = new Set<unknown>(list);
    return (v) => !excluded.has(v);
  }
  if (isObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1) fail(`anything-but takes exactly one nested pattern, found ${keys.length}`, path);
    const op = keys[0] ?? '';
    const opPath = at(path, op);
    if (op !== 'prefix' && op !== 'suffix' && op !== 'equals-ignore-case' && op !== 'wildcard') {
      fail(`Unsupported anything-but pattern: ${op}`, opPath);
    }
    const raw = operand[op];
    const items: readonly unknown[] = Array.isArray(raw) ? raw : [raw];
    if (items.length === 0) fail('Empty arrays are not allowed', opPath);
    const inner = items.map((item, i): Predicate => {
      const itemPath = Array.isArray(raw) ? `${opPath}[${i}]` : opPath;
      const s = requireString(item, `anything-but/${op}`, itemPath);
      if (op === 'equals-ignore-case') return equalsIgnoreCase(s);
      if (op === 'wildcard') return compileWildcard(s, itemPath);
      if (s === '') fail('Null prefix/suffix not allowed', itemPath);
      return compileAffix(op, s, itemPath);
    });
    return (v) => !inner.some((test) => test(v));
  }
  return fail(
    `Value of anything-but must be an array, an object or a single string/number value, not ${describeValue(operand)}`,
    path,
  );
}

type NumericOp = '=' | '<' | '<=' | '>' | '>=';
const NUMERIC_OPS: ReadonlySet<string> = new Set(['=', '<', '<=', '>', '>=']);

/**
 * `numeric`: `[op, n]` with op one of `=`, `<`, `<=`, `>`, `>=`, or a range `[">" | ">=", low,
 * "<" | "<=", high]` with low < high. Only JSON numbers match, compared to six decimal places.
 */
function compileNumeric(operand: unknown, path: string): Predicate {
  if (!Array.isArray(operand)) fail(`Value of numeric must be an array, not ${describeValue(operand)}`, path);
  const terms: readonly unknown[] = operand;
  if (terms.length === 0) fail('Value of numeric must not be an empty array', path);
  const [op1, n1, op2, n2] = terms;
  const first = numericOp(op1, `${path}[0]`);
  const low = numericOperand(n1, first, `${path}[1]`);
  if (terms.length === 2) {
    switch (first) {
      case '=':
        return (v) => numericValue(v) === low;
      case '<':
        return (v) => numericValue(v) < low;
      case '<=':
        return (v) => numericValue(v) <= low;
      case '>':
        return (v) => numericValue(v) > low;
      case '>=':
        return (v) => numericValue(v) >= low;
    }
  }
  if (first !== '>' && first !== '>=') {
    fail(`Too many elements in numeric expression: only a range starting with ">" or ">=" takes 4`, path);
  }
  if (terms.length > 4) fail('Too many terms in numeric range expression', path);
  const second = numericOp(op2, `${path}[2]`);
  if (second !== '<' && second !== '<=')
    fail(`Bad numeric range operator: ${second}, expected < or <=`, `${path}[2]`);
  const high = numericOperand(n2, second, `${path}[3]`);
  if (!(low < high)) fail('Bottom must be less than top', path);
  const lowOpen = first === '>';
  const highOpen = second === '<';
  return (v) => {
    const x = numericValue(v);
    return (lowOpen ? x > low : x >= low) && (highOpen ? x < high : x <= high);
  };
}

function numericOp(op: unknown, path: string): NumericOp {
  if (typeof op !== 'string' || !NUMERIC_OPS.has(op)) {
    fail(`Unrecognized numeric range operator: ${describeValue(op)}, expected =, <, <=, > or >=`, path);
  }
  return op as NumericOp;
}

function numericOperand(n: unknown, op: NumericOp, path: string): number {
  if (typeof n !== 'number')
    fail(`Value of ${op === '=' ? 'equals' : op} must be numeric, not ${describeValue(n)}`, path);
  if (!(Math.abs(n) <= NUMERIC_LIMIT))
    fail(`Value ${n} is out of range: numeric matching is limited to -5.0e9..5.0e9`, path);
  return Math.round(n * NUMERIC_SCALE);
}

/** A leaf value as EventBridge compares numbers, or NaN (which no comparison accepts). */
function numericValue(v: Scalar): number {
  return typeof v === 'number' && Math.abs(v) <= NUMERIC_LIMIT ? Math.round(v * NUMERIC_SCALE) : Number.NaN;
}

/** `cidr`: an IPv4 or IPv6 block like `10.0.0.0/24` or `2001:db8::/32`; only string values match. */
function compileCidr(operand: unknown, path: string): Predicate {
  const cidr = requireString(operand, 'cidr', path);
  const slash = cidr.indexOf('/');
  if (slash < 0 || slash !== cidr.lastIndexOf('/')) fail(`Malformed CIDR "${cidr}", one '/' required`, path);
  const address = cidr.slice(0, slash);
  const bitsText = cidr.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) fail(`Malformed CIDR "${cidr}", mask bits must be an integer`, path);
  const bits = Number(bitsText);
  const v4 = parseIPv4(address);
  const ip = v4 ?? parseIPv6(address);
  if (ip === undefined) fail(`Nonstandard IP address: ${address}`, path);
  const width = v4 === undefined ? 128 : 32;
  if (bits > width) fail(`IPv${width === 32 ? 4 : 6} mask bits must be between 0 and ${width}`, path);
  const shift = BigInt(width - bits);
  const network = ip >> shift;
  const parse = width === 32 ? parseIPv4 : parseIPv6;
  return (v) => {
    if (typeof v !== 'string') return false;
    const addr = parse(v);
    return addr !== undefined && addr >> shift === network;
  };
}

function parseIPv4(s: string): bigint | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let n = 0n;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = (n << 8n) | BigInt(octet);
  }
  return n;
}

function parseIPv6(s: string): bigint | undefined {
  let text = s;
  const groups: number[] = [];
  const lastColon = text.lastIndexOf(':');
  let tail: bigint | undefined;
  if (text.includes('.')) {
    // Embedded IPv4 in the last 32 bits, e.g. ::ffff:10.0.0.1
    tail = parseIPv4(text.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0] ?? '');
  const rest = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!head || !rest) return undefined;
  if (halves.length === 2) {
    if (head.length + rest.length > 7) return undefined;
    groups.push(...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest);
  } else {
    if (head.length !== 8) return undefined;
    groups.push(...head);
  }
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(g);
  return tail === undefined ? n : (n & ~0xffffffffn) | tail;
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

/**
 * An event object seen through a name prefix. EventBridge treats `.` in names as a path
 * separator, so `{"a.b": 1}` offers a virtual object `a` holding `b`: `{obj, prefix: "a"}`.
 */
interface View {
  readonly obj: JsonObject;
  readonly prefix: string;
}

const EMPTY_VIEW: View = { obj: Object.freeze({}), prefix: '' };

function matchObject(node: ObjectNode, view: View): boolean {
  for (const field of node.fields) {
    if (!matchField(field, view)) return false;
  }
  for (const group of node.ors) {
    if (!group.some((branch) => matchObject(branch, view))) return false;
  }
  return true;
}

function matchField(field: FieldNode, view: View): boolean {
  const name = view.prefix === '' ? field.key : `${view.prefix}.${field.key}`;
  const present = Object.hasOwn(view.obj, name);
  const value = present ? view.obj[name] : undefined;
  for (const list of field.leaves) {
    if (!matchLeafList(list, value, present)) return false;
  }
  if (!field.child) return true;
  const candidates: View[] = [];
  if (present) collectObjects(value, candidates);
  if (hasDottedName(view.obj, name)) candidates.push({ obj: view.obj, prefix: name });
  // A missing (or non-object) field is matched as an empty object, so that `exists: false`
  // below it holds.
  if (candidates.length === 0) return matchObject(field.child, EMPTY_VIEW);
  for (const candidate of candidates) {
    if (matchObject(field.child, candidate)) return true;
  }
  return false;
}

/** Whether some name in `obj` continues `name` with a dot, e.g. `a.b` for `a`. */
function hasDottedName(obj: JsonObject, name: string): boolean {
  for (const key in obj) {
    if (key.length > name.length && key.charCodeAt(name.length) === 46 && key.startsWith(name)) return true;
  }
  return false;
}

/** The objects an event value offers to a nested pattern: itself, or its elements, flattened. */
function collectObjects(value: unknown, out: View[]): void {
  if (Array.isArray(value)) {
    for (const element of value) collectObjects(element, out);
  } else if (isObject(value)) {
    out.push({ obj: value, prefix: '' });
  }
}

function matchLeafList(list: LeafList, value: unknown, present: boolean): boolean {
  if (list.existsTrue || list.existsFalse) {
    const exists = present && hasLeaf(value);
    if (exists ? list.existsTrue : list.existsFalse) return true;
  }
  return present && anyLeafMatches(list, value);
}

function isScalar(value: unknown): value is Scalar {
  return (
    value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  );
}

function hasLeaf(value: unknown): boolean {
  if (isScalar(value)) return true;
  return Array.isArray(value) && value.some(hasLeaf);
}

function anyLeafMatches(list: LeafList, value: unknown): boolean {
  if (Array.isArray(value)) {
    for (const element of value) {
      if (anyLeafMatches(list, element)) return true;
    }
    return false;
  }
  if (!isScalar(value)) return false;
  switch (typeof value) {
    case 'string':
      if (list.strings.has(value)) return true;
      break;
    case 'number':
      if (list.numbers.has(value)) return true;
      break;
    case 'boolean':
      if (value ? list.matchTrue : list.matchFalse) return true;
      break;
    default:
      if (list.matchNull) return true;
  }
  for (const test of list.tests) {
    if (test(value)) return true;
  }
  return false;
}
