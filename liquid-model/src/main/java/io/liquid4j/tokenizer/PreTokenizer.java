package io.liquid4j.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A tokenizer.json pre-tokenizer: cuts normalized text into the pieces ("words") BPE sees. */
sealed interface PreTokenizer {

    /**
     * Appends the pieces of {@code piece} to {@code out}.
     *
     * @param atTextStart whether {@code piece} starts at offset 0 of the whole input (Metaspace's
     *                    prepend_scheme "first" adds its "▁" only there)
     */
    void split(String piece, boolean atTextStart, List<String> out);

    /** How Split treats the matched delimiters (Hugging Face's SplitDelimiterBehavior). */
    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    /**
     * Splits on a pattern. With {@code invert} the matches are the kept words and the text
     * between them the delimiters. Empty pieces are dropped.
     */
    record Split(Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {
        @Override public void split(String piece, boolean atTextStart, List<String> out) {
            // Segments alternate between delimiter and non-delimiter text and cover the piece.
            List<int[]> segments = new ArrayList<>();
            Matcher m = pattern.matcher(piece);
            int prev = 0;
            while (m.find()) {
                if (m.start() > prev) segments.add(new int[] {prev, m.start(), invert ? 1 : 0});
                segments.add(new int[] {m.start(), m.end(), invert ? 0 : 1});
                prev = m.end();
            }
            if (prev < piece.length()) segments.add(new int[] {prev, piece.length(), invert ? 1 : 0});

            // The folds of Hugging Face's SplitDelimiterBehavior, over [start, end, isDelimiter].
            List<int[]> pieces = new ArrayList<>();
            switch (behavior) {
                case REMOVED -> segments.stream().filter(seg -> seg[2] == 0).forEach(pieces::add);
                case ISOLATED -> pieces.addAll(segments);
                case MERGED_WITH_PREVIOUS -> {
                    boolean previousDelimiter = false;
                    for (int[] seg : segments) {
                        boolean delimiter = seg[2] == 1;
                        if (delimiter && !previousDelimiter && !pieces.isEmpty()) pieces.getLast()[1] = seg[1];
                        else pieces.add(seg.clone());
                        previousDelimiter = delimiter;
                    }
                }
                case MERGED_WITH_NEXT -> {
                    boolean nextDelimiter = false;
                    for (int[] seg : segments.reversed()) {
                        boolean delimiter = seg[2] == 1;
                        if (delimiter && !nextDelimiter && !pieces.isEmpty()) pieces.getLast()[0] = seg[0];
                        else pieces.add(seg.clone());
                        nextDelimiter = delimiter;
                    }
                    java.util.Collections.reverse(pieces);
                }
                case CONTIGUOUS -> {
                    boolean previousDelimiter = false;
                    for (int[] seg : segments) {
                        boolean delimiter = seg[2] == 1;
                        if (delimiter == previousDelimiter && !pieces.isEmpty()) pieces.getLast()[1] = seg[1];
                        else pieces.add(seg.clone());
                        previousDelimiter = delimiter;
                    }
                }
            }
            for (int[] p : pieces) if (p[1] > p[0]) out.add(piece.substring(p[0], p[1]));
        }
    }

    /**
     * GPT-2 byte-level pre-tokenization: optionally a leading space, optionally GPT-2's own word
     * regex, then every UTF-8 byte written as its {@link ByteLevelAlphabet} char.
     */
    record ByteLevel(boolean addPrefixSpace, Pattern wordPattern) implements PreTokenizer {
        static final String GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

        @Override public void split(String piece, boolean atTextStart, List<String> out) {
            if (addPrefixSpace && !piece.startsWith(" ")) piece = " " + piece;
            if (wordPattern == null) {
                out.add(ByteLevelAlphabet.encode(piece));
                return;
            }
            Matcher m = wordPattern.matcher(piece);
            int prev = 0;
            while (m.find()) {
                if (m.start() > prev) out.add(ByteLevelAlphabet.encode(piece.substring(prev, m.start())));
                if (m.end() > m.start()) out.add(ByteLevelAlphabet.encode(m.group()));
                prev = m.end();
            }
            if (prev < piece.length()) out.add(ByteLevelAlphabet.encode(piece.substring(prev)));
        }
    }

    /** Where Metaspace puts its "▁" in front of a piece. */
    enum PrependScheme { ALWAYS, FIRST, NEVER }

    /**
     * SentencePiece-style: spaces become the replacement char ("▁"), a "▁" is put in front per
     * the scheme, and with {@code splitWords} the text is cut before every "▁".
     */
    record Metaspace(String replacement, PrependScheme scheme, boolean splitWords) implements PreTokenizer {
        @Override public void split(String piece, boolean atTextStart, List<String> out) {
            String text = piece.replace(" ", replacement);
            boolean prepend = switch (scheme) {
                case ALWAYS -> true;
                case FIRST -> atTextStart;
                case NEVER -> false;
            };
            if (prepend && !text.startsWith(replacement)) text = replacement + text;
            if (!splitWords) {
                out.add(text);
                return;
            }
            int start = 0;
            for (int i = text.indexOf(replacement, 1); i >= 0; i = text.indexOf(replacement, i + replacement.length())) {
                if (i > start) out.add(text.substring(start, i));
                start = i;
            }
            if (start < text.length()) out.add(text.substring(start));
        }
    }

    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        @Override public void split(String piece, boolean atTextStart, List<String> out) {
            List<String> pieces = List.of(piece);
            for (PreTokenizer step : steps) {
                List<String> next = new ArrayList<>();
                for (int i = 0; i < pieces.size(); i++) step.split(pieces.get(i), atTextStart && i == 0, next);
                pieces = next;
            }
            out.addAll(pieces);
        }
    }

