package io.liquid4j.api;

import io.liquid4j.generate.GenerationConfig;
import io.liquid4j.generate.GenerationResult;
import io.liquid4j.generate.ImageGenerator;
import io.liquid4j.generate.StopIds;
import io.liquid4j.generate.TextGenerator;
import io.liquid4j.generate.TextStream;
import io.liquid4j.generate.TokenListener;
import io.liquid4j.liquid.ChatTemplate;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.SequenceBuilder;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.nn.transformer.ModelConfig;
import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tokenizer.Tokenizer;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * A loaded model directory: a text language model (Llama, Qwen2, Gemma, Gemma 2 in the Hugging
 * Face layout: config.json, *.safetensors, tokenizer.json) or a Liquid model (the same plus
 * liquid.json and its VQGAN), ready to generate text, generate images with classifier-free
 * guidance, caption images, tokenize, and train.
 *
 * <pre>{@code
 * LiquidModel model = LiquidModel.loader(Path.of("models/liquid-7b")).dtype(DType.BF16).load();
 * String text = model.generate("The capital of France is", GenerationSettings.greedy(32), System.out::print);
 * List<BufferedImage> images = model.generateImages("a red cube on a table", ImageSettings.defaults());
 * }</pre>
 *
 * <p>The JVM must run with {@code --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED}
 * (see docs/EMBEDDING.md); without them the first call fails with a message naming the flag.
 *
 * <p>A model is not thread-safe: generate on one thread at a time (or load one model per thread).
 * Weights live off the Java heap and are released when the model is garbage-collected.
 */
public final class LiquidModel {
    private final Path dir;
    private final CausalLM lm;
    private final Tokenizer tokenizer;
    private final LiquidLayout layout;
    private final Device device;
    private final boolean checkWeights;
    private Vqgan vqgan;

    private LiquidModel(Path dir, CausalLM lm, Tokenizer tokenizer, LiquidLayout layout, Device device, boolean checkWeights) {
        this.dir = dir;
        this.lm = lm;
        this.tokenizer = tokenizer;
        this.layout = layout;
        this.device = device;
        this.checkWeights = checkWeights;
    }

    /** Loads a model directory on the CPU with the weights' stored dtype (see {@link #loader} for options). */
    public static LiquidModel load(Path dir) { return loader(dir).load(); }

    /** A loader for a model directory, to choose the device, the weight dtype and the weight check. */
    public static Loader loader(Path dir) { return new Loader(dir); }

    /** Options for loading a model directory; {@link #load()} reads it. */
    public static final class Loader {
        private final Path dir;
        private Device device = Device.CPU;
        private DType dtype;
        private boolean checkWeights = true;

        private Loader(Path dir) { this.dir = dir; }

        /** Where the weights go (default {@link Device#CPU}; {@code Device.cuda(0)} for the first GPU). */
        public Loader device(Device d) { device = d; return this; }

        /** The device by name: "cpu", "cuda" or "cuda:N". */
        public Loader device(String name) { device = Device.parse(name); return this; }

        /** Weight dtype: F32, BF16 or F16; null (the default) keeps the stored dtype (memory-mapped, no copy). */
        public Loader dtype(DType t) {
            if (t != null && t != DType.F32 && t != DType.BF16 && t != DType.F16) throw new IllegalArgumentException("weights are F32, BF16 or F16, not " + t);
            dtype = t;
            return this;
        }

        /** Whether loading scans the weights for NaN/Inf and non-float dtypes (default true; cheap). */
        public Loader checkWeights(boolean check) { checkWeights = check; return this; }

        /**
         * Reads the directory: config.json, the tokenizer (tokenizer.json or tokenizer.bin; a
         * model without one works on token ids only), liquid.json when present, then the weights.
         *
         * @throws IllegalArgumentException for a missing or malformed file, naming it
         * @throws UncheckedIOException     when a file cannot be read
         */
        public LiquidModel load() {
            requireDevice(device);
            try {
                ModelConfig config = ConfigParser.load(dir);
                boolean hasTokenizer = Files.isRegularFile(dir.resolve("tokenizer.json")) || Files.isRegularFile(dir.resolve("tokenizer.bin"));
                Tokenizer tok = hasTokenizer ? Tokenizer.load(dir) : null;
                if (tok != null && tok.vocabSize() > config.vocabSize()) {
                    throw new IllegalArgumentException(dir + ": the tokenizer has " + tok.vocabSize() + " tokens but the model's vocab_size is " + config.vocabSize());
                }
                LiquidLayout layout = LiquidLayout.isLiquid(dir) ? LiquidLayout.load(dir) : null;
                if (layout != null && tok == null) throw new IllegalArgumentException(dir + " holds no tokenizer.json: a Liquid model reads and writes text");
                CausalLM lm = CausalLM.fromPretrained(dir, dtype, device, checkWeights);
                return new LiquidModel(dir, lm, tok, layout, device, checkWeights);
            } catch (IOException e) {
                throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
            }
        }
    }

