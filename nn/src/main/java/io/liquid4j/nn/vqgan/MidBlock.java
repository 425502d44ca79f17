package io.liquid4j.nn.vqgan;

import io.liquid4j.nn.Module;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;

/** The "mid" stage of encoder and decoder: block_1 → attn_1 → block_2 at one width. */
final class MidBlock extends Module {
    private final ResnetBlock block1, block2;
    private final AttnBlock attn1;

    MidBlock(int channels, int groups, double dropout, Generator gen) {
        block1 = child("block_1", new ResnetBlock(channels, channels, groups, dropout, gen));
        attn1 = child("attn_1", new AttnBlock(channels, groups, gen));
        block2 = child("block_2", new ResnetBlock(channels, channels, groups, dropout, gen));
    }

    Tensor forward(Tensor x) {
        return Inference.chain(x, block1::forward, attn1::forward, block2::forward);
    }
}
