package io.liquid4j.tensor;

/** Elementwise functions of two (broadcast) inputs. Comparisons produce U8 (0/1). */
public enum BinaryOp {
    ADD(false), SUB(false), MUL(false), DIV(false), POW(false), MAX(false), MIN(false),
    EQ(true), NE(true), LT(true), LE(true), GT(true), GE(true);

    private final boolean comparison;

    BinaryOp(boolean comparison) { this.comparison = comparison; }

    public boolean isComparison() { return comparison; }

    /** Scalar reference definition (in double) that every backend must match. */
    public double apply(double a, double b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> Math.pow(a, b);
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
        };
    }
}
