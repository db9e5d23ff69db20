// Imported first by cli/main.ts, so that it runs before any schema is built: zod parses without
// compiling a fast path per object schema (`new Function`), which pays off over many parses of one
// schema, not in a CLI process that parses each schema a few times (measured: a one-row load used
// ~40 ms less CPU). The same checks, the same results and messages; the Lambdas keep zod's default.
import { z } from 'zod';

z.config({ jitless: true });
