package io.liquid4j.nn.vqgan;

import io.liquid4j.nn.Module;
import io.liquid4j.nn.ModuleList;
import io.liquid4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One resolution level of the encoder ("down.i") or decoder ("up.i"): ResnetBlocks, each
 * followed by an AttnBlock when the level's resolution is listed in attn_resolutions, then the
 * optional resampler registered as "downsample" or "upsample".
 */
final class Level extends Module {
    final ModuleList<ResnetBlock> block = child("block", new ModuleList<>());
    final ModuleList<AttnBlock> attn = child("attn", new ModuleList<>());
    private Downsample downsample;
    private Upsample upsample;

    void setDownsample(Downsample d) { downsample = child("downsample", d); }

    void setUpsample(Upsample u) { upsample = child("upsample", u); }

    Tensor forward(Tensor x) {
        List<UnaryOperator<Tensor>> stages = new ArrayList<>();
        for (int j = 0; j < block.size(); j++) {
            stages.add(block.get(j)::forward);
            if (attn.size() > 0) stages.add(attn.get(j)::forward);
        }
        if (downsample != null) stages.add(downsample::forward);
        if (upsample != null) stages.add(upsample::forward);
        return Inference.chain(x, stages);
    }
}
