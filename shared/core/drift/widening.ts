/**
 * How one primitive column type relates to another when a table's column changes from `from` to
 * `to`: the schema-evolution rules drift classification follows.
 *
 * A change is a **widening** (accepted by the `evolve` policy) only when all of these hold:
 * 1. Hudi can promote the column in place on write. Hudi (0.14 and later, "Schema Evolution on
 *    Write") promotes int → long/float/double/string, long → float/double/string,
 *    float → double/string, string ↔ bytes, and widens decimals when neither the integer
 *    digits nor the scale shrink. tinyint/smallint are Avro ints and varchar/char are Avro
 *    strings there, so those follow the int and string rules.
 * 2. Every old value is exactly representable in the new type, so nothing changes silently.
 * 3. Readers of files written before the change still read them: Athena's documented
 *    compatible reads (TINYINT → SMALLINT → INT → BIGINT, FLOAT → DOUBLE) and Iceberg's
 *    promotions (int → long, float → double, decimal precision up with the scale kept).
 *
 * Hudi promotions that fail (2) or (3), and lossless changes Hudi cannot make in place, are
 * **unsafe widenings**: reported as type-widened but breaking, so they alert instead of being
 * accepted quietly: int → float and bigint → float/double lose precision above 2^24 / 2^53;
 * numbers → string change ordering and arithmetic; a decimal whose scale grows cannot be read
 * from old files by Athena or Iceberg; int → decimal and date → timestamp fit every value but
 * have no in-place promotion in Hudi (Delta's type widening has them).
 *
 * The one exception to (3) we take is int → double (Hudi reads old int files as double since
 * 0.13; Athena's table does not list it): every int is exact in a double, and it is the change
 * JSON sources make when a field first carries a fraction.
 */
import {
  type GlueType,
  isPrimitive,
  type PrimitiveGlueType,
  printGlueType,
  sameGlueType,
} from './glue-type.js';

/** How a column type change relates the two types. */
export type TypeRelation = 'same' | 'widening' | 'unsafe-widening' | 'narrowing' | 'incompatible';

/** The relation of a type change, whether every old value fits the new type, and why. */
export interface TypeComparison {
  readonly relation: TypeRelation;
  /** Every value of the old type is exactly representable in the new one. */
  readonly fits: boolean;
  readonly note: string;
}

type Integral = 'tinyint' | 'smallint' | 'int' | 'bigint';
const INTEGRAL_RANK: Readonly<Record<Integral, number>> = { tinyint: 1, smallint: 2, int: 3, bigint: 4 };
/** Decimal digits needed to hold every value. */
const INTEGRAL_DIGITS: Readonly<Record<Integral, number>> = { tinyint: 3, smallint: 5, int: 10, bigint: 19 };

function integral(t: PrimitiveGlueType): Integral | undefined {
  return t.kind in INTEGRAL_RANK ? (t.kind as Integral) : undefined;
}

function floating(t: PrimitiveGlueType): boolean {
  return t.kind === 'float' || t.kind === 'double';
}

/** Characters a text type holds (string: unbounded); undefined for other types. */
function textCapacity(t: PrimitiveGlueType): number | undefined {
  if (t.kind === 'string') return Number.POSITIVE_INFINITY;
  if (t.kind === 'varchar' || t.kind === 'char') return t.length;
  return undefined;
}

type Forward = Omit<TypeComparison, 'relation'> & { readonly relation: 'widening' | 'unsafe-widening' };

const widening = (note: string): Forward => ({ relation: 'widening', fits: true, note });
const unsafe = (fits: boolean, note: string): Forward => ({ relation: 'unsafe-widening', fits, note });

