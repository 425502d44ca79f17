package io.liquid4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.image.VqCliTest;
import io.liquid4j.liquid.LiquidLayout;
import io.liquid4j.liquid.TinyLiquidModel;
import io.liquid4j.nn.layers.Init;
import io.liquid4j.nn.transformer.CausalLM;
import io.liquid4j.nn.transformer.ConfigParser;
import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Generator;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Checkpoint;
import io.liquid4j.tensor.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-input probe (issue 13) as a table: small generated bad files and argument sets →
 * the expected exit code and a message pattern. Every failing case must print one "error:" line
 * naming the file, key or option, no Java stack trace, and leave its own directory (where any
 * --out points, some pre-existing) exactly as it was: nothing written, nothing left behind.
 */
class BadInputProbeTest {
    private static final String CONFIG = """
            {"model_type": "gemma", "vocab_size": 56, "hidden_size": 32, "intermediate_size": 64, "head_dim": 8,
             "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1, "max_position_embeddings": 128,
             "tie_word_embeddings": true, "eos_token_id": 1, "pad_token_id": 0}""";
    static final String UP = "model.layers.0.mlp.up_proj.weight";

    @TempDir static Path fixtures;
    static Path hugeGrid, codes6, liquid, nan, inf16, i32, badTok, hugeTok, deep, negEps, vq, vqNan, codes, hugeCodes, badCodes, rangeCodes, png, garbagePng,
            text, jsonl;

    /** One probe: the arguments (given the case's own directory), the exit code and a pattern stderr must contain. */
    record Case(String name, int code, String pattern, Function<Path, List<String>> args) {}

