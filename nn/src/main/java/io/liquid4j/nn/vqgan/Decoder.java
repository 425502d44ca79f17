package io.liquid4j.nn.vqgan;

import io.liquid4j.nn.Module;
import io.liquid4j.nn.ModuleList;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Latent [N, z_channels, h, w] → image [N, out_ch, h·f, w·f]: conv_in, mid, the up levels from
 * the last to level 0 (num_res_blocks+1 ResnetBlocks each, an Upsample after all but level 0),
 * norm_out, swish, conv_out. No tanh: outputs are unbounded and clamped by the caller.
 */
public final class Decoder extends Module {
    private final Conv2d convIn, convOut;
    private final MidBlock mid;
    private final ModuleList<Level> up = new ModuleList<>();
    private final GroupNorm normOut;

    public Decoder(VqConfig c, Generator gen) {
        int[] mult = c.chMult();
        int levels = mult.length;
        int blockIn = c.ch() * mult[levels - 1];
        int res = c.resolution() / (1 << (levels - 1));
        convIn = child("conv_in", new Conv2d(c.zChannels(), blockIn, 3, 1, 1, gen));
        mid = child("mid", new MidBlock(blockIn, c.normGroups(), c.dropout(), gen));
        // PyTorch builds the levels from the last down to 0 but registers them as up.0..up.(L-1)
        Level[] built = new Level[levels];
        for (int i = levels - 1; i >= 0; i--) {
            Level level = new Level();
            int blockOut = c.ch() * mult[i];
            for (int j = 0; j <= c.numResBlocks(); j++) {
                level.block.add(new ResnetBlock(blockIn, blockOut, c.normGroups(), c.dropout(), gen));
                blockIn = blockOut;
                if (c.attentionAt(res)) level.attn.add(new AttnBlock(blockIn, c.normGroups(), gen));
            }
            if (i != 0) {
                level.setUpsample(new Upsample(blockIn, gen));
                res *= 2;
            }
            built[i] = level;
        }
        child("up", up);
        for (Level l : built) up.add(l);
        normOut = child("norm_out", GroupNorm.normalize(c.normGroups(), blockIn));
        convOut = child("conv_out", new Conv2d(blockIn, c.outCh(), 3, 1, 1, gen));
    }

    public Tensor forward(Tensor z) {
        List<UnaryOperator<Tensor>> stages = new ArrayList<>();
        stages.add(convIn::forward);
        stages.add(mid::forward);
        for (int i = up.size() - 1; i >= 0; i--) stages.add(up.get(i)::forward);
        stages.add(h -> Inference.step(() -> Inference.chain(h, normOut::forwardSwish, convOut::forward)));
        return Inference.chain(z, stages);
    }
}