    static PreTokenizer fromJson(ConfigNode node) {
        return switch (node.type()) {
            case "Split" -> {
                ConfigNode pattern = node.get("pattern");
                String behavior = node.string("behavior");
                Behavior b = switch (behavior) {
                    case "Removed" -> Behavior.REMOVED;
                    case "Isolated" -> Behavior.ISOLATED;
                    case "MergedWithPrevious" -> Behavior.MERGED_WITH_PREVIOUS;
                    case "MergedWithNext" -> Behavior.MERGED_WITH_NEXT;
                    case "Contiguous" -> Behavior.CONTIGUOUS;
                    default -> throw node.get("behavior").error("must be Removed, Isolated, MergedWithPrevious, "
                            + "MergedWithNext or Contiguous but is \"" + behavior + "\"");
                };
                yield new Split(TextPattern.fromJson(pattern).pattern(), b, node.bool("invert", false));
            }
            case "ByteLevel" -> new ByteLevel(node.bool("add_prefix_space", true),
                    node.bool("use_regex", true) ? OnigurumaPattern.compile(ByteLevel.GPT2_REGEX, "GPT-2 regex") : null);
            case "Metaspace" -> new Metaspace(node.string("replacement"), prependScheme(node), node.bool("split", true));
            case "Sequence" -> new Sequence(node.list("pretokenizers").stream().map(PreTokenizer::fromJson).toList());
            default -> throw node.unsupported("pre_tokenizer type \"" + node.type() + "\"");
        };
    }

    /** prepend_scheme ("always"/"first"/"never"), or the older boolean add_prefix_space. */
    private static PrependScheme prependScheme(ConfigNode node) {
        if (node.isNull("prepend_scheme")) return node.bool("add_prefix_space", true) ? PrependScheme.ALWAYS : PrependScheme.NEVER;
        String s = node.string("prepend_scheme");
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "always" -> PrependScheme.ALWAYS;
            case "first" -> PrependScheme.FIRST;
            case "never" -> PrependScheme.NEVER;
            default -> throw node.get("prepend_scheme").error("must be always, first or never but is \"" + s + "\"");
        };
    }
}
