package io.liquid4j.tokenizer;

import io.liquid4j.tensor.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** BpeTrainer: what it learns, the file it writes, and that our loader and the npm reference read that file alike. */
class BpeTrainerTest {
    @TempDir Path dir;

    /** Seeded procedural sentences, like the demo corpus: a small word list in many combinations. */
    static List<String> corpus(int n, long seed) {
        String[] subject = {"the cat", "a dog", "the little fox", "my friend", "the old man", "a red bird", "the teacher", "our neighbour"};
        String[] verb = {"sees", "likes", "chases", "finds", "watches", "helps", "follows", "paints"};
        String[] object = {"the ball", "a tree", "the river", "some apples", "the blue house", "a small boat", "the garden", "the moon"};
        String[] tail = {"today.", "in the morning.", "after lunch.", "near the lake!", "with great care.", "again?", "every day.", "quietly."};
        Random r = new Random(seed);
        List<String> docs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            for (int j = 0, k = 1 + r.nextInt(3); j < k; j++) {
                String s = subject[r.nextInt(subject.length)];
                if (j > 0) sb.append(' ');
                sb.append(Character.toUpperCase(s.charAt(0))).append(s, 1, s.length()).append(' ').append(verb[r.nextInt(verb.length)])
                        .append(' ').append(object[r.nextInt(object.length)]).append(' ').append(tail[r.nextInt(tail.length)]);
                if (r.nextInt(8) == 0) sb.append(' ').append(r.nextInt(1000));
            }
            docs.add(sb.toString());
        }
        return docs;
    }

    private HfTokenizer trainAndLoad(BpeTrainer trainer, List<String> docs) throws IOException {
        trainer.addAll(docs);
        return HfTokenizer.load(trainer.write(dir));
    }

    /** Strings no training text looks like: scripts, emoji sequences, controls, whitespace runs. */
    static final List<String> UNICODE = List.of(
            "", " ", "  leading and trailing  ", "\t\ttabs\nand\r\nnewlines\n\n", "naïve café — “quotes” ‘and’ ½ × ÷",
            "Ελληνικά русский язык עברית العربية हिन्दी ไทย", "中文文本，日本語のテキスト、한국어 텍스트", "😀👍🏽👩‍👩‍👧‍👦🇫🇷 ❤️ 🫠",
            "e\u0301 a\u0308 combining", "\u0000\u0001\u001f\u007f control", "zero\u200bwidth\u200djoiner", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚",
            "it's we'll they'd I'M", "x=1;y+=2 // code {}[]()", "1234567890 3.14159 -42", "<eos",
            "\uFFFF\uFFFE\uFEFF", "tokens like <bos> are text here");

    @Test
    void decodeOfEncodeIsTheTextForCorpusAndArbitraryUnicode() throws IOException {
        List<String> docs = corpus(2000, 1);
        HfTokenizer tok = trainAndLoad(BpeTrainer.builder().vocabSize(600).build(), docs);
        for (String s : docs.subList(0, 200)) assertEquals(s, tok.decode(tok.encode(s, false)));
        for (String s : UNICODE) {
            assertEquals(s, tok.decode(tok.encode(s, false)), s);
            if (!s.contains("<bos>")) assertEquals(s, tok.decode(tok.encode(s, true), true), "with BOS, skipped on decode: " + s);
        }
        Random r = new Random(7);
        for (int i = 0; i < 300; i++) {
            StringBuilder sb = new StringBuilder();
            for (int j = r.nextInt(20); j > 0; j--) {
                int cp;
                do cp = r.nextInt(4) == 0 ? r.nextInt(0x80) : r.nextInt(0x30000); while (cp >= 0xD800 && cp <= 0xDFFF);
                sb.appendCodePoint(cp);
            }
            String s = sb.toString();
            assertEquals(s, tok.decode(tok.encode(s, false)), "random code points " + Arrays.toString(s.codePoints().toArray()));
        }
    }

    @Test
    void frequentWordsBecomeSingleTokens() throws IOException {
        HfTokenizer tok = trainAndLoad(BpeTrainer.builder().vocabSize(600).build(), corpus(2000, 1));
        for (String word : List.of(" cat", " teacher", " neighbour", " the", " morning", "The")) {
            assertEquals(1, tok.encode(word, false).length, word + " → " + Arrays.toString(tok.encode(word, false)));
        }
        assertEquals("Ġteacher", tok.idToToken(tok.encode(" teacher", false)[0]));
        // A word never seen falls back to smaller pieces, down to bytes.
        assertTrue(tok.encode(" zyzzyva", false).length > 3);
    }

    @Test
    void sameTextsGiveTheSameFileWhateverTheirOrder() throws IOException {
        List<String> docs = corpus(1500, 2);
        List<String> shuffled = new ArrayList<>(docs);
        Collections.shuffle(shuffled, new Random(3));
        Path a = BpeTrainer.builder().vocabSize(500).build().addAll(docs).write(dir.resolve("a"));
        Path b = BpeTrainer.builder().vocabSize(500).build().addAll(shuffled).write(dir.resolve("b"));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertArrayEquals(Files.readAllBytes(dir.resolve("a/tokenizer_config.json")), Files.readAllBytes(dir.resolve("b/tokenizer_config.json")));
        try (var files = Files.list(dir.resolve("a"))) {
            assertEquals(List.of("tokenizer.json", "tokenizer_config.json"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary files are left behind");
        }
    }

    @Test
    void tiesGoToThePairWhoseStringsComeFirst() {
        // Every pair occurs once; "ab" < "ba" < "cd" by their strings, whatever the order of the texts.
        BpeTrainer t = BpeTrainer.builder().vocabSize(263).minFrequency(1).specialTokens().addBos(false).build();
        t.add("cd").add("ba").add("ab");
        assertEquals(List.of(List.of("a", "b"), List.of("b", "a"), List.of("c", "d")), t.merges());
        assertEquals(List.of("ab", "ba", "cd"), t.vocabulary().subList(256, 259));
        // The counts come first: "c"+"d" occurs twice.
        BpeTrainer u = BpeTrainer.builder().vocabSize(257).minFrequency(1).specialTokens().addBos(false).build();
        u.add("ab").add("cd").add("cd");
        assertEquals(List.of(List.of("c", "d")), u.merges());
    }

    @Test
    void specialTokensHaveTheFirstIdsAndAreNeverSplit() throws IOException {
        HfTokenizer tok = trainAndLoad(BpeTrainer.builder().vocabSize(400).build(), corpus(500, 4));
        List<String> names = List.of("<pad>", "<eos>", "<bos>", "<unk>");
        for (int i = 0; i < names.size(); i++) {
            assertEquals(i, tok.tokenToId(names.get(i)));
            assertTrue(tok.isSpecial(i));
        }
        assertEquals(2, tok.bosId());
        assertEquals(1, tok.eosId());
        assertFalse(tok.isSpecial(4), "the byte tokens are not special");
        int[] ids = tok.encode("The cat<eos><bos>sees", true);
        assertEquals(2, ids[0], "BOS in front");
        int eos = indexOf(ids, 1);
        assertTrue(eos > 0 && ids[eos + 1] == 2, Arrays.toString(ids));
        assertEquals("The cat<eos><bos>sees", tok.decode(Arrays.copyOfRange(ids, 1, ids.length)));
        assertEquals("The catsees", tok.decode(ids, true));
        assertArrayEquals(Arrays.copyOfRange(ids, 1, ids.length), tok.encode("The cat<eos><bos>sees", false));

        Map<String, Object> config = Json.parseObject(Files.readString(dir.resolve("tokenizer_config.json")));
        assertEquals("<bos>", config.get("bos_token"));
        assertEquals("<eos>", config.get("eos_token"));
        assertEquals("<pad>", config.get("pad_token"));
        assertEquals("<unk>", config.get("unk_token"));
    }

    @Test
    void customSpecialsWithoutBos() throws IOException {
        BpeTrainer t = BpeTrainer.builder().vocabSize(300).specialTokens("<|endoftext|>", "<|pad|>").addBos(false).build();
        HfTokenizer tok = trainAndLoad(t, corpus(300, 5));
        assertEquals(0, tok.eosId(), "<|endoftext|> is found as EOS");
        assertEquals(-1, tok.bosId());
        assertEquals(1, tok.tokenToId("<|pad|>"));
        assertArrayEquals(tok.encode("The cat", false), tok.encode("The cat", true), "nothing added in front");
        assertEquals(2 + 0x20, tok.tokenToId("Ġ"), "bytes follow the specials in byte order: ' ' is 0x20");
        assertEquals(2 + 0x21, tok.tokenToId("!"));
        assertEquals(2 + 0xFF, tok.tokenToId("ÿ"));
    }

    @Test
    void statsCountTheTokensEncodeGives() throws IOException {
        List<String> docs = new ArrayList<>(corpus(1000, 6));
        docs.add("an <eos> in the text and héllo 😀");
        BpeTrainer t = BpeTrainer.builder().vocabSize(450).build();
        HfTokenizer tok = trainAndLoad(t, docs);
        BpeTrainer.Stats s = t.stats();
        assertEquals(docs.size(), s.documents());
        assertEquals(docs.stream().mapToLong(d -> d.getBytes(StandardCharsets.UTF_8).length).sum(), s.bytes());
        assertEquals(docs.stream().mapToLong(d -> tok.encode(d, false).length).sum(), s.tokens());
        assertEquals(450, s.vocabSize());
        assertEquals(450, tok.vocabSize());
        assertEquals(450 - 260, s.merges(), "every merge adds one token");
        assertFalse(s.stoppedByMinFrequency());
        assertTrue(s.bytesPerToken() > 3, "the corpus is a few hundred distinct words: most become one token, " + s);
    }

    @Test
    void stopsWhenNoPairOccursMinFrequencyTimes() {
        BpeTrainer t = BpeTrainer.builder().vocabSize(10_000).minFrequency(3).specialTokens().addBos(false).build();
        t.add("hello hello hello world world");
        BpeTrainer.Stats s = t.train().stats();
        assertTrue(s.stoppedByMinFrequency());
        assertEquals(256 + 4, s.vocabSize(), "e+l, el+l, ell+o, h+ello (3 times each); ' world' occurs twice only");
        assertEquals("hello", t.vocabulary().getLast());
    }

    @Test
    void progressIsToldEveryMerge() {
        List<int[]> calls = new ArrayList<>();
        BpeTrainer.builder().vocabSize(300).progress((done, max) -> calls.add(new int[] {done, max})).build().addAll(corpus(200, 8)).train();
        assertEquals(40, calls.size());
        for (int i = 0; i < calls.size(); i++) assertArrayEquals(new int[] {i + 1, 40}, calls.get(i));
    }

    @Test
    void badOptionsAreClearErrors() {
        assertEquals("vocab size 259 is smaller than the 256 byte tokens plus 4 special tokens: it must be at least 260",
                assertThrows(IllegalArgumentException.class, () -> BpeTrainer.builder().vocabSize(259).build()).getMessage());
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.builder().vocabSize(300).specialTokens("<a>", "<a>").build());
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.builder().vocabSize(300).specialTokens("a", "<bos>").build());
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.builder().vocabSize(300).bosToken("<s>").build());
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.builder().vocabSize(300).specialTokens("<pad>").build(),
                "addBos without a BOS");
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.builder().vocabSize(300).minFrequency(0).build());
        BpeTrainer t = BpeTrainer.builder().vocabSize(300).build().add("x").train();
        assertThrows(IllegalStateException.class, () -> t.add("y"));
    }

    /** The npm reference (transformers.js fork) reads the written file and encodes to exactly our ids. */
    @Test
    void referenceEncodesToTheSameIds() throws Exception {
        Path root = ReferenceTokenizers.repoRoot().resolve("tools/golden/tokenizers");
        assumeTrue(Files.isDirectory(root.resolve("node_modules/@lenml/tokenizers")),
                "skipped: the reference is not installed; run (cd tools/golden/tokenizers && npm ci)");
        assumeTrue(nodeRuns(), "skipped: node is not on the PATH");
        List<String> docs = corpus(2000, 9);
        HfTokenizer tok = trainAndLoad(BpeTrainer.builder().vocabSize(700).build(), docs);
        List<String> strings = new ArrayList<>(docs.subList(0, 50));
        strings.addAll(UNICODE.stream().filter(s -> !s.contains("\uFEFF")).toList()); // JavaScript's \s includes U+FEFF, HF's does not
        strings.addAll(List.of("The cat<eos>sees<pad><pad>", "<bos><bos> x", "what's <unk>?"));

        Path input = dir.resolve("strings.json");
        Files.writeString(input, Json.write(strings));
        Process p = new ProcessBuilder("node", root.resolve("encode_with.js").toString(), dir.toString())
                .redirectInput(input.toFile()).redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        List<?> expected = (List<?>) Json.parse(new String(out, StandardCharsets.UTF_8));
        assertEquals(strings.size(), expected.size());
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < strings.size(); i++) {
            int[] want = ((List<?>) expected.get(i)).stream().mapToInt(v -> (int) (long) (Long) v).toArray();
            int[] got = tok.encode(strings.get(i), true);
            if (!Arrays.equals(want, got)) {
                failures.add(ReferenceEncodingTest.visible(strings.get(i)) + "\n  reference " + Arrays.toString(want) + "\n  ours      " + Arrays.toString(got));
            }
        }
        assertTrue(failures.isEmpty(), "ids differ from the reference:\n" + String.join("\n", failures));
    }

    private static boolean nodeRuns() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }
}
