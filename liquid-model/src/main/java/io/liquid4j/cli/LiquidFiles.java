package io.liquid4j.cli;

import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;

/** What the Liquid commands read from a model directory before the weights: its layout and tokenizer. */
record LiquidFiles(LiquidLayout layout, Tokenizer tokenizer) {
    static LiquidFiles load(Path model) throws IOException {
        LiquidLayout layout = LiquidLayout.load(model);
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
