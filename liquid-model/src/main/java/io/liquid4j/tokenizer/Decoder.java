package io.liquid4j.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * A tokenizer.json decoder step: turns token strings back into text pieces. Steps chain (each
 * gets the previous one's pieces) and the pieces are concatenated at the end, as in HF's
 * decode_chain.
 */
sealed interface Decoder {

    List<String> decodeChain(List<String> tokens);

    /** Replaces a pattern in every token (Gemma: "▁" → " "). */
    record Replace(TextPattern pattern, String content) implements Decoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            return tokens.stream().map(t -> pattern.replaceAll(t, content)).toList();
        }
    }

    /**
     * Runs of {@code <0xXX>} tokens become the text of their bytes; a run that is not valid
     * UTF-8 becomes one U+FFFD per byte, as in HF.
     */
    record ByteFallback() implements Decoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            byte[] run = new byte[16];
            int runLength = 0;
            for (String t : tokens) {
                int b = byteToken(t);
                if (b >= 0) {
                    if (runLength == run.length) run = java.util.Arrays.copyOf(run, runLength * 2);
                    run[runLength++] = (byte) b;
                    continue;
                }
                if (runLength > 0) flush(run, runLength, out);
                runLength = 0;
                out.add(t);
            }
            if (runLength > 0) flush(run, runLength, out);
            return out;
        }

        private static void flush(byte[] run, int length, List<String> out) {
            String text = Utf8.decodeStrict(run, length);
            if (text != null) out.add(text);
            else for (int i = 0; i < length; i++) out.add("\uFFFD");
        }

        /** The byte of a "&lt;0xXX&gt;" token, or -1. */
        static int byteToken(String t) {
            if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') return -1;
            int hi = Character.digit(t.charAt(3), 16);
            int lo = Character.digit(t.charAt(4), 16);
            return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
        }
    }

    /** Joins all tokens into one piece. */
    record Fuse() implements Decoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join("", tokens));
        }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing copies of {@code content} from each token. */
    record Strip(String content, int start, int stop) implements Decoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                int from = 0;
                int to = t.length();
                for (int i = 0; i < start && t.startsWith(content, from); i++) from += content.length();
                for (int i = 0; i < stop && to - content.length() >= from && t.startsWith(content, to - content.length()); i++) {
                    to -= content.length();
                }
                out.add(t.substring(from, to));
            }
            return out;
        }
    }

    /**
     * GPT-2 byte-level: every char back to its byte, then UTF-8 (lossy). A token holding a
     * char outside the byte table (an added token such as "&lt;|im_start|&gt;" with non-ASCII text)
     * contributes its own UTF-8 bytes, as HF does.
     */
    record ByteLevel() implements Decoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            for (String t : tokens) {
                byte[] mapped = new byte[t.length()];
                boolean allMapped = true;
                for (int i = 0; i < t.length() && allMapped; i++) {
                    int b = ByteLevelAlphabet.byteOf(t.charAt(i));
                    if (b < 0) allMapped = false;
                    else mapped[i] = (byte) b;
                }
                bytes.writeBytes(allMapped ? mapped : Utf8.encode(t));
            }
            return List.of(Utf8.decodeLossy(bytes.toByteArray(), bytes.size()));
        }
    }

    /** SentencePiece-style: the replacement char back to spaces, and the prepended one dropped from the first token. */
    record Metaspace(String replacement, boolean stripFirstSpace) implements Decoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i).replace(replacement, " ");
                if (i == 0 && stripFirstSpace && t.startsWith(" ")) t = t.substring(1);
                out.add(t);
            }
            return out;
        }
    }

    record Sequence(List<Decoder> steps) implements Decoder {
        @Override public List<String> decodeChain(List<String> tokens) {
            for (Decoder d : steps) tokens = d.decodeChain(tokens);
            return tokens;
        }
    }

    static Decoder fromJson(ConfigNode node) {
        return switch (node.type()) {
            case "Replace" -> new Replace(TextPattern.fromJson(node.get("pattern")), node.string("content"));
            case "ByteFallback" -> new ByteFallback();
            case "Fuse" -> new Fuse();
            case "Strip" -> new Strip(node.string("content"), node.intOr("start", 0), node.intOr("stop", 0));
            case "ByteLevel" -> new ByteLevel();
            case "Metaspace" -> new Metaspace(node.string("replacement"), metaspaceStripsFirst(node));
            case "Sequence" -> new Sequence(node.list("decoders").stream().map(Decoder::fromJson).toList());
            default -> throw node.unsupported("decoder type \"" + node.type() + "\"");
        };
    }

    /** The decoder undoes the pre-tokenizer's prepended "▁" unless prepend_scheme is "never" (or add_prefix_space false). */
    private static boolean metaspaceStripsFirst(ConfigNode node) {
        if (!node.isNull("prepend_scheme")) return !node.string("prepend_scheme").equalsIgnoreCase("never");
        return node.bool("add_prefix_space", true);
    }
}