    @BeforeAll
    static void buildFixtures() throws Exception {
        liquid = Files.createDirectory(fixtures.resolve("liquid"));
        Files.writeString(liquid.resolve("config.json"), CONFIG);
        new CausalLM(ConfigParser.parse(Json.parseObject(CONFIG), "tiny"), Init.random(new Generator(3)))
                .save(liquid.resolve("model.safetensors"), Map.of("format", "pt"));
        TinyLiquidModel.writeTokenizer(liquid);
        new LiquidLayout(TinyLiquidModel.TEXT_VOCAB, 16, TinyLiquidModel.BOI, TinyLiquidModel.EOI, TinyLiquidModel.UNCOND, 2, 3, "vq").write(liquid);
        vq = VqCliTest.smallModel(Files.createDirectory(liquid.resolve("vq")));

        nan = copy(liquid, "nan");
        rewrite(nan.resolve("model.safetensors"), UP, t -> {
            float[] v = t.toFloatArray();
            v[17] = Float.NaN;
            v[40] = Float.POSITIVE_INFINITY;
            v[41] = Float.NEGATIVE_INFINITY;
            return Tensor.fromArray(v, t.shape());
        });
        inf16 = copy(liquid, "inf16");
        rewrite(inf16.resolve("model.safetensors"), "model.norm.weight", t -> {
            float[] v = t.toFloatArray();
            v[5] = Float.POSITIVE_INFINITY;
            return Tensor.fromArray(v, t.shape()).to(DType.BF16);
        });
        i32 = copy(liquid, "i32");
        rewrite(i32.resolve("model.safetensors"), "model.norm.weight", t -> t.to(DType.I32));
        badTok = copy(liquid, "badtok");
        editJson(badTok.resolve("tokenizer.json"), m -> firstAdded(m).put("id", -5L));
        hugeTok = copy(liquid, "hugetok");
        editJson(hugeTok.resolve("tokenizer.json"), m -> firstAdded(m).put("id", 999_999_999L));
        deep = copy(liquid, "deep");
        editJson(deep.resolve("config.json"), m -> m.put("num_hidden_layers", 1_000_000_000L));
        hugeGrid = copy(liquid, "hugegrid");
        editJson(hugeGrid.resolve("liquid.json"), m -> m.put("image_grid", List.of(100000L, 100000L)));
        negEps = copy(liquid, "negeps");
        editJson(negEps.resolve("config.json"), m -> m.put("rms_norm_eps", -1.0));

        vqNan = copy(vq, "vqnan");
        rewrite(vqNan.resolve("model.safetensors"), "decoder.conv_out.weight", t -> {
            float[] v = t.toFloatArray();
            v[3] = Float.NaN;
            return Tensor.fromArray(v, t.shape());
        });

        codes = grid(fixtures.resolve("codes.json"), 8, 8, 1);
        codes6 = grid(fixtures.resolve("codes6.json"), 2, 3, 1);
        rangeCodes = grid(fixtures.resolve("range.json"), 8, 8, 9999);
        hugeCodes = grid(fixtures.resolve("huge.json"), 300, 300, 1);
        badCodes = Files.writeString(fixtures.resolve("bad-codes.json"), "{\"codes\": \"nope\"}");
        png = fixtures.resolve("in.png");
        io.liquid4j.image.ImageFiles.writePng(new io.liquid4j.image.RgbImage(16, 16, new byte[16 * 16 * 3]), png);
        garbagePng = Files.write(fixtures.resolve("garbage.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13, 'I', 'H'});
        text = Files.writeString(fixtures.resolve("doc.txt"), "a cat sat on a mat. ".repeat(20));
        jsonl = Files.writeString(fixtures.resolve("train.jsonl"), "{\"text\": \"a cat sat\"}\n{\"text\": \"a dog ran\"}\n");
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        String L = liquid.toString(), V = vq.toString();
        // ---- generate: options checked before the weights, sizes against the context
        c.add(new Case("generate negative temperature", 1, "--temperature -1\\.0: must be a finite number", d -> List.of("generate", "--model", L, "--prompt", "a", "--temperature", "-1")));
        c.add(new Case("generate NaN temperature", 1, "--temperature NaN", d -> List.of("generate", "--model", L, "--prompt", "a", "--temperature", "NaN")));
        c.add(new Case("generate top-p 0", 1, "--top-p 0\\.0: must be in \\(0, 1\\]", d -> List.of("generate", "--model", L, "--prompt", "a", "--top-p", "0")));
        c.add(new Case("generate top-p 1.5", 1, "--top-p 1\\.5", d -> List.of("generate", "--model", L, "--prompt", "a", "--top-p", "1.5")));
        c.add(new Case("generate top-k negative", 1, "--top-k -3", d -> List.of("generate", "--model", L, "--prompt", "a", "--top-k", "-3")));
        c.add(new Case("generate max-new-tokens beyond context", 1, "--max-new-tokens 100000000: the model's context is 128 positions .* at most 1\\d\\d new tokens fit",
                d -> List.of("generate", "--model", L, "--prompt", "a", "--max-new-tokens", "100000000")));
        c.add(new Case("generate max-new-tokens negative", 1, "--max-new-tokens -1", d -> List.of("generate", "--model", L, "--prompt", "a", "--max-new-tokens", "-1")));
        c.add(new Case("generate max-new-tokens not a number", 2, "--max-new-tokens", d -> List.of("generate", "--model", L, "--prompt", "a", "--max-new-tokens", "lots")));
        c.add(new Case("generate prompt ids not numbers", 1, "--prompt-ids: 'x' is not a token id", d -> List.of("generate", "--model", L, "--prompt-ids", "2,x")));
        c.add(new Case("generate prompt id beyond vocab", 1, "--prompt-ids: token id 99999 is outside the model's vocabulary \\[0, 56\\)", d -> List.of("generate", "--model", L, "--prompt-ids", "2,99999")));
        c.add(new Case("generate no prompt", 1, "give either --prompt or --prompt-ids", d -> List.of("generate", "--model", L)));
        c.add(new Case("generate bad dtype", 1, "--dtype: 'f64'", d -> List.of("generate", "--model", L, "--prompt", "a", "--dtype", "f64")));
        c.add(new Case("generate missing model", 1, Pattern.quote(fixtures.resolve("nope").toString()), d -> List.of("generate", "--model", fixtures.resolve("nope").toString(), "--prompt", "a")));
        c.add(new Case("generate NaN/Inf weights", 1, Pattern.quote(UP) + ": 3 non-finite values \\(first at index 17\\).*--no-check",
                d -> List.of("generate", "--model", nan.toString(), "--prompt", "a", "--max-new-tokens", "2")));
        c.add(new Case("generate Inf BF16 weight", 1, "model\\.norm\\.weight: 1 non-finite value \\(first at index 5\\)",
                d -> List.of("generate", "--model", inf16.toString(), "--prompt", "a", "--max-new-tokens", "2")));
        c.add(new Case("generate NaN weights --no-check runs", 0, "prefill", d -> List.of("generate", "--model", nan.toString(), "--prompt", "a", "--max-new-tokens", "2", "--no-check")));
        c.add(new Case("generate I32 weight", 1, "model\\.norm\\.weight: dtype I32, but a floating-point weight", d -> List.of("generate", "--model", i32.toString(), "--prompt", "a")));
        c.add(new Case("generate I32 weight as f32", 1, "model\\.norm\\.weight: dtype I32", d -> List.of("generate", "--model", i32.toString(), "--prompt", "a", "--dtype", "f32")));
        c.add(new Case("generate 1e9 layers", 1, "num_hidden_layers", d -> List.of("generate", "--model", deep.toString(), "--prompt", "a")));
        c.add(new Case("generate negative rms_norm_eps", 1, "rms_norm_eps", d -> List.of("generate", "--model", negEps.toString(), "--prompt", "a")));
        c.add(new Case("generate added token id -5", 1, "added_tokens entry \"<pad>\" has id -5", d -> List.of("generate", "--model", badTok.toString(), "--prompt", "a")));
        c.add(new Case("generate added token id huge", 1, "added_tokens entry \"<pad>\" has id 999999999", d -> List.of("generate", "--model", hugeTok.toString(), "--prompt", "a")));
        // ---- logits
        c.add(new Case("logits out is a directory", 1, "--out .*: is a directory", d -> List.of("logits", "--model", L, "--ids", "2,3", "--out", mkdir(d.resolve("o")))));
        c.add(new Case("logits out in a missing directory", 1, "--out .*: directory .* does not exist", d -> List.of("logits", "--model", L, "--ids", "2,3", "--out", d.resolve("no/x.safetensors").toString())));
        c.add(new Case("logits more ids than the context", 1, "--ids: 200 tokens exceed the model's context of 128",
                d -> List.of("logits", "--model", L, "--ids", String.join(",", java.util.Collections.nCopies(200, "2")), "--out", d.resolve("l.safetensors").toString())));
        c.add(new Case("logits NaN weights", 1, Pattern.quote(UP) + ": 3 non-finite", d -> List.of("logits", "--model", nan.toString(), "--ids", "2,3", "--out", d.resolve("l.safetensors").toString())));
        // ---- imagine
        c.add(new Case("imagine n 0", 1, "--n must be at least 1", d -> List.of("imagine", "--model", L, "--prompt", "a", "--n", "0", "--codes-out", d.resolve("c.json").toString())));
        c.add(new Case("imagine n huge", 1, "--n 100000: at most 1024", d -> List.of("imagine", "--model", L, "--prompt", "a", "--n", "100000", "--codes-out", d.resolve("c.json").toString())));
        c.add(new Case("imagine cfg NaN", 1, "--cfg NaN", d -> List.of("imagine", "--model", L, "--prompt", "a", "--cfg", "NaN", "--codes-out", d.resolve("c.json").toString())));
        c.add(new Case("imagine top-p 2", 1, "--top-p 2\\.0", d -> List.of("imagine", "--model", L, "--prompt", "a", "--top-p", "2", "--codes-out", d.resolve("c.json").toString())));
        c.add(new Case("imagine nothing kept", 1, "give --out \\(a PNG\\) and/or --codes-out", d -> List.of("imagine", "--model", L, "--prompt", "a")));
        c.add(new Case("imagine out is an existing directory", 1, "--out .*: is a directory", d -> List.of("imagine", "--model", L, "--prompt", "a", "--out", mkdir(d.resolve("grid.png")))));
        c.add(new Case("imagine codes-out in a missing directory", 1, "--codes-out .*: directory .* does not exist",
                d -> List.of("imagine", "--model", L, "--prompt", "a", "--codes-out", d.resolve("no/c.json").toString())));
        c.add(new Case("imagine NaN weights", 1, Pattern.quote(UP) + ": 3 non-finite", d -> List.of("imagine", "--model", nan.toString(), "--prompt", "a", "--codes-out", d.resolve("c.json").toString())));
        // ---- caption and chat
        c.add(new Case("caption missing image", 1, "--image .*missing\\.png: no such file", d -> List.of("caption", "--model", L, "--image", d.resolve("missing.png").toString())));
        c.add(new Case("caption missing codes", 1, "--codes .*: no such file", d -> List.of("caption", "--model", L, "--codes", d.resolve("missing.json").toString())));
        c.add(new Case("caption codes not a grid", 1, Pattern.quote(badCodes.toString()), d -> List.of("caption", "--model", L, "--codes", badCodes.toString())));
        c.add(new Case("caption garbage image", 1, Pattern.quote(garbagePng.toString()), d -> List.of("caption", "--model", L, "--image", garbagePng.toString())));
        c.add(new Case("caption max-new-tokens beyond context", 1, "--max-new-tokens 100000: the model's context is 128", d -> List.of("caption", "--model", L, "--codes", codes6.toString(), "--max-new-tokens", "100000")));
        c.add(new Case("caption negative temperature", 1, "--temperature -1\\.0", d -> List.of("caption", "--model", L, "--codes", codes6.toString(), "--temperature", "-1")));
        c.add(new Case("caption NaN VQGAN weights", 1, "decoder\\.conv_out\\.weight: 1 non-finite value",
                d -> List.of("caption", "--model", withVq(d, vqNan), "--image", png.toString())));
        c.add(new Case("chat image and codes", 1, "give --image or --codes, not both", d -> List.of("chat", "--model", L, "--image", png.toString(), "--codes", codes.toString())));
        c.add(new Case("chat max-new-tokens beyond context", 1, "--max-new-tokens 100000: the model's context is 128", d -> List.of("chat", "--model", L, "--max-new-tokens", "100000")));
        c.add(new Case("chat top-p 0", 1, "--top-p 0\\.0", d -> List.of("chat", "--model", L, "--top-p", "0")));
        // ---- tokenize
        c.add(new Case("tokenize missing tokenizer", 1, Pattern.quote(fixtures.resolve("none.json").toString()), d -> List.of("tokenize", "--tokenizer", fixtures.resolve("none.json").toString(), "--text", "a")));
        c.add(new Case("tokenize added token id -5", 1, "added_tokens entry \"<pad>\" has id -5", d -> List.of("tokenize", "--tokenizer", badTok.resolve("tokenizer.json").toString(), "--text", "a")));
        c.add(new Case("tokenize decode unknown id", 1, "token id 999 is not in the vocabulary", d -> List.of("tokenize", "--tokenizer", L, "--decode", "2,999")));
        c.add(new Case("tokenize decode negative id", 1, "token id -4 is not in the vocabulary", d -> List.of("tokenize", "--tokenizer", L, "--decode", "-4")));
        c.add(new Case("tokenize decode not ids", 2, "--decode", d -> List.of("tokenize", "--tokenizer", L, "--decode", "a,b")));
        // ---- vq encode / decode / roundtrip
        c.add(new Case("vq encode size overflows", 1, "--size 100000: a 100000×100000 image has 10000000000 pixels, more than --max-pixels 67108864",
                d -> List.of("vq", "encode", "--vqgan", V, "--image", png.toString(), "--size", "100000")));
        c.add(new Case("vq encode size beyond memory", 1, "--size 1048576: a 1048576×1048576 image .* needs .* available",
                d -> List.of("vq", "encode", "--vqgan", V, "--image", png.toString(), "--size", "1048576", "--max-pixels", "10000000000000")));
        c.add(new Case("vq encode size not a multiple", 1, "--size 7 must be a positive multiple of 2", d -> List.of("vq", "encode", "--vqgan", V, "--image", png.toString(), "--size", "7")));
        c.add(new Case("vq encode missing image", 1, "--image .*: no such file", d -> List.of("vq", "encode", "--vqgan", V, "--image", d.resolve("x.png").toString())));
        c.add(new Case("vq encode garbage image", 1, Pattern.quote(garbagePng.toString()), d -> List.of("vq", "encode", "--vqgan", V, "--image", garbagePng.toString())));
        c.add(new Case("vq encode out is a directory", 1, "--out .*: is a directory", d -> List.of("vq", "encode", "--vqgan", V, "--image", png.toString(), "--out", mkdir(d.resolve("c.json")))));
        c.add(new Case("vq encode missing vqgan", 1, "--vqgan .*: not a VQGAN model directory", d -> List.of("vq", "encode", "--vqgan", d.resolve("vq").toString(), "--image", png.toString())));
        c.add(new Case("vq decode beyond max-pixels", 1, "decoding 8×8 codes: a 16×16 image has 256 pixels, more than --max-pixels 100",
                d -> List.of("vq", "decode", "--vqgan", V, "--codes", codes.toString(), "--out", d.resolve("o.png").toString(), "--max-pixels", "100")));
        c.add(new Case("vq decode 300x300 grid beyond max-pixels", 1, "decoding 300×300 codes: a 600×600 image has 360000 pixels, more than --max-pixels 100000",
                d -> List.of("vq", "decode", "--vqgan", V, "--codes", hugeCodes.toString(), "--out", d.resolve("o.png").toString(), "--max-pixels", "100000")));
        c.add(new Case("vq decode code outside the codebook", 1, "code 9999 at row 0, column 0 is outside the codebook \\[0, 64\\)",
                d -> List.of("vq", "decode", "--vqgan", V, "--codes", rangeCodes.toString(), "--out", d.resolve("o.png").toString())));
        c.add(new Case("vq decode codes not a grid", 1, Pattern.quote(badCodes.toString()), d -> List.of("vq", "decode", "--vqgan", V, "--codes", badCodes.toString(), "--out", d.resolve("o.png").toString())));
        c.add(new Case("vq decode out is an existing empty directory", 1, "--out .*: is a directory", d -> List.of("vq", "decode", "--vqgan", V, "--codes", codes.toString(), "--out", mkdir(d.resolve("o.png")))));
        c.add(new Case("vq decode NaN weights", 1, "decoder\\.conv_out\\.weight: 1 non-finite value \\(first at index 3\\)",
                d -> List.of("vq", "decode", "--vqgan", vqNan.toString(), "--codes", codes.toString(), "--out", d.resolve("o.png").toString())));
        c.add(new Case("vq roundtrip out in a missing directory", 1, "--out .*: directory .* does not exist",
                d -> List.of("vq", "roundtrip", "--vqgan", V, "--image", png.toString(), "--out", d.resolve("a/b.png").toString())));
        c.add(new Case("vq roundtrip missing image", 1, "--image .*: no such file", d -> List.of("vq", "roundtrip", "--vqgan", V, "--image", d.resolve("x.png").toString(), "--out", d.resolve("o.png").toString())));
        // ---- prepare, train, eval perplexity, init
        c.add(new Case("prepare missing data", 1, "no such data file", d -> List.of("prepare", "--model", L, "--data", d.resolve("in.jsonl").toString(), "--out", d.resolve("out.jsonl").toString())));
        c.add(new Case("prepare out is a directory", 1, "--out .*: is a directory", d -> List.of("prepare", "--model", L, "--data", jsonl.toString(), "--out", mkdir(d.resolve("out.jsonl")))));
        c.add(new Case("train steps 0", 1, "--steps 0: must be at least 1", d -> List.of("train", "--model", L, "--data", jsonl.toString(), "--out", d.resolve("run").toString(), "--steps", "0")));
        c.add(new Case("train negative lr", 1, "--lr -1\\.0: must be a finite number > 0", d -> List.of("train", "--model", L, "--data", jsonl.toString(), "--out", d.resolve("run").toString(), "--lr", "-1")));
        c.add(new Case("train decay with cosine", 1, "--decay-steps applies to --schedule constant", d -> List.of("train", "--model", L, "--data", jsonl.toString(), "--out", d.resolve("run").toString(), "--decay-steps", "2")));
        c.add(new Case("train decay beyond the steps", 1, "--decay-steps must be in \\[0, 2\\]", d -> List.of("train", "--model", L, "--data", jsonl.toString(), "--out", d.resolve("run").toString(),
                "--steps", "3", "--warmup", "1", "--schedule", "constant", "--decay-steps", "5")));
        c.add(new Case("train missing data", 1, "--data .*missing\\.jsonl: no such file", d -> List.of("train", "--model", L, "--data", d.resolve("missing.jsonl").toString(), "--out", d.resolve("run").toString())));
        c.add(new Case("train batch size 0", 1, "--batch-size and --grad-accum must be at least 1", d -> List.of("train", "--model", L, "--data", jsonl.toString(), "--out", d.resolve("run").toString(), "--batch-size", "0")));
        c.add(new Case("train seq-len beyond context", 1, "--seq-len 100000 exceeds the model's context of 128", d -> List.of("train", "--model", L, "--data", jsonl.toString(), "--out", d.resolve("run").toString(), "--seq-len", "100000")));
        c.add(new Case("train NaN weights", 1, Pattern.quote(UP) + ": 3 non-finite", d -> List.of("train", "--model", nan.toString(), "--data", jsonl.toString(), "--out", d.resolve("run").toString(), "--steps", "1")));
        c.add(new Case("perplexity missing data", 1, "--data .*: no such file", d -> List.of("eval", "perplexity", "--model", L, "--data", d.resolve("x.txt").toString())));
        c.add(new Case("perplexity seq-len beyond context", 1, "--seq-len 100000 exceeds the model's context of 128", d -> List.of("eval", "perplexity", "--model", L, "--data", text.toString(), "--seq-len", "100000")));
        c.add(new Case("perplexity stride 0", 1, "--stride 0: must be at least 1", d -> List.of("eval", "perplexity", "--model", L, "--data", text.toString(), "--stride", "0")));
        c.add(new Case("image-agreement missing prompts", 1, "--prompts .*: no such file", d -> List.of("eval", "image-agreement", "--model", L, "--reference", L,
                "--prompts", d.resolve("p.txt").toString())));
        c.add(new Case("image-agreement negative cfg", 1, "--cfg -2\\.0: must be a finite number", d -> List.of("eval", "image-agreement", "--model", L, "--reference", L,
                "--prompts", text.toString(), "--cfg", "-2")));
        c.add(new Case("image-agreement batch size 0", 1, "--batch-size 0: must be at least 1", d -> List.of("eval", "image-agreement", "--model", L, "--reference", L,
                "--prompts", text.toString(), "--batch-size", "0")));
        c.add(new Case("perplexity NaN weights", 1, Pattern.quote(UP) + ": 3 non-finite", d -> List.of("eval", "perplexity", "--model", nan.toString(), "--data", text.toString())));
        c.add(new Case("init out exists", 1, "--out .* already exists", d -> List.of("init", "--config", liquid.resolve("config.json").toString(), "--tokenizer",
                liquid.resolve("tokenizer.json").toString(), "--out", keep(d.resolve("model")))));
        c.add(new Case("init 1e9 layers", 1, "num_hidden_layers", d -> List.of("init", "--config", deep.resolve("config.json").toString(), "--tokenizer",
                liquid.resolve("tokenizer.json").toString(), "--out", d.resolve("model").toString())));
        c.add(new Case("init bad tokenizer", 1, "added_tokens entry \"<pad>\" has id -5", d -> List.of("init", "--config", liquid.resolve("config.json").toString(), "--tokenizer",
                badTok.resolve("tokenizer.json").toString(), "--out", d.resolve("model").toString())));
        c.add(new Case("vq train batch beyond memory", 1, "--batch-size 2000000000 of 16×16 images .* needs .* available", d -> List.of("vq", "train", "--images", fixtures.toString(),
                "--config", vq.resolve("config.json").toString(), "--out", d.resolve("vq").toString(), "--batch-size", "2000000000")));
        c.add(new Case("vq train negative lr", 1, "--lr -1\\.0", d -> List.of("vq", "train", "--images", fixtures.toString(),
                "--config", vq.resolve("config.json").toString(), "--out", d.resolve("vq").toString(), "--lr", "-1")));
        c.add(new Case("liquid.json grid overflows", 1, "liquid\\.json: image_grid \\[100000, 100000\\] is 10000000000 codes per image", d -> List.of("imagine", "--model", hugeGrid.toString(),
                "--prompt", "a", "--codes-out", d.resolve("c.json").toString())));
        return c;
    }

    @TestFactory
    Stream<DynamicTest> probe() {
        List<Case> cases = cases();
        assertTrue(cases.size() >= 40, "the probe should span many cases, has " + cases.size());
        int[] n = {0};
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> run(c, fixtures.resolve("case-" + n[0]++))));
    }

