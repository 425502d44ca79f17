package io.liquid4j.cli;

import io.liquid4j.tensor.io.Json;
import io.liquid4j.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * `liquid tokenize`: text to ids (a JSON array on stdout) or, with --decode, ids to text (on
 * stdout). Reads a tokenizer.json, a llama2.c tokenizer.bin, or a model directory holding one.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Encode text to token ids (JSON on stdout) or decode ids back to text.")
final class TokenizeCommand implements Callable<Integer> {

    @Option(names = "--tokenizer", required = true, paramLabel = "FILE",
            description = "tokenizer.json, llama2.c tokenizer.bin, or a directory holding one of them.")
    Path tokenizer;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "Text to encode.")
        String text;

        @Option(names = "--decode", paramLabel = "IDS", split = ",", description = "Comma-separated ids to decode, e.g. 2,651,4320.")
        int[] decode;
    }

    @Option(names = "--no-special", description = "Encode without the tokenizer's special framing (BOS); decode without special tokens.")
    boolean noSpecial;

    @Override public Integer call() throws Exception {
        Tokenizer tok = Tokenizer.load(tokenizer);
        if (input.text != null) {
            System.out.println(Json.write(tok.encode(input.text, !noSpecial)));
        } else {
            System.out.println(tok.decode(input.decode, noSpecial));
        }
        return 0;
    }
}
