package io.liquid4j.tokenizer;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles the regexes of tokenizer.json, written for Oniguruma (what Hugging Face tokenizers
 * runs), into java.util.regex patterns that match the same text.
 *
 * <p>Both are backtracking engines with the same greedy, lazy and possessive quantifiers,
 * atomic groups, look-ahead/behind and {@code (?i:...)} groups, so patterns such as Llama 3's
 * {@code \s+(?!\S)} or tiktoken's {@code [^\r\n\p{L}\p{N}]?+\p{L}+} behave alike once these
 * differences are bridged:
 * <ul>
 *   <li>Oniguruma's {@code \s}, {@code \d}, {@code \w} are Unicode-aware:
 *       {@link Pattern#UNICODE_CHARACTER_CLASS} (which also makes {@code (?i)} fold Unicode case);</li>
 *   <li>{@code ^} and {@code $} are line anchors in Oniguruma's (Ruby) syntax: {@link Pattern#MULTILINE};</li>
 *   <li>{@code \h}/{@code \H} mean a hex digit / not one (Java reads them as horizontal space);</li>
 *   <li>script names ({@code \p{Han}}) need Java's {@code Is} prefix, and {@code \p{^X}} means {@code \P{X}}.</li>
 * </ul>
 */
final class OnigurumaPattern {
    private OnigurumaPattern() {}

    /** @param where names the file and field in errors, e.g. "tokenizer.json: pre_tokenizer.pattern.Regex" */
    static Pattern compile(String regex, String where) {
        String java = translate(regex);
        try {
            return Pattern.compile(java, Pattern.UNICODE_CHARACTER_CLASS | Pattern.MULTILINE);
        } catch (PatternSyntaxException e) {
            throw new TokenizerFormatException(where + ": regex " + quote(regex) + " cannot be compiled: " + e.getDescription(), e);
        }
    }

    static String translate(String regex) {
        StringBuilder out = new StringBuilder(regex.length() + 16);
        int classDepth = 0;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                char e = regex.charAt(i + 1);
                if (e == 'h' || e == 'H') {
                    boolean negated = e == 'H';
                    if (classDepth > 0 && !negated) out.append("0-9a-fA-F");
                    else out.append(negated ? "[^0-9a-fA-F]" : "[0-9a-fA-F]");
                    i++;
                } else if ((e == 'p' || e == 'P') && i + 2 < regex.length() && regex.charAt(i + 2) == '{') {
                    int close = regex.indexOf('}', i + 3);
                    if (close < 0) {
                        out.append(c).append(e);
                        i++;
                        continue;
                    }
                    String name = regex.substring(i + 3, close);
                    boolean negated = e == 'P';
                    if (name.startsWith("^")) {
                        negated = !negated;
                        name = name.substring(1);
                    }
                    out.append('\\').append(negated ? 'P' : 'p').append('{').append(javaPropertyName(name)).append('}');
                    i = close;
                } else {
                    out.append(c).append(e);
                    i++;
                }
                continue;
            }
            if (c == '[') classDepth++;
            else if (c == ']' && classDepth > 0) classDepth--;
            out.append(c);
        }
        return out.toString();
    }

    /** A property name Java accepts for the same set: as is when it compiles, else with "Is" (scripts, blocks). */
    private static String javaPropertyName(String name) {
        for (String candidate : new String[] {name, "Is" + name}) {
            try {
                Pattern.compile("\\p{" + candidate + "}");
                return candidate;
            } catch (PatternSyntaxException ignored) {
                // Try the next spelling; an unknown name is reported when the whole regex compiles.
            }
        }
        return name;
    }

    private static String quote(String s) {
        return "\"" + (s.length() > 120 ? s.substring(0, 117) + "..." : s) + "\"";
    }
}