/** The widening from `a` to `b`, if there is one (a and b differ). */
function forward(a: PrimitiveGlueType, b: PrimitiveGlueType): Forward | undefined {
  const from = printGlueType(a);
  const to = printGlueType(b);
  if (a.kind === 'void') return widening(`a column first seen holding only nulls (void) gets its type ${to}`);
  const ia = integral(a);
  const ib = integral(b);
  if (ia && ib) {
    return INTEGRAL_RANK[ib] > INTEGRAL_RANK[ia] ? widening(`every ${from} value fits in ${to}`) : undefined;
  }
  if (ia && b.kind === 'float') {
    return INTEGRAL_RANK[ia] <= INTEGRAL_RANK.smallint
      ? widening(`every ${from} value is exact in float`)
      : unsafe(false, `${from} values beyond 2^24 lose precision in float (Hudi promotes it anyway)`);
  }
  if (ia && b.kind === 'double') {
    return INTEGRAL_RANK[ia] <= INTEGRAL_RANK.int
      ? widening(`every ${from} value is exact in double`)
      : unsafe(false, 'bigint values beyond 2^53 lose precision in double (Hudi promotes it anyway)');
  }
  if (a.kind === 'float' && b.kind === 'double') return widening('every float value is exact in double');
  if (ia && b.kind === 'decimal') {
    return b.precision - b.scale >= INTEGRAL_DIGITS[ia]
      ? unsafe(true, `every ${from} value fits in ${to}, but Hudi cannot change ${from} to decimal in place`)
      : undefined;
  }
  if (a.kind === 'decimal' && b.kind === 'decimal') {
    const intDigitsKept = b.precision - b.scale >= a.precision - a.scale;
    if (b.scale === a.scale && b.precision > a.precision)
      return widening(`precision grows from ${a.precision} to ${b.precision}, scale kept`);
    if (b.scale > a.scale && intDigitsKept) {
      return unsafe(
        true,
        `scale grows from ${a.scale} to ${b.scale}: Hudi can promote it, but Athena and Iceberg cannot read files written with scale ${a.scale} as ${to}`,
      );
    }
    return undefined;
  }
  const ca = textCapacity(a);
  const cb = textCapacity(b);
  if (ca !== undefined && cb !== undefined) {
    return cb > ca || (cb === ca && b.kind !== 'char')
      ? widening(`${to} holds every ${from} value`)
      : undefined;
  }
  if ((ia || floating(a) || a.kind === 'decimal') && b.kind === 'string') {
    return unsafe(
      false,
      `Hudi promotes ${from} to string, but ordering, comparisons and arithmetic on the column change`,
    );
  }
  if (a.kind === 'date' && (b.kind === 'timestamp' || b.kind === 'timestamp_ntz')) {
    return unsafe(true, `every date is a ${to} at midnight, but Hudi cannot promote date to ${to} in place`);
  }
  return undefined;
}

/** Compares two primitive types: the relation of changing a column from `from` to `to`. */
export function comparePrimitive(from: PrimitiveGlueType, to: PrimitiveGlueType): TypeComparison {
  if (sameGlueType(from, to)) return { relation: 'same', fits: true, note: 'same type' };
  if (to.kind === 'void') {
    return {
      relation: 'incompatible',
      fits: false,
      note: `void holds only nulls: the ${printGlueType(from)} values are gone`,
    };
  }
  const f = forward(from, to);
  if (f) return f;
  const a = printGlueType(from);
  const b = printGlueType(to);
  if (forward(to, from) || (from.kind === 'decimal' && to.kind === 'decimal')) {
    return { relation: 'narrowing', fits: false, note: `${b} cannot hold every ${a} value` };
  }
  return { relation: 'incompatible', fits: false, note: `${a} cannot be read as ${b}` };
}

/**
 * Whether every value of `source` is exactly representable in `target` (any types; complex
 * types only when identical). Used to decide whether a contract column already covers a
 * source column.
 */
export function fitsInto(source: GlueType, target: GlueType): boolean {
  if (sameGlueType(source, target)) return true;
  return isPrimitive(source) && isPrimitive(target) && comparePrimitive(source, target).fits;
}
