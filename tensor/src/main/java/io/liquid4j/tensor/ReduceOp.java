package io.liquid4j.tensor;

/** Reductions along one dimension. ARGMAX/ARGMIN produce I64 indices (first occurrence on ties). */
public enum ReduceOp { SUM, MAX, MIN, ARGMAX, ARGMIN, LOGSUMEXP }
