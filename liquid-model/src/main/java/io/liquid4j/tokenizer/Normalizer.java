package io.liquid4j.tokenizer;

import java.util.List;

/** A tokenizer.json normalizer: rewrites the text of each section before pre-tokenization. */
sealed interface Normalizer {

    String normalize(String text);

    /** Replaces every match of a pattern (Gemma: " " → "▁"). */
    record Replace(TextPattern pattern, String content) implements Normalizer {
        @Override public String normalize(String text) {
            return pattern.replaceAll(text, content);
        }
    }

    /** Unicode normalization (NFC for Qwen2; NFD, NFKC, NFKD accepted too). */
    record Unicode(java.text.Normalizer.Form form) implements Normalizer {
        @Override public String normalize(String text) {
            return java.text.Normalizer.normalize(text, form);
        }
    }

    /** Puts a fixed string in front (SentencePiece's dummy prefix, "▁"). Empty text stays empty. */
    record Prepend(String prefix) implements Normalizer {
        @Override public String normalize(String text) {
            return text.isEmpty() ? text : prefix + text;
        }
    }

    record Lowercase() implements Normalizer {
        @Override public String normalize(String text) {
            return text.toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Strips whitespace at the left and/or right end. */
    record Strip(boolean left, boolean right) implements Normalizer {
        @Override public String normalize(String text) {
            int start = 0;
            int end = text.length();
            while (left && start < end && WhiteSpace.is(text.codePointAt(start))) start += Character.charCount(text.codePointAt(start));
            while (right && end > start && WhiteSpace.is(text.codePointBefore(end))) end -= Character.charCount(text.codePointBefore(end));
            return text.substring(start, end);
        }
    }

    record Sequence(List<Normalizer> steps) implements Normalizer {
        @Override public String normalize(String text) {
            for (Normalizer n : steps) text = n.normalize(text);
            return text;
        }
    }

    static Normalizer fromJson(ConfigNode node) {
        return switch (node.type()) {
            case "Replace" -> new Replace(TextPattern.fromJson(node.get("pattern")), node.string("content"));
            case "NFC" -> new Unicode(java.text.Normalizer.Form.NFC);
            case "NFD" -> new Unicode(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new Unicode(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new Unicode(java.text.Normalizer.Form.NFKD);
            case "Prepend" -> new Prepend(node.string("prepend"));
            case "Lowercase" -> new Lowercase();
            case "Strip" -> new Strip(node.bool("strip_left", true), node.bool("strip_right", true));
            case "Sequence" -> new Sequence(node.list("normalizers").stream().map(Normalizer::fromJson).toList());
            default -> throw node.unsupported("normalizer type \"" + node.type() + "\"");
        };
    }
}
