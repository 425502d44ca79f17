package io.liquid4j.cli;

import io.liquid4j.generate.ChatSession;
import io.liquid4j.generate.SamplingParams;
import io.liquid4j.liquid.ChatTemplate;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.nn.transformer.ModelConfig;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** `liquid chat`: a multi-turn conversation in the family's chat template, optionally about an image, with one KV cache for all turns. */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Chat with a Liquid model (the chat template of Gemma, Llama 3 or Qwen2). Interactive on a terminal: one line per turn, "
                + "/reset starts over, an empty line or end of input quits. With standard input redirected, all of it is one message."})
final class ChatCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Liquid model directory.")
    Path model;

    @Option(names = "--image", paramLabel = "FILE", description = "An image shown in the first turn (encoded with the model's VQGAN).")
    Path imageFile;

    @Option(names = "--codes", paramLabel = "FILE", description = "An image as codes JSON (imagine --codes-out or vq encode --out), instead of --image.")
    Path codes;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Longest reply (default 256, or less when the model's context is shorter; "
            + "an explicit value beyond the context is an error).")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0", description = "0 = greedy (default); > 0 samples.")
    double temperature;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "1", description = "Nucleus mass (1 = off).")
    double topP;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Sampling seed.")
    long seed;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "auto", description = "Weight dtype: auto (as stored), f32, bf16, f16.")
    String dtype;

    @Mixin DeviceOption deviceOption;

    @Mixin WeightCheckOption checkOption;

    @Mixin KvCacheOption kvCacheOption;

    @Override public Integer call() throws IOException {
        if (imageFile != null && codes != null) throw new IllegalArgumentException("give --image or --codes, not both");
        SamplingParams sampling = CliChecks.sampling(temperature, 0, topP, seed);
        DType weightType = GenerateCommand.parseDType(dtype);
        CliChecks.inputFile(imageFile, "--image");
        CliChecks.inputFile(codes, "--codes");
        if (maxNewTokens != null && maxNewTokens < 1) throw new IllegalArgumentException("--max-new-tokens " + maxNewTokens + ": must be at least 1");
        Device dev = deviceOption.device();
        ModelConfig config = ConfigParser.load(model);
        int context = config.maxPositions() > 0 ? config.maxPositions() : 8192;
        if (maxNewTokens != null && maxNewTokens >= context) {
            throw new IllegalArgumentException("--max-new-tokens " + maxNewTokens + ": the model's context is " + context + " positions (max_position_embeddings), "
                    + "so a reply has at most " + (context - 1) + " tokens");
        }
        int replyTokens = maxNewTokens != null ? maxNewTokens : Math.min(256, context - 1);

        LiquidFiles files = LiquidFiles.load(model);
        LiquidLayout layout = files.layout();
        Tokenizer tokenizer = files.tokenizer();
        SequenceBuilder seq = SequenceBuilder.of(tokenizer, layout);
        int[] image = codes != null ? ImageCodesFile.readFirst(codes) : imageFile != null ? CaptionCommand.encode(model, imageFile, layout, dev, checkOption.check()) : null;
        if (image != null) files.checkedCodes(image);
        ChatTemplate template = ChatTemplate.of(tokenizer);   // fails now, not after loading, when the family has none
        CliChecks.kvCacheFits(config, 1, context, kvCacheOption.bound(), dev);
        CausalLM lm = CausalLM.fromPretrained(model, weightType, dev, checkOption.check());
        DType cacheType = kvCacheOption.dtype(lm);
        int[] stops = GenerateCommand.defaultStops(lm, tokenizer);
        stops = Arrays.copyOf(stops, stops.length + 1);
        stops[stops.length - 1] = tokenizer.tokenToId(template.endOfTurn());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        boolean interactive = System.console() != null;
        ChatSession chat = new ChatSession(lm, sampling, stops, layout.textVocabSize(), context, cacheType);
        try {
            boolean first = true;
            while (true) {
                String message;
                if (interactive) {
                    System.err.print("> ");
                    message = in.readLine();
                    if (message == null || message.isBlank()) break;
                    if (message.strip().equals("/reset")) {
                        chat.close();
                        chat = new ChatSession(lm, sampling, stops, layout.textVocabSize(), context, cacheType);
                        first = true;
                        continue;
                    }
                } else {
                    message = in.lines().collect(Collectors.joining("\n")).strip();
                    if (message.isEmpty()) throw new IllegalArgumentException("no message on standard input");
                }
                int[] turn = first ? seq.chatPrompt(image, message) : seq.chatTurn(message);
                first = false;
                chat.send(turn, replyTokens, GenerateCommand.textStream(tokenizer));
                System.out.println();
                System.out.flush();
                if (!interactive) break;
            }
        } finally {
            chat.close();
        }
        return 0;
    }
}
