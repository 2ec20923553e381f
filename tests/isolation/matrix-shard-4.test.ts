/** Shard 4 of the isolation matrix (shards.ts). */
import { matrixShard } from "./shards.ts";

matrixShard(4, 4);