    private static void run(Case c, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<String> args = c.args().apply(dir);   // may create pre-existing outputs in dir
        Map<String, String> before = snapshot(dir);
        CliRun r = CliRun.of(args.toArray(String[]::new));
        String what = c.name() + ": " + String.join(" ", args) + "\nstderr:\n" + r.err();
        assertEquals(c.code(), r.code(), what);
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception in thread") || r.err().matches("(?s).*\\b(java|io\\.liquid4j)\\.[\\w.]+(Exception|Error)\\b.*"),
                "stack trace or exception class name in stderr: " + what);
        assertTrue(Pattern.compile(c.pattern(), Pattern.DOTALL).matcher(r.err()).find(), "stderr does not match /" + c.pattern() + "/: " + what);
        if (c.code() == 1) {
            List<String> errors = r.err().lines().filter(l -> l.startsWith("error:")).toList();
            assertEquals(1, errors.size(), "one error line expected: " + what);
            assertEquals(before, snapshot(dir), "the case's directory changed (a file written, a temp left, an output replaced): " + what);
        }
    }

    /** Every path under dir with a digest of each file's bytes ("dir" for directories). */
    private static Map<String, String> snapshot(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            Map<String, String> m = new TreeMap<>();
            for (Path p : s.toList()) {
                m.put(dir.relativize(p).toString(), Files.isDirectory(p) ? "dir" : Integer.toHexString(Arrays.hashCode(Files.readAllBytes(p))));
            }
            return m;
        }
    }

    private static String mkdir(Path p) {
        try {
            return Files.createDirectories(p).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A pre-existing output directory with a file in it. */
    private static String keep(Path p) {
        try {
            Files.createDirectories(p);
            Files.writeString(p.resolve("keep.txt"), "precious");
            return p.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A copy of the Liquid model whose liquid.json names the given VQGAN directory. */
    private static String withVq(Path caseDir, Path vqDir) {
        try {
            Path m = copy(liquid, "liquid-" + vqDir.getFileName() + "-" + caseDir.getFileName());
            new LiquidLayout(TinyLiquidModel.TEXT_VOCAB, 16, TinyLiquidModel.BOI, TinyLiquidModel.EOI, TinyLiquidModel.UNCOND, 2, 3, vqDir.toString()).write(m);
            return m.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path copy(Path from, String name) throws IOException {
        Path to = fixtures.resolve(name);
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(q);
                else Files.copy(p, q);
            }
        }
        return to;
    }

    static void rewrite(Path file, String name, Function<Tensor, Tensor> change) {
        Map<String, Tensor> all = new LinkedHashMap<>(Checkpoint.loadAll(file));
        all.put(name, change.apply(all.get(name)));
        Path tmp = file.resolveSibling("rewritten.safetensors");
        Checkpoint.save(tmp, all, Map.of("format", "pt"));
        try {
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> firstAdded(Map<String, Object> tokenizer) {
        return (Map<String, Object>) ((List<Object>) tokenizer.get("added_tokens")).getFirst();
    }

    static void editJson(Path file, java.util.function.Consumer<Map<String, Object>> change) throws IOException {
        Map<String, Object> m = deepCopy(Json.parseObject(Files.readString(file)));
        change.accept(m);
        Files.writeString(file, Json.write(m));
    }

    @SuppressWarnings("unchecked")
    private static <T> T deepCopy(T v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> r = new LinkedHashMap<>();
            m.forEach((k, x) -> r.put((String) k, deepCopy(x)));
            return (T) r;
        }
        if (v instanceof List<?> l) return (T) l.stream().map(BadInputProbeTest::deepCopy).collect(Collectors.toCollection(ArrayList::new));
        return v;
    }

    static Path grid(Path file, int h, int w, long code) throws IOException {
        StringBuilder b = new StringBuilder("{\"height\": " + h + ", \"width\": " + w + ", \"codes\": [");
        for (int y = 0; y < h; y++) {
            b.append(y == 0 ? "[" : ",[");
            for (int x = 0; x < w; x++) b.append(x == 0 ? "" : ",").append(code);
            b.append(']');
        }
        return Files.writeString(file, b.append("]}").toString());
    }
}
