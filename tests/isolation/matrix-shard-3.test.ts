/** Shard 3 of the isolation matrix (shards.ts). */
import { matrixShard } from "./shards.ts";

matrixShard(3, 4);
