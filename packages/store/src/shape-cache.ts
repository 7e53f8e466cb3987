/**
 * Compiled SQL reused by shape. Kysely builds and compiles every query anew, and on a run's hot path
 * (its creation and each transition) that cost more CPU than SQLite's own work. Those writes come in
 * few shapes (which columns they set), so each shape's SQL is compiled once and then run with the
 * new values. A shape's SQL is kept only once its compiled parameters were checked to be exactly the
 * values given, in order; a query whose values include an SQL expression fails that check and is
 * simply compiled every time.
 */
import { CompiledQuery, type Compilable, type QueryResult } from 'kysely';

/** What runs a compiled query: a Kysely instance or a transaction of one. */
interface Executes {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

export type ShapeCache = <R>(db: Executes, shape: string, values: readonly unknown[], build: () => Compilable<R>) => Promise<QueryResult<R>>;

export function createShapeCache(max = 256): ShapeCache {
  // null: a shape seen to compile to other parameters than its values (never reused).
  const sqlOf = new Map<string, string | null>();
  return <R>(db: Executes, shape: string, values: readonly unknown[], build: () => Compilable<R>) => {
    // An undefined value makes Kysely leave its column out: another shape, compiled as it comes.
    const known = values.includes(undefined) ? null : sqlOf.get(shape);
    if (known) return db.executeQuery(CompiledQuery.raw(known, [...values]) as CompiledQuery<R>);
    const compiled = build().compile();
    if (known === undefined && sqlOf.size < max) sqlOf.set(shape, sameValues(compiled.parameters, values) ? compiled.sql : null);
    return db.executeQuery(compiled);
  };
}
