// The bare DuckDB baseline of bench:cli: what a one-row `lakeplane load orders <file>` does at its
// core, the plain @duckdb/node-api way. Reads the NDJSON file typed as the orders contract types it
// and inserts it into the table `orders` of a DuckDB file (created when missing).
// Usage: node bench/cli-bare-load.mjs <file.ndjson> <database.duckdb>
import { DuckDBInstance } from '@duckdb/node-api';

const [file, database] = process.argv.slice(2);
if (!file || !database) throw new Error('usage: cli-bare-load.mjs <file.ndjson> <database.duckdb>');
const columns =
  "{order_id:'VARCHAR',customer_id:'VARCHAR',customer_email:'VARCHAR',status:'VARCHAR',order_ts:'TIMESTAMP',order_total:'DECIMAL(12,2)',currency:'VARCHAR',fx_rate:'DOUBLE',updated_at:'TIMESTAMP'}";
const instance = await DuckDBInstance.create(database);
const connection = await instance.connect();
const read = `read_json('${file.replaceAll("'", "''")}', format='newline_delimited', columns=${columns})`;
await connection.run(`CREATE TABLE IF NOT EXISTS orders AS SELECT * FROM ${read} LIMIT 0`);
await connection.run(`INSERT INTO orders SELECT * FROM ${read}`);
const rows = (await connection.runAndReadAll('SELECT count(*) AS n FROM orders')).getRowObjectsJson()[0]?.n;
connection.closeSync();
instance.closeSync();
process.stdout.write(`${rows} rows in orders\n`);
