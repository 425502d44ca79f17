package io.liquid4j.nn.vqgan;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Checkpoint;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A width-changing ResnetBlock (nin_shortcut) against PyTorch, with and without autograd. */
class ResnetBlockTest {
    @Test void ninShortcutBlockMatchesPyTorch() {
        Map<String, Tensor> all = Checkpoint.loadAll(VqGoldenTest.resource("resblock_nin.safetensors"));
        ResnetBlock blk = new ResnetBlock(32, 64, VqConfig.NORM_GROUPS, 0.0, new Generator(3));
        blk.train(false);
        try (var _ = GradMode.noGrad()) {
            for (var e : blk.namedParameters().entrySet()) e.getValue().set(all.get(e.getKey()).to(DType.F32));
        }
        Tensor x = all.get("x"), y = all.get("y");
        try (var _ = GradMode.noGrad()) {
            double err = VqGoldenTest.relErr(blk.forward(x), y);
            assertTrue(err <= 1e-4, "no-grad rel err " + err);
        }
        double err = VqGoldenTest.relErr(blk.forward(x).detach(), y);
        assertTrue(err <= 1e-4, "grad-mode rel err " + err);
        assertTrue(blk.namedParameters().containsKey("nin_shortcut.weight"));
        Map<String, Tensor> unused = new LinkedHashMap<>(all);
        unused.keySet().removeAll(blk.namedParameters().keySet());
        assertTrue(unused.keySet().equals(java.util.Set.of("x", "y")), "fixture tensors without a parameter: " + unused.keySet());
        assertTrue(Device.CPU.isCpu());
    }
}
