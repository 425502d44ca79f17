package io.liquid4j.tokenizer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code pattern} of Replace and Split: {@code {"String": "..."}} (literal text) or
 * {@code {"Regex": "..."}} (an Oniguruma regex). Both are held as a compiled pattern.
 */
record TextPattern(Pattern pattern) {

    static TextPattern fromJson(ConfigNode node) {
        if (!node.isNull("String")) {
            String literal = node.string("String");
            if (literal.isEmpty()) throw node.get("String").error("must not be empty");
            return new TextPattern(Pattern.compile(Pattern.quote(literal)));
        }
        if (!node.isNull("Regex")) {
            ConfigNode regex = node.get("Regex");
            return new TextPattern(OnigurumaPattern.compile(regex.asString(), regex.file() + ": " + regex.path()));
        }
        throw node.error("must hold a \"String\" or a \"Regex\"");
    }

    /** Every match replaced by {@code content} (taken literally: no $1 group references). */
    String replaceAll(String text, String content) {
        return pattern.matcher(text).replaceAll(Matcher.quoteReplacement(content));
    }
}