    /** Fails with the reason when {@code device} cannot run here (no CUDA driver, no kernels, no such GPU). */
    static void requireDevice(Device device) {
        Backends.requireJvmFlags();
        if (device.isCpu() || Backends.isAvailable(device)) return;
        String why = Backends.probeCuda();
        if (why != null) throw new IllegalStateException(device + " is not available: " + why);
        int n = Backends.cudaDeviceCount();
        throw new IllegalStateException(device + " is not available: this machine has " + n + " CUDA device" + (n == 1 ? "" : "s"));
    }

    // ---- what was loaded

    /** The model directory. */
    public Path directory() { return dir; }

    /** Whether this is a Liquid model (liquid.json: image codes in the vocabulary) rather than a text LM. */
    public boolean isLiquid() { return layout != null; }

    /** The Liquid layout (text vocabulary size, image codes, grid, special ids), empty for a text LM. */
    public Optional<LiquidLayout> layout() { return Optional.ofNullable(layout); }

    /** The architecture from config.json. */
    public ModelConfig config() { return lm.config(); }

    /** The device the weights are on. */
    public Device device() { return device; }

    /** The tokenizer; throws IllegalStateException when the directory has none. */
    public Tokenizer tokenizer() {
        if (tokenizer == null) throw new IllegalStateException(dir + " holds no tokenizer.json or tokenizer.bin: work with token ids");
        return tokenizer;
    }

    /** The transformer itself, for code that works with tensors (not part of the stable API). */
    public CausalLM causalLM() { return lm; }

    /** The ids that end generated text by default: config.json's EOS ids and the tokenizer's EOS. */
    public int[] eosIds() { return StopIds.defaults(lm.config(), tokenizer); }

    // ---- tokens

    /** The ids of {@code text}, with the tokenizer's special tokens added (e.g. BOS for Gemma and Llama). */
    public int[] tokenize(String text) { return tokenizer().encode(text, true); }

    /** The ids of {@code text}; {@code addSpecialTokens} adds what the tokenizer's post-processor adds (BOS). */
    public int[] tokenize(String text, boolean addSpecialTokens) { return tokenizer().encode(text, addSpecialTokens); }

    /** The text of {@code ids}, special tokens (BOS, EOS, ...) left out. */
    public String detokenize(int[] ids) { return tokenizer().decode(ids, true); }

    /** The text of {@code ids}; with {@code skipSpecialTokens} false the special tokens are written out. */
    public String detokenize(int[] ids, boolean skipSpecialTokens) { return tokenizer().decode(ids, skipSpecialTokens); }

    // ---- text

    /** Continues {@code prompt}; returns the new text. */
    public String generate(String prompt, GenerationSettings settings) { return generate(prompt, settings, null); }

    /**
     * Continues {@code prompt} (tokenized with BOS), handing each new piece of text to
     * {@code onText} as it is generated (may be null); returns the whole new text. A Liquid
     * model samples text ids only.
     */
    public String generate(String prompt, GenerationSettings settings, Consumer<String> onText) {
        int[] ids = generateIds(tokenize(prompt), settings, onText == null ? TokenListener.NONE : new TextStream(tokenizer, onText));
        return detokenize(ids);
    }

    /**
     * Continues a prompt given as ids; {@code onToken} (may be null) receives each new id as it is
     * chosen. Returns the new ids (the stop id that ended the text is not included).
     */
    public int[] generate(int[] promptIds, GenerationSettings settings, IntConsumer onToken) {
        return generateIds(promptIds, settings, onToken == null ? TokenListener.NONE : (row, token) -> onToken.accept(token));
    }

