/** Shard 2 of the isolation matrix (shards.ts). */
import { matrixShard } from "./shards.ts";

matrixShard(2, 4);
