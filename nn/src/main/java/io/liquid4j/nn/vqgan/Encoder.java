package io.liquid4j.nn.vqgan;

import io.liquid4j.nn.Module;
import io.liquid4j.nn.ModuleList;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Image [N, in_channels, H, W] → latent [N, z_channels (×2 when double_z), H/f, W/f] with
 * f = 2^(levels−1): conv_in, the down levels, mid, norm_out, swish, conv_out.
 */
public final class Encoder extends Module {
    private final Conv2d convIn, convOut;
    private final ModuleList<Level> down = new ModuleList<>();
    private final MidBlock mid;
    private final GroupNorm normOut;

    public Encoder(VqConfig c, Generator gen) {
        int[] mult = c.chMult();
        convIn = child("conv_in", new Conv2d(c.inChannels(), c.ch(), 3, 1, 1, gen));
        child("down", down);
        int res = c.resolution();
        int blockIn = c.ch();
        for (int i = 0; i < mult.length; i++) {
            Level level = down.add(new Level());
            int blockOut = c.ch() * mult[i];
            for (int j = 0; j < c.numResBlocks(); j++) {
                level.block.add(new ResnetBlock(blockIn, blockOut, c.normGroups(), c.dropout(), gen));
                blockIn = blockOut;
                if (c.attentionAt(res)) level.attn.add(new AttnBlock(blockIn, c.normGroups(), gen));
            }
            if (i != mult.length - 1) {
                level.setDownsample(new Downsample(blockIn, gen));
                res /= 2;
            }
        }
        mid = child("mid", new MidBlock(blockIn, c.normGroups(), c.dropout(), gen));
        normOut = child("norm_out", GroupNorm.normalize(c.normGroups(), blockIn));
        convOut = child("conv_out", new Conv2d(blockIn, c.doubleZ() ? 2 * c.zChannels() : c.zChannels(), 3, 1, 1, gen));
    }

    public Tensor forward(Tensor x) {
        List<UnaryOperator<Tensor>> stages = new ArrayList<>();
        stages.add(convIn::forward);
        for (Level level : down) stages.add(level::forward);
        stages.add(mid::forward);
        stages.add(h -> Inference.step(() -> Inference.chain(h, normOut::forwardSwish, convOut::forward)));
        return Inference.chain(x, stages);
    }
}
