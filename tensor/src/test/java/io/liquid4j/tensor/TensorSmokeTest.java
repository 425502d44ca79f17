package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TensorSmokeTest {
    @Test
    void addBroadcastAndGrad() {
        Tensor a = Tensor.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        Tensor b = Tensor.fromArray(new float[] {10, 20, 30}, 3).requiresGrad(true);
        Tensor c = a.mul(b).add(b);
        assertArrayEquals(new float[] {20, 60, 120, 50, 120, 210}, c.toFloatArray());
        c.sum().backward();
        assertArrayEquals(new float[] {10, 20, 30, 10, 20, 30}, a.grad().toFloatArray());
        assertArrayEquals(new float[] {1 + 4 + 2, 2 + 5 + 2, 3 + 6 + 2}, b.grad().toFloatArray());
    }

    @Test
    void matmulAndSoftmax() {
        Tensor a = Tensor.fromArray(new float[] {1, 2, 3, 4}, 2, 2);
        Tensor b = Tensor.fromArray(new float[] {5, 6, 7, 8}, 2, 2);
        assertArrayEquals(new float[] {19, 22, 43, 50}, a.matmul(b).toFloatArray());
        assertArrayEquals(new float[] {17, 23, 39, 53}, a.matmul(b.t()).toFloatArray());
        float[] s = F.softmax(a, -1).toFloatArray();
        assertEquals(1.0, s[0] + s[1], 1e-6);
        GradCheck.defaults().check(x -> F.softmax(x[0], 0).matmul(x[1]), Tensor.randn(new Generator(1), 3, 4), Tensor.randn(new Generator(2), 4, 2));
    }
}
