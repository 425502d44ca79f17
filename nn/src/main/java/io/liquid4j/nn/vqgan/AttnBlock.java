package io.liquid4j.nn.vqgan;

import io.liquid4j.nn.Module;
import io.liquid4j.tensor.AttentionSpec;
import io.liquid4j.tensor.F;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;

/**
 * Single-head self-attention over the H·W positions of a feature map with 1×1 convolutions
 * q, k, v and proj_out, scaled by C^-1/2; output x + proj_out(attention).
 */
public final class AttnBlock extends Module {
    private final GroupNorm norm;
    private final Conv2d q, k, v, projOut;
    private final int channels;

    public AttnBlock(int channels, int groups, Generator gen) {
        this.channels = channels;
        norm = child("norm", GroupNorm.normalize(groups, channels));
        q = child("q", new Conv2d(channels, channels, 1, 1, 0, gen));
        k = child("k", new Conv2d(channels, channels, 1, 1, 0, gen));
        v = child("v", new Conv2d(channels, channels, 1, 1, 0, gen));
        projOut = child("proj_out", new Conv2d(channels, channels, 1, 1, 0, gen));
    }

    public Tensor forward(Tensor x) {
        return Inference.step(() -> {
            int n = x.size(0), h = x.size(2), w = x.size(3), c = channels;
            Tensor hn = norm.forward(x);
            // [N, C, H, W] → [N, HW, C]: positions are the sequence, channels the head dim
            Tensor qs = q.forward(hn).reshape(n, c, h * w).transpose(1, 2);
            Tensor ks = k.forward(hn).reshape(n, c, h * w).transpose(1, 2);
            Tensor vs = v.forward(hn).reshape(n, c, h * w).transpose(1, 2);
            Tensor att = F.attention(qs, ks, vs, AttentionSpec.full(1 / Math.sqrt(c)));
            Tensor out = projOut.forward(att.transpose(1, 2).reshape(n, c, h, w));
            return GradMode.isEnabled() ? x.add(out) : out.addInPlace(x);
        });
    }
}
