/** Shard 1 of the isolation matrix (shards.ts). */
import { matrixShard } from "./shards.ts";

matrixShard(1, 4);
