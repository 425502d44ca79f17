package io.liquid4j.tensor;

/**
 * Elementwise functions of one input (plus up to two scalar parameters). Each constant carries its
 * scalar reference definition and its derivative, which the CPU backend uses directly and other
 * backends must match; {@code derivative} receives the input x and the forward output y.
 */
public enum UnaryOp {
    NEG { public double apply(double x, double p, double q) { return -x; }
          public double derivative(double x, double y, double p, double q) { return -1; } },
    EXP { public double apply(double x, double p, double q) { return Math.exp(x); }
          public double derivative(double x, double y, double p, double q) { return y; } },
    LOG { public double apply(double x, double p, double q) { return Math.log(x); }
          public double derivative(double x, double y, double p, double q) { return 1 / x; } },
    SQRT { public double apply(double x, double p, double q) { return Math.sqrt(x); }
           public double derivative(double x, double y, double p, double q) { return 0.5 / y; } },
    RSQRT { public double apply(double x, double p, double q) { return 1 / Math.sqrt(x); }
            public double derivative(double x, double y, double p, double q) { return -0.5 * y * y * y; } },
    ABS { public double apply(double x, double p, double q) { return Math.abs(x); }
          public double derivative(double x, double y, double p, double q) { return Math.signum(x); } },
    TANH { public double apply(double x, double p, double q) { return Math.tanh(x); }
           public double derivative(double x, double y, double p, double q) { return 1 - y * y; } },
    SIGMOID { public double apply(double x, double p, double q) { return sigmoid(x); }
              public double derivative(double x, double y, double p, double q) { return y * (1 - y); } },
    SILU { public double apply(double x, double p, double q) { return x * sigmoid(x); }
           public double derivative(double x, double y, double p, double q) {
               double s = sigmoid(x);
               return s * (1 + x * (1 - s));
           } },
    /** Exact GELU: x·Φ(x). */
    GELU { public double apply(double x, double p, double q) { return 0.5 * x * (1 + erf(x / Math.sqrt(2))); }
           public double derivative(double x, double y, double p, double q) {
               return 0.5 * (1 + erf(x / Math.sqrt(2))) + x * Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
           } },
    /** GELU with the tanh approximation (Gemma's GeGLU). */
    GELU_TANH { public double apply(double x, double p, double q) {
                    return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
                }
                public double derivative(double x, double y, double p, double q) {
                    double inner = GELU_C * (x + 0.044715 * x * x * x);
                    double t = Math.tanh(inner);
                    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
                } },
    RELU { public double apply(double x, double p, double q) { return x > 0 || Double.isNaN(x) ? x : 0; }  // NaN propagates, as PyTorch
           public double derivative(double x, double y, double p, double q) { return x > 0 ? 1 : 0; } },
    /** x^p for a scalar exponent p. */
    POW { public double apply(double x, double p, double q) { return Math.pow(x, p); }
          public double derivative(double x, double y, double p, double q) {
              return p == 0 ? 0 : p * Math.pow(x, p - 1);
          } },
    /** min(max(x, p), q); gradient passes where p ≤ x ≤ q (as PyTorch). */
    CLAMP { public double apply(double x, double p, double q) { return Math.min(Math.max(x, p), q); }
            public double derivative(double x, double y, double p, double q) { return x >= p && x <= q ? 1 : 0; } },
    /** x·p + q (affine with scalars: used for scalar add/mul/sub/div). */
    AFFINE { public double apply(double x, double p, double q) { return x * p + q; }
             public double derivative(double x, double y, double p, double q) { return p; } };

    static final double GELU_C = Math.sqrt(2 / Math.PI);

    public abstract double apply(double x, double p, double q);

    public abstract double derivative(double x, double y, double p, double q);

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /** erf with |error| &lt; 1.2e-7 (Numerical Recipes erfc via Chebyshev), enough for f32 results. */
    public static double erf(double x) {
        double z = Math.abs(x);
        double t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - r : r - 1;
    }
}
