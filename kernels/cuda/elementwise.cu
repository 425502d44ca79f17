// Elementwise kernels over strided views: copy/cast, fill, arange, unary (+backward), binary, where.
//
// Memory traffic: each kernel reads every input element once and writes every output element
// once (broadcast operands with stride 0 are re-read from cache). Launch shape: 1-D grid-stride,
// 256 threads per block, blocks = min(ceil(numel/256), 65535·4); offsets come from the Dims
// struct (the Java side merges dims first, so a contiguous op has ndim == 1 and costs one div).
// Math is done in double so results match the CPU reference (UnaryOp.apply / BinaryOp.apply)
// to the last f32 bit in nearly all cases; these kernels are memory bound, so fp64 costs little.
#include "common.cuh"

extern "C" __global__ void l4j_copy(Dims d, const void* src, int st, void* dst, int dt) {
    bool ints = !is_float_dt(st) && !is_float_dt(dt);
    GRID_STRIDE(i, d.numel) {
        long long off[2];
        offsets<2>(d, i, off);  // operand 0 = dst, 1 = src
        if (ints) store_i(dst, dt, off[0], load_i(src, st, off[1]));
        else store_d(dst, dt, off[0], load_d(src, st, off[1]));
    }
}

extern "C" __global__ void l4j_fill(Dims d, void* dst, int dt, double v) {
    GRID_STRIDE(i, d.numel) {
        long long off[1];
        offsets<1>(d, i, off);
        store_d(dst, dt, off[0], v);
    }
}

// Contiguous dst: start + i·step; integer dtypes round like Java's Math.round.
extern "C" __global__ void l4j_arange(long long n, void* dst, int dt, double start, double step) {
    GRID_STRIDE(i, n) {
        double v = start + (double)i * step;
        if (is_float_dt(dt)) store_d(dst, dt, i, v);
        else store_i(dst, dt, i, java_d2l(floor(v + 0.5)));
    }
}

// erf with the same Numerical Recipes formula as UnaryOp.erf (so GELU matches the CPU exactly).
__device__ double nr_erf(double x) {
    double z = fabs(x);
    double t = 1 / (1 + 0.5 * z);
    double r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
            + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
            + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? 1 - r : r - 1;
}
__device__ double sigmoid_d(double x) { return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)); }
__device__ double jmax(double a, double b) { return (a != a || b != b) ? (a + b) : (a >= b ? a : b); }
__device__ double jmin(double a, double b) { return (a != a || b != b) ? (a + b) : (a <= b ? a : b); }
#define GELU_C 0.7978845608028654

// op: an L4J_UNARY_* code (UnaryOp.ordinal()).
__device__ double unary_apply(int op, double x, double p, double q) {
    switch (op) {
        case L4J_UNARY_NEG: return -x;
        case L4J_UNARY_EXP: return exp(x);
        case L4J_UNARY_LOG: return log(x);
        case L4J_UNARY_SQRT: return sqrt(x);
        case L4J_UNARY_RSQRT: return 1 / sqrt(x);
        case L4J_UNARY_ABS: return fabs(x);
        case L4J_UNARY_TANH: return tanh(x);
        case L4J_UNARY_SIGMOID: return sigmoid_d(x);
        case L4J_UNARY_SILU: return x * sigmoid_d(x);
        case L4J_UNARY_GELU: return 0.5 * x * (1 + nr_erf(x / 1.4142135623730951));
        case L4J_UNARY_GELU_TANH: return 0.5 * x * (1 + tanh(GELU_C * (x + 0.044715 * x * x * x)));
        case L4J_UNARY_RELU: return x > 0 || isnan(x) ? x : 0;   // NaN propagates (UnaryOp.RELU)
        case L4J_UNARY_POW: return pow(x, p);
        case L4J_UNARY_CLAMP: return jmin(jmax(x, p), q);
        case L4J_UNARY_AFFINE: return x * p + q;
        default: return NAN;  // not a UnaryOp code
    }
}
__device__ double unary_derivative(int op, double x, double y, double p, double q) {
    switch (op) {
        case L4J_UNARY_NEG: return -1;
        case L4J_UNARY_EXP: return y;
        case L4J_UNARY_LOG: return 1 / x;
        case L4J_UNARY_SQRT: return 0.5 / y;
        case L4J_UNARY_RSQRT: return -0.5 * y * y * y;
        case L4J_UNARY_ABS: return x > 0 ? 1 : (x < 0 ? -1 : x);  // Math.signum (keeps ±0 and NaN)
        case L4J_UNARY_TANH: return 1 - y * y;
        case L4J_UNARY_SIGMOID: return y * (1 - y);
        case L4J_UNARY_SILU: { double s = sigmoid_d(x); return s * (1 + x * (1 - s)); }
        case L4J_UNARY_GELU: return 0.5 * (1 + nr_erf(x / 1.4142135623730951)) + x * exp(-0.5 * x * x) / sqrt(2 * 3.141592653589793);
        case L4J_UNARY_GELU_TANH: {
            double inner = GELU_C * (x + 0.044715 * x * x * x);
            double t = tanh(inner);
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
        }
        case L4J_UNARY_RELU: return x > 0 ? 1 : 0;
        case L4J_UNARY_POW: return p == 0 ? 0 : p * pow(x, p - 1);
        case L4J_UNARY_CLAMP: return x >= p && x <= q ? 1 : 0;
        case L4J_UNARY_AFFINE: return p;
        default: return NAN;
    }
}

