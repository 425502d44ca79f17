package io.liquid4j.cli;

import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What the Liquid commands read from a model directory before the weights: its layout and
 * tokenizer. The layout is null only from {@link #loadTextOrLiquid} for a plain text LM.
 */
record LiquidFiles(LiquidLayout layout, Tokenizer tokenizer) {
    static LiquidFiles load(Path model) throws IOException {
        return load(model, LiquidLayout.load(model));
    }

    /** A Liquid model's files, or a text LM's tokenizer with a null layout (what `liquid train` accepts). */
    static LiquidFiles loadTextOrLiquid(Path model) throws IOException {
        return load(model, LiquidLayout.isLiquid(model) ? LiquidLayout.load(model) : null);
    }

    /** The sequence builder for this model: a Liquid one, or text-only for a text LM. */
    SequenceBuilder sequences() {
        return layout == null ? SequenceBuilder.textOnly(tokenizer) : SequenceBuilder.of(tokenizer, layout);
    }

    private static LiquidFiles load(Path model, LiquidLayout layout) throws IOException {
        Tokenizer tokenizer = GenerateCommand.loadTokenizer(model);
        if (tokenizer == null) throw new IllegalArgumentException(model + " holds no tokenizer.json: a Liquid model reads and writes text");
        return new LiquidFiles(layout, tokenizer);
    }

    /** The image's codes, checked against the model's grid and code count. */
    int[] checkedCodes(int[] codes) {
        if (codes.length != layout.tokensPerImage()) {
            throw new IllegalArgumentException("the image has " + codes.length + " codes but this model reads " + layout.gridRows() + "x" + layout.gridCols()
                    + " = " + layout.tokensPerImage() + " per image");
        }
        for (int c : codes) {
            if (c < 0 || c >= layout.imageCodes()) throw new IllegalArgumentException("image code " + c + " is outside [0, " + layout.imageCodes() + ")");
        }
        return codes;
    }
}