    private int[] generateIds(int[] prompt, GenerationSettings settings, TokenListener listener) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty");
        int vocab = lm.config().vocabSize();
        for (int id : prompt) {
            if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " is outside the model's vocabulary [0, " + vocab + ")");
        }
        int limit = newTokens(settings.maxNewTokens(), prompt.length);
        int[] stops = settings.stopIds() != null ? settings.stopIds() : eosIds();
        int pad = Math.max(lm.config().padTokenId(), 0);
        TextGenerator gen = layout == null ? new TextGenerator(lm) : new TextGenerator(lm, DType.F32, layout.textVocabSize());
        GenerationResult r = gen.generate(List.of(prompt), new GenerationConfig(limit, settings.sampling(), stops, pad), listener);
        return r.tokens().getFirst();
    }

    /** maxNewTokens cut to what the context leaves after a prompt of {@code promptLength}. */
    private int newTokens(int maxNewTokens, int promptLength) {
        int context = lm.config().maxPositions();
        if (context <= 0) return maxNewTokens;
        if (promptLength >= context) throw new IllegalArgumentException("the prompt (" + promptLength + " tokens) fills the model's context of " + context + " positions");
        return Math.min(maxNewTokens, context - promptLength);
    }

    // ---- images

    private LiquidLayout liquid(String what) {
        if (layout == null) throw new IllegalStateException(dir + " is a text LM (no liquid.json): " + what + " needs a Liquid model");
        return layout;
    }

    /**
     * The model's VQGAN (liquid.json's {@code vqgan} directory), loaded on the model's device at
     * the first call.
     */
    public Vqgan vqgan() {
        LiquidLayout l = liquid("the VQGAN");
        if (vqgan == null) {
            Path vq = l.vqganDir(dir);
            if (vq == null || !Files.isDirectory(vq)) {
                throw new IllegalStateException(dir + ": liquid.json names " + (vq == null ? "no VQGAN" : "the VQGAN " + vq + ", which does not exist"));
            }
            vqgan = Vqgan.load(vq, device, checkWeights);
        }
        return vqgan;
    }

    /**
     * Generates {@code settings.count()} images for {@code prompt} with classifier-free guidance
     * and decodes them with the model's VQGAN.
     */
    public List<BufferedImage> generateImages(String prompt, ImageSettings settings) {
        int[][] codes = generateImageCodes(prompt, settings, null);
        LiquidLayout l = layout;
        List<BufferedImage> images = new ArrayList<>(codes.length);
        for (int[] c : codes) images.add(vqgan().decode(c, l.gridRows(), l.gridCols()));
        return images;
    }

    /**
     * The image codes (row-major, gridRows × gridCols each) of {@code settings.count()} images for
     * {@code prompt}, sampled with classifier-free guidance against Liquid's unconditional prompt.
     * {@code onStep} (may be null) receives the number of codes done so far, for progress.
     */
    public int[][] generateImageCodes(String prompt, ImageSettings settings, IntConsumer onStep) {
        LiquidLayout l = liquid("image generation");
        SequenceBuilder seq = SequenceBuilder.of(tokenizer, l);
        int[] p = seq.imagePrompt(prompt);
        int steps = l.tokensPerImage();
        int context = lm.config().maxPositions();
        if (context > 0 && (long) p.length + steps > context) {
            throw new IllegalArgumentException("the prompt (" + p.length + " tokens) and an image of " + steps + " codes exceed the model's context of " + context + " positions");
        }
        int pad = Math.max(tokenizer.tokenToId("<pad>"), 0);
        return new ImageGenerator(lm, l.textVocabSize(), l.imageCodes(), true, DType.F32)
                .generate(Collections.nCopies(settings.count(), p), seq.unconditionalPrompt(), steps, settings.cfg(), settings.sampling(), pad,
                        onStep == null ? s -> {} : onStep);
    }

    // ---- understanding

    /** A caption of {@code image} (read through the model's VQGAN as Liquid's understanding path does). */
    public String caption(BufferedImage image, GenerationSettings settings) { return caption(vqgan().encodeForUnderstanding(image), settings, null); }

    /** A caption of an image given as its codes (gridRows × gridCols); {@code onText} may be null. */
    public String caption(int[] codes, GenerationSettings settings, Consumer<String> onText) { return answer(codes, null, settings, onText); }

    /** The answer to {@code question} about {@code image}, in the model's chat template; {@code onText} may be null. */
    public String ask(BufferedImage image, String question, GenerationSettings settings, Consumer<String> onText) {
        return answer(vqgan().encodeForUnderstanding(image), question, settings, onText);
    }

    private String answer(int[] codes, String question, GenerationSettings settings, Consumer<String> onText) {
        LiquidLayout l = liquid("captioning");
        if (codes.length != l.tokensPerImage()) {
            throw new IllegalArgumentException("the image has " + codes.length + " codes but this model reads " + l.gridRows() + "x" + l.gridCols() + " = " + l.tokensPerImage());
        }
        for (int c : codes) {
            if (c < 0 || c >= l.imageCodes()) throw new IllegalArgumentException("image code " + c + " is outside [0, " + l.imageCodes() + ")");
        }
        SequenceBuilder seq = SequenceBuilder.of(tokenizer, l);
        int[] input = question == null ? seq.captionPrompt(codes) : seq.chatPrompt(codes, question);
        GenerationSettings s = settings;
        if (question != null && settings.stopIds() == null) {
            int endOfTurn = tokenizer.tokenToId(ChatTemplate.of(tokenizer).endOfTurn());
            int[] stops = eosIds();
            if (endOfTurn >= 0) {
                stops = Arrays.copyOf(stops, stops.length + 1);
                stops[stops.length - 1] = endOfTurn;
            }
            s = settings.toBuilder().stopIds(stops).build();
        }
        int[] ids = generateIds(input, s, onText == null ? TokenListener.NONE : new TextStream(tokenizer, onText));
        return detokenize(ids);
    }

    // ---- training

    /**
     * A training session over this model's weights (AdamW with F32 master weights, clipping,
     * warmup + cosine schedule, z-loss); the model's own weights change as it steps. Load the
     * model with F32 or BF16 weights to train.
     */
    public Training trainer(TrainingSettings settings) { return new Training(this, settings); }

    Tokenizer tokenizerOrNull() { return tokenizer; }

    LiquidLayout layoutOrNull() { return layout; }
}
