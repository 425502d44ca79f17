package io.liquid4j.nn.vqgan;

import io.liquid4j.nn.Module;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;

/**
 * norm1 → swish → conv1 (3×3) → norm2 → swish → dropout → conv2 (3×3), plus the input (through
 * a 1×1 `nin_shortcut` when the width changes). No time embedding.
 */
public final class ResnetBlock extends Module {
    private final GroupNorm norm1, norm2;
    private final Conv2d conv1, conv2, ninShortcut;
    private final double dropout;
    private final Generator gen;

    public ResnetBlock(int in, int out, int groups, double dropout, Generator gen) {
        this.dropout = dropout;
        this.gen = gen;
        norm1 = child("norm1", GroupNorm.normalize(groups, in));
        conv1 = child("conv1", new Conv2d(in, out, 3, 1, 1, gen));
        norm2 = child("norm2", GroupNorm.normalize(groups, out));
        conv2 = child("conv2", new Conv2d(out, out, 3, 1, 1, gen));
        ninShortcut = in != out ? child("nin_shortcut", new Conv2d(in, out, 1, 1, 0, gen)) : null;
    }

    public Tensor forward(Tensor x) {
        return Inference.step(() -> {
            Tensor h = Inference.chain(x, norm1::forwardSwish, conv1::forward, norm2::forwardSwish,
                    t -> F.dropout(t, dropout, isTraining(), gen), conv2::forward);
            Tensor skip = ninShortcut == null ? x : ninShortcut.forward(x);
            return GradMode.isEnabled() ? skip.add(h) : h.addInPlace(skip);
        });
    }
}
