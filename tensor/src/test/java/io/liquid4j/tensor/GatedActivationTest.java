package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/**
 * F.gatedActivation against the composed act(gate).mul(up): the CPU's fused SwiGLU kernel gives
 * the composed bits forward and backward (lengths with and without a scalar tail, more than one
 * work chunk); GELU_TANH and BF16 take the backend's composed default. Strided inputs are made
 * contiguous for the kernel, while the composed ops take their scalar loop on a view, whose
 * sigmoid may round one ulp apart. Finite differences in GradCheckOpsTest.
 */
class GatedActivationTest {
    private static void compare(UnaryOp act, DType dtype, boolean strided, int rows, int cols, float tol) {
        Generator gen = new Generator(rows * 31L + cols);
        Tensor gate0 = Tensor.randn(gen, DType.F32, Device.CPU, rows, cols).mul(3).unscoped();
        Tensor up0 = Tensor.randn(gen, DType.F32, Device.CPU, rows, cols).unscoped();
        Tensor r = Tensor.randn(gen, DType.F32, Device.CPU, rows, cols).unscoped();
        float[][] fused = run(act, dtype, strided, gate0, up0, r, true), composed = run(act, dtype, strided, gate0, up0, r, false);
        String what = act + " " + dtype + (strided ? " strided " : " ") + rows + "x" + cols;
        assertArrayEquals(composed[0], fused[0], tol, "forward, " + what);
        assertArrayEquals(composed[1], fused[1], tol, "gate gradient, " + what);
        assertArrayEquals(composed[2], fused[2], tol, "up gradient, " + what);
    }

    private static float[][] run(UnaryOp act, DType dtype, boolean strided, Tensor gate0, Tensor up0, Tensor r, boolean fused) {
        Tensor gate = gate0.to(dtype).detach().unscoped().requiresGrad(true), up = up0.to(dtype).detach().unscoped().requiresGrad(true);
        try (var _ = TensorScope.open()) {
            Tensor g = strided ? gate.t() : gate, u = strided ? up.t() : up;
            Tensor y = fused ? F.gatedActivation(g, u, act) : g.unary(act, 0, 0).mul(u);
            y.to(DType.F32).mul(strided ? r.t() : r).sum().backward();
            return new float[][] {y.to(DType.F32).contiguous().toFloatArray(), gate.grad().to(DType.F32).toFloatArray(), up.grad().to(DType.F32).toFloatArray()};
        }
    }

    @Test
    void swigluKernelGivesTheComposedBits() {
        compare(UnaryOp.SILU, DType.F32, false, 3, 384, 0f);       // a multiple of every vector length
        compare(UnaryOp.SILU, DType.F32, false, 7, 13, 0f);        // a scalar tail
        compare(UnaryOp.SILU, DType.F32, false, 5, 4001, 0f);      // several work chunks and a tail
    }

    @Test
    void otherActivationsDtypesAndLayoutsTakeTheComposedDefault() {
        compare(UnaryOp.GELU_TANH, DType.F32, false, 4, 40, 0f);
        compare(UnaryOp.SILU, DType.BF16, false, 4, 40, 0f);
        compare(UnaryOp.SILU, DType.F32, true, 6, 9, 1e-5f);
    }
}
