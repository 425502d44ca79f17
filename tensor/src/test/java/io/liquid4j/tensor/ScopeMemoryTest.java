package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.cpu.NativeMemory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Deterministic lifetimes: scopes free their temporaries, so a training loop runs in flat native
 * memory. Every test measures NativeMemory.liveBytes() deltas inside its own scope (other test
 * classes may leave unscoped tensors for the GC, which do not change while this test runs on its
 * own thread).
 */
class ScopeMemoryTest {
    /**
     * Lets the GC safety net free whatever earlier tests dropped without closing, so that it cannot
     * change liveBytes() while a test measures (the Cleaner runs on its own thread at any time).
     */
    @BeforeEach
    void settleUnreachableTensors() throws InterruptedException {
        long prev = Long.MIN_VALUE;
        int stable = 0;
        for (int i = 0; i < 50 && stable < 2; i++) {
            System.gc();
            Thread.sleep(10);
            long now = NativeMemory.liveBytes();
            stable = now == prev ? stable + 1 : 0;
            prev = now;
        }
    }

    @Test
    void trainingLoopRunsInFlatMemory() {
        long before = NativeMemory.liveBytes();
        int in = 8, hidden = 16, out = 4, batch = 32;
        Generator gen = new Generator(123);
        // parameters and data live outside the per-step scopes
        try (var _ = TensorScope.open()) {
            Tensor w1 = Tensor.randn(gen, hidden, in).mul(0.3).requiresGrad(true);
            Tensor b1 = Tensor.zeros(hidden).requiresGrad(true);
            Tensor w2 = Tensor.randn(gen, out, hidden).mul(0.3).requiresGrad(true);
            Tensor b2 = Tensor.zeros(out).requiresGrad(true);
            Tensor[] params = {w1, b1, w2, b2};
            Tensor x = Tensor.randn(gen, batch, in);
            Tensor target = Tensor.randn(gen, in, out).mul(0.5);
            Tensor y;
            try (var _ = GradMode.noGrad()) {
                y = x.matmul(target).tanh();
            }
            double lr = 0.1;
            double firstLoss = Double.NaN, lastLoss = Double.NaN;
            long afterStep10 = -1;
            for (int step = 1; step <= 1000; step++) {
                try (var _ = TensorScope.open()) {
                    Tensor h = F.linear(x, w1, b1).silu();
                    Tensor pred = F.linear(h, w2, b2);
                    Tensor diff = pred.sub(y);
                    Tensor loss = diff.mul(diff).mean();
                    loss.backward();
                    try (var _ = GradMode.noGrad()) {
                        for (Tensor p : params) {
                            p.addInPlace(p.grad().mul(-lr));
                            p.zeroGrad();
                        }
                    }
                    double l = loss.item();
                    if (step == 1) firstLoss = l;
                    lastLoss = l;
                }
                if (step == 10) afterStep10 = NativeMemory.liveBytes();
            }
            long afterStep1000 = NativeMemory.liveBytes();
            assertEquals(afterStep10, afterStep1000, 4096, "native memory grew from step 10 to step 1000");
            assertTrue(lastLoss < firstLoss * 0.5, "loss should fall: " + firstLoss + " -> " + lastLoss);
            for (Tensor p : params) assertNull(p.grad());
        }
        assertEquals(before, NativeMemory.liveBytes(), 1024, "closing the outer scope frees parameters and data");
    }

    @Test
    void scopeFreesEverythingCreatedInsideExceptKept() {
        try (var _ = TensorScope.open()) {
            long base = NativeMemory.liveBytes();
            Tensor kept;
            Tensor inner;
            try (var s = TensorScope.open()) {
                Tensor a = Tensor.ones(1000);
                Tensor b = a.mul(2).exp().sum(0, true);
                inner = a.add(1);
                kept = s.keep(b.add(1));
                assertTrue(NativeMemory.liveBytes() > base + 3 * 4000);
                assertEquals(5, s.size(), "a, a*2, exp, sum, a+1 (b+1 moved out)");
            }
            assertTrue(inner.isClosed());
            assertFalse(kept.isClosed());
            assertEquals(1 + Math.exp(2) * 1000, kept.item(), 1e-1);
            assertEquals(base + 64, NativeMemory.liveBytes(), 64, "only the kept tensor remains");
            assertThrows(IllegalStateException.class, inner::toFloatArray);
        }
    }

