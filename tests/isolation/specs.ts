/**
 * One spec per table or view in an exposed schema: how to make a row inside and outside an
 * actor's scope, and what each actor may do. A new table without a spec fails the matrix.
 */
import type { TableSpec } from "./matrix.ts";
import { baseWorld, type BaseWorld } from "./world.ts";

export type MatrixWorld = BaseWorld;

export const buildWorld = baseWorld;

export const specs: TableSpec<MatrixWorld>[] = [];