// out = op(x); x is read as f32 (CPU: Access.getF) and the result rounded to f32 like the CPU.
extern "C" __global__ void l4j_unary(Dims d, int op, const void* x, int xt, void* out, int ot, double p, double q) {
    GRID_STRIDE(i, d.numel) {
        long long off[2];
        offsets<2>(d, i, off);  // 0 = out, 1 = x
        double v = (float)unary_apply(op, (double)load_f(x, xt, off[1]), p, q);
        store_d(out, ot, off[0], v);
    }
}

// gi = g · op'(x; y).
extern "C" __global__ void l4j_unary_backward(Dims d, int op, const void* x, int xt, const void* y, int yt,
                                              const void* g, int gt, void* gi, int it, double p, double q) {
    GRID_STRIDE(i, d.numel) {
        long long off[4];
        offsets<4>(d, i, off);  // 0 = gi, 1 = x, 2 = y, 3 = g
        double r = load_d(g, gt, off[3]) * unary_derivative(op, load_d(x, xt, off[1]), load_d(y, yt, off[2]), p, q);
        store_d(gi, it, off[0], r);
    }
}

// op: an L4J_BINARY_* code (BinaryOp.ordinal()). Integer-only ADD/SUB/MUL/MAX/MIN stay in 64-bit integers.
__device__ double binary_apply(int op, double a, double b) {
    switch (op) {
        case L4J_BINARY_ADD: return a + b;
        case L4J_BINARY_SUB: return a - b;
        case L4J_BINARY_MUL: return a * b;
        case L4J_BINARY_DIV: return a / b;
        case L4J_BINARY_POW: return pow(a, b);
        case L4J_BINARY_MAX: return jmax(a, b);
        case L4J_BINARY_MIN: return jmin(a, b);
        case L4J_BINARY_EQ: return a == b ? 1 : 0;
        case L4J_BINARY_NE: return a != b ? 1 : 0;
        case L4J_BINARY_LT: return a < b ? 1 : 0;
        case L4J_BINARY_LE: return a <= b ? 1 : 0;
        case L4J_BINARY_GT: return a > b ? 1 : 0;
        case L4J_BINARY_GE: return a >= b ? 1 : 0;
        default: return NAN;  // not a BinaryOp code
    }
}

extern "C" __global__ void l4j_binary(Dims d, int op, const void* a, int at, const void* b, int bt, void* out, int ot) {
    bool ints = !is_float_dt(at) && !is_float_dt(bt) && !is_float_dt(ot) && op != L4J_BINARY_DIV && op != L4J_BINARY_POW;
    GRID_STRIDE(i, d.numel) {
        long long off[3];
        offsets<3>(d, i, off);  // 0 = out, 1 = a, 2 = b
        if (ints) {
            long long x = load_i(a, at, off[1]), y = load_i(b, bt, off[2]), r;
            switch (op) {
                case L4J_BINARY_ADD: r = x + y; break;
                case L4J_BINARY_SUB: r = x - y; break;
                case L4J_BINARY_MUL: r = x * y; break;
                case L4J_BINARY_MAX: r = x > y ? x : y; break;
                case L4J_BINARY_MIN: r = x < y ? x : y; break;
                default: r = java_d2l(binary_apply(op, (double)x, (double)y)); break;
            }
            store_i(out, ot, off[0], r);
        } else {
            double r = binary_apply(op, load_d(a, at, off[1]), load_d(b, bt, off[2]));
            store_d(out, ot, off[0], is_float_dt(ot) ? (double)(float)r : r);
        }
    }
}

// out = cond ? a : b, copying raw elements of width w bytes (a, b, out share out's dtype).
extern "C" __global__ void l4j_where(Dims d, const unsigned char* cond, const void* a, const void* b, void* out, int w) {
    GRID_STRIDE(i, d.numel) {
        long long off[4];
        offsets<4>(d, i, off);  // 0 = out, 1 = cond, 2 = a, 3 = b
        bool c = cond[off[1]] != 0;
        const char* src = (const char*)(c ? a : b) + (c ? off[2] : off[3]) * w;
        char* dst = (char*)out + off[0] * w;
        switch (w) {  // numeric cases: an element width in bytes, not a code
            case 1: *dst = *src; break;
            case 2: *(short*)dst = *(const short*)src; break;
            case 4: *(int*)dst = *(const int*)src; break;
            default: *(long long*)dst = *(const long long*)src; break;
        }
    }
}
