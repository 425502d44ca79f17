package io.liquid4j.tokenizer;

/**
 * An entry of tokenizer.json's {@code added_tokens}: text that is cut out of the input before
 * normalization and becomes exactly one id.
 *
 * @param singleWord only match when not inside a word (no letter, digit or '_' touching it)
 * @param lstrip     the match also takes the whitespace on its left
 * @param rstrip     the match also takes the whitespace on its right
 * @param normalized match against normalized text (with normalized content) instead of raw text
 * @param special    a control token (BOS, EOS, turn markers): left out by decode when asked to skip specials
 */
record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
                  boolean normalized, boolean special) {

    static AddedToken fromJson(ConfigNode node) {
        String content = node.string("content");
        if (content.isEmpty()) throw node.get("content").error("must not be empty");
        boolean special = node.bool("special", false);
        return new AddedToken(node.integer("id"), content, node.bool("single_word", false), node.bool("lstrip", false),
                node.bool("rstrip", false), node.bool("normalized", !special), special);
    }
}