    @Test
    void keptTensorMovesToTheParentAndDiesWithIt() {
        long base = NativeMemory.liveBytes();
        Tensor k;
        try (var outer = TensorScope.open()) {
            try (var inner = TensorScope.open()) {
                k = inner.keep(Tensor.zeros(100));
                assertThrows(IllegalArgumentException.class, () -> outer.keep(Tensor.zeros(1)), "keep of a tensor of another scope");
            }
            assertFalse(k.isClosed());
            assertEquals(1, outer.size());
        }
        assertTrue(k.isClosed());
        assertEquals(base, NativeMemory.liveBytes());
    }

    @Test
    void viewsKeepStorageAliveUntilTheLastIsClosed() {
        long base = NativeMemory.liveBytes();
        Tensor a = Tensor.zeros(256);
        Tensor v = a.narrow(0, 10, 20);
        Tensor r = a.reshape(16, 16);
        Tensor t = r.t();
        r.close();     // an intermediate view holds a reference too (outside a scope only close or the GC release it)
        a.close();
        assertTrue(a.isClosed());
        assertEquals(base + 1024, NativeMemory.liveBytes(), "views still hold the storage");
        v.fill(3);
        assertEquals(3, t.get(0, 1));
        v.close();
        v.close();     // idempotent
        assertEquals(base + 1024, NativeMemory.liveBytes());
        t.close();
        assertEquals(base, NativeMemory.liveBytes(), "the last view frees the storage");
        assertThrows(IllegalStateException.class, () -> t.toFloatArray());
        assertThrows(IllegalStateException.class, () -> a.narrow(0, 0, 1));
    }

    @Test
    void gradientsAreUnscopedAndFreedByZeroGrad() {
        long base = NativeMemory.liveBytes();
        Tensor p = Tensor.ones(1000).requiresGrad(true);
        try (var _ = TensorScope.open()) {
            p.mul(p).sum().backward();
        }
        assertNotNull(p.grad());
        assertFalse(p.grad().isClosed(), "the gradient survives the step scope");
        assertEquals(2, p.grad().get(5));
        long withGrad = NativeMemory.liveBytes();
        assertEquals(base + 8000, withGrad, 256);
        p.zeroGrad();
        assertEquals(base + 4000, NativeMemory.liveBytes(), 128);
        p.close();
        assertEquals(base, NativeMemory.liveBytes());
    }

    @Test
    void closingAParameterFreesItsGradientAndNoGradInferenceLoopIsFlat() {
        long base = NativeMemory.liveBytes();
        Tensor p = Tensor.ones(64).requiresGrad(true);
        try (var _ = TensorScope.open()) {
            p.exp().sum().backward();
        }
        Tensor g = p.grad();
        p.close();
        assertTrue(g.isClosed());
        assertEquals(base, NativeMemory.liveBytes());
        // inference under noGrad: no graph, every temporary freed per iteration
        Tensor w = Tensor.randn(new Generator(1), 64, 64);
        long start = -1;
        try (var _ = GradMode.noGrad()) {
            for (int i = 0; i < 200; i++) {
                try (var _ = TensorScope.open()) {
                    Tensor x = Tensor.randn(new Generator(i), 4, 64);
                    F.softmax(F.rmsNorm(x.matmul(w), null, 1e-6), -1).sum().item();
                }
                if (i == 5) start = NativeMemory.liveBytes();
            }
        }
        assertEquals(start, NativeMemory.liveBytes());
        w.close();
    }

    @Test
    void scopeMisuse() {
        var outer = TensorScope.open();
        var inner = TensorScope.open();
        assertThrows(IllegalStateException.class, outer::close, "out of order");
        inner.close();
        outer.close();
        outer.close();    // idempotent
        Thread[] t = new Thread[1];
        var s = TensorScope.open();
        Throwable[] err = new Throwable[1];
        t[0] = new Thread(() -> {
            try {
                s.close();
            } catch (Throwable e) {
                err[0] = e;
            }
        });
        t[0].start();
        try {
            t[0].join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertTrue(err[0] instanceof IllegalStateException, "closing from another thread must fail");
        s.close();
    }
}
