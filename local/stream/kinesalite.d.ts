declare module 'kinesalite' {
  import type { Server } from 'node:http';

  interface KinesaliteOptions {
    /** LevelDB directory; in memory (memdown) when absent. */
    path?: string;
    /** ms a stream stays CREATING; `0` is honoured (only `null`/`undefined` mean the 500 ms default). */
    createStreamMs?: number;
    deleteStreamMs?: number;
    updateStreamMs?: number;
    /** Account-wide shard limit reported by CreateStream/SplitShard (default 10). */
    shardLimit?: number;
    ssl?: boolean;
  }
  export default function kinesalite(options?: KinesaliteOptions): Server;
}
