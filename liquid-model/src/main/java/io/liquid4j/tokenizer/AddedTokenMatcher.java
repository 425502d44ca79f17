package io.liquid4j.tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text, leftmost-longest (like Hugging Face's Aho-Corasick matcher), and
 * cuts the text into plain sections and token matches.
 *
 * <p>Matches never overlap: scanning resumes after a match even when single_word then rejects
 * it, as HF does, so the rejected span stays plain text.
 */
final class AddedTokenMatcher {

    /** A piece of the input: plain text ({@code token == null}) or one added token. */
    record Section(String text, AddedToken token, int offset) {}

    /** A trie node keyed by UTF-16 char; {@code token} is set where an added token ends. */
    private static final class Node {
        final Map<Character, Node> children = new HashMap<>(4);
        AddedToken token;
    }

    private final Node root = new Node();
    private final boolean empty;

    AddedTokenMatcher(List<AddedToken> tokens, java.util.function.UnaryOperator<String> contentForm) {
        for (AddedToken t : tokens) {
            String content = contentForm.apply(t.content());
            Node node = root;
            for (int i = 0; i < content.length(); i++) node = node.children.computeIfAbsent(content.charAt(i), c -> new Node());
            if (node.token == null) node.token = t; // the first of two tokens with the same text wins
        }
        empty = tokens.isEmpty();
    }

    /** Sections of {@code text} in order; {@code baseOffset} is added to each section's offset. */
    void split(String text, int baseOffset, List<Section> out) {
        if (empty) {
            if (!text.isEmpty()) out.add(new Section(text, null, baseOffset));
            return;
        }
        int plainStart = 0;
        int i = 0;
        int n = text.length();
        while (i < n) {
            Node node = root.children.get(text.charAt(i));
            if (node == null) {
                i++;
                continue;
            }
            AddedToken match = null;
            int matchEnd = -1;
            for (int j = i + 1; ; j++) {
                if (node.token != null) {
                    match = node.token;
                    matchEnd = j;
                }
                if (j >= n || (node = node.children.get(text.charAt(j))) == null) break;
            }
            if (match == null) {
                i++;
                continue;
            }
            if (match.singleWord() && (isWordChar(text, i - 1) || isWordChar(text, matchEnd))) {
                i = matchEnd;
                continue;
            }
            int start = i;
            int end = matchEnd;
            if (match.lstrip()) while (start > plainStart && WhiteSpace.is(text.charAt(start - 1))) start--;
            if (match.rstrip()) while (end < n && WhiteSpace.is(text.charAt(end))) end++;
            if (start > plainStart) out.add(new Section(text.substring(plainStart, start), null, baseOffset + plainStart));
            out.add(new Section(text.substring(start, end), match, baseOffset + start));
            plainStart = end;
            i = end;
        }
        if (plainStart < n) out.add(new Section(text.substring(plainStart), null, baseOffset + plainStart));
    }

    /** Unicode {@code \w} (letters, marks, digits, connector punctuation), as HF's regex crate has it. */
    private static final java.util.regex.Pattern WORD_CHAR =
            java.util.regex.Pattern.compile("\\w", java.util.regex.Pattern.UNICODE_CHARACTER_CLASS);

    /** Whether the code point starting (or, at a low surrogate, ending) at {@code i} is a word character. */
    private static boolean isWordChar(String text, int i) {
        if (i < 0 || i >= text.length()) return false;
        int cp = Character.isLowSurrogate(text.charAt(i)) && i > 0 ? text.codePointBefore(i + 1) : text.codePointAt(i);
        return WORD_CHAR.matcher(Character.toString(cp)).matches();
    }
}
