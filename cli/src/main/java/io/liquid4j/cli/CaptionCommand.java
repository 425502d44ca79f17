package io.liquid4j.cli;

import io.liquid4j.generate.GenerationConfig;
import io.liquid4j.generate.GenerationResult;
import io.liquid4j.generate.SamplingParams;
import io.liquid4j.generate.TextGenerator;
import io.liquid4j.image.ImageFiles;
import io.liquid4j.image.ImageTensors;
import io.liquid4j.image.Preprocess;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.nn.transformer.ModelConfig;
import io.liquid4j.tensor.DType;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `liquid caption`: describe an image (or answer a question about it) with a Liquid model. */
@Command(name = "caption", mixinStandardHelpOptions = true,
        description = {"Caption an image with a Liquid model: the image becomes VQGAN codes between <boi> and <eoi>, then the model writes "
                + "(greedy by default). Without --prompt the training layout is used (\"<boi> codes <eoi> The caption of this image is:\"); "
                + "with --prompt, the family's chat template (Gemma, Llama 3, Qwen2) asks the question about the image."})
final class CaptionCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Liquid model directory.")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--image", paramLabel = "FILE", description = "PNG or JPEG: padded to a square with (122,116,104), resized to the VQGAN's size, encoded.")
        Path image;

        @Option(names = "--codes", paramLabel = "FILE", description = "Codes JSON from `imagine --codes-out` (first image) or `vq encode --out`.")
        Path codes;
    }

    @Option(names = "--prompt", paramLabel = "Q", description = "A question about the image (asked in the family's chat template).")
    String prompt;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Most tokens to write (default 64, cut to what the context leaves; an explicit value beyond it is an error).")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0", description = "0 = greedy (default); > 0 samples.")
    double temperature;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Sampling seed.")
    long seed;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "auto", description = "Weight dtype: auto (as stored), f32, bf16, f16.")
    String dtype;

    @Mixin DeviceOption deviceOption;

    @Mixin WeightCheckOption checkOption;

    @Mixin KvCacheOption kvCacheOption;

    @Override public Integer call() throws IOException {
        SamplingParams sampling = CliChecks.sampling(temperature, 0, 1, seed);
        DType weightType = GenerateCommand.parseDType(dtype);
        CliChecks.inputFile(source.image, "--image");
        CliChecks.inputFile(source.codes, "--codes");
        Device dev = deviceOption.device();
        LiquidFiles files = LiquidFiles.load(model);
        LiquidLayout layout = files.layout();
        Tokenizer tokenizer = files.tokenizer();
        int[] codes = files.checkedCodes(source.codes != null ? ImageCodesFile.readFirst(source.codes) : encode(model, source.image, layout, dev, checkOption.check()));
        SequenceBuilder seq = SequenceBuilder.of(tokenizer, layout);
        int[] input = prompt == null ? seq.captionPrompt(codes) : seq.chatPrompt(codes, prompt);
        ModelConfig config = ConfigParser.load(model);
        int limit = CliChecks.newTokens(maxNewTokens, 64, input.length, config.maxPositions());
        CliChecks.kvCacheFits(config, 1, (long) input.length + Math.max(limit, 1), kvCacheOption.bound(), dev);
        CausalLM lm = CausalLM.fromPretrained(model, weightType, dev, checkOption.check());
        DType cacheType = kvCacheOption.dtype(lm);
        int[] stops = GenerateCommand.defaultStops(lm, tokenizer);
        int endOfTurn = prompt == null ? -1 : tokenizer.tokenToId(io.liquid4j.liquid.ChatTemplate.of(tokenizer).endOfTurn());
        if (endOfTurn >= 0) {
            stops = java.util.Arrays.copyOf(stops, stops.length + 1);
            stops[stops.length - 1] = endOfTurn;
        }
        GenerationConfig cfg = new GenerationConfig(limit, sampling, stops, 0);
        GenerationResult r = new TextGenerator(lm, cacheType, layout.textVocabSize()).generate(List.of(input), cfg, GenerateCommand.textStream(tokenizer));
        System.out.println();
        System.err.printf(Locale.ROOT, "prefill %d tokens: %.1f tok/s; decode %d steps: %.1f tok/s%n",
                r.promptTokens(), r.prefillTokensPerSecond(), r.decodeSteps(), r.decodeTokensPerSecond());
        return 0;
    }


    /** The codes of an image for understanding: Liquid's pad-to-square (122,116,104), Lanczos to the VQGAN's size, encode. */
    static int[] encode(Path model, Path image, LiquidLayout layout, Device dev, boolean checkWeights) {
        Path vq = layout.vqganDir(model);
        if (vq == null || !Files.isDirectory(vq)) throw new IllegalArgumentException(model + ": --image needs the model's VQGAN (liquid.json names "
                + (vq == null ? "none" : vq + ", which does not exist") + "); give --codes instead");
        VQModel m = VQModel.load(vq, checkWeights);
        if (!dev.isCpu()) m.to(null, dev);
        try (var _ = GradMode.noGrad()) {
            var img = Preprocess.liquidSquare(ImageFiles.read(image), m.config().resolution());
            long[] codes = m.encode(ImageTensors.toTensor(img).to(dev)).toLongArray();
            return java.util.Arrays.stream(codes).mapToInt(Math::toIntExact).toArray();
        }
    }
}
