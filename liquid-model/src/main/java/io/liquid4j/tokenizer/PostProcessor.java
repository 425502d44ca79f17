package io.liquid4j.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A tokenizer.json post-processor: frames the encoded ids with special tokens (BOS ...). */
sealed interface PostProcessor {

    /** The final ids of a single sequence; special tokens only when {@code addSpecialTokens}. */
    int[] process(int[] ids, boolean addSpecialTokens);

    /** The special token a template puts first (Gemma's BOS), or -1. */
    default int leadingSpecialId() {
        return -1;
    }

    /** Ids before and after the sequence, from the "single" template of TemplateProcessing. */
    record Template(int[] before, int[] after) implements PostProcessor {
        @Override public int[] process(int[] ids, boolean addSpecialTokens) {
            if (!addSpecialTokens || (before.length == 0 && after.length == 0)) return ids;
            int[] out = new int[before.length + ids.length + after.length];
            System.arraycopy(before, 0, out, 0, before.length);
            System.arraycopy(ids, 0, out, before.length, ids.length);
            System.arraycopy(after, 0, out, before.length + ids.length, after.length);
            return out;
        }

        @Override public int leadingSpecialId() {
            return before.length > 0 ? before[0] : -1;
        }
    }

    /** ByteLevel post-processing: it only trims offsets, so the ids pass through unchanged. */
    record Identity() implements PostProcessor {
        @Override public int[] process(int[] ids, boolean addSpecialTokens) {
            return ids;
        }
    }

    record Sequence(List<PostProcessor> steps) implements PostProcessor {
        @Override public int[] process(int[] ids, boolean addSpecialTokens) {
            for (PostProcessor p : steps) ids = p.process(ids, addSpecialTokens);
            return ids;
        }

        @Override public int leadingSpecialId() {
            for (PostProcessor p : steps) if (p.leadingSpecialId() >= 0) return p.leadingSpecialId();
            return -1;
        }
    }

    /** The post-processor of {@code node}; every id it adds must have a token in {@code tokens} (by id). */
    static PostProcessor fromJson(ConfigNode node, String[] tokens) {
        return switch (node.type()) {
            case "TemplateProcessing" -> template(node, tokens);
            case "ByteLevel" -> new Identity();
            case "Sequence" -> new Sequence(node.list("processors").stream().map(p -> fromJson(p, tokens)).toList());
            default -> throw node.unsupported("post_processor type \"" + node.type() + "\"");
        };
    }

    /**
     * Reads the "single" template: SpecialToken items before and after the one Sequence item,
     * each resolved through "special_tokens" (an entry may stand for several ids).
     */
    private static PostProcessor template(ConfigNode node, String[] tokens) {
        Map<String, Object> specials = node.isNull("special_tokens") ? Map.of() : node.get("special_tokens").asMap();
        List<Integer> before = new ArrayList<>();
        List<Integer> after = new ArrayList<>();
        boolean seenSequence = false;
        for (ConfigNode item : node.list("single")) {
            if (!item.isNull("Sequence")) {
                seenSequence = true;
            } else if (!item.isNull("SpecialToken")) {
                String name = item.get("SpecialToken").string("id");
                if (!specials.containsKey(name)) {
                    throw item.get("SpecialToken").error("names \"" + name + "\", which is not in post_processor.special_tokens");
                }
                ConfigNode special = node.get("special_tokens").get(name);
                for (ConfigNode id : special.list("ids")) {
                    int v = id.asInt();
                    // an id without a token would reach the model's embedding as an index out of bounds, or fail every decode
                    if (v < 0 || v >= tokens.length || tokens[v] == null) {
                        throw id.error("is " + v + ", which is no token of model.vocab or added_tokens (ids run from 0 to " + (tokens.length - 1) + ")");
                    }
                    (seenSequence ? after : before).add(v);
                }
            } else {
                throw item.error("must be a {\"Sequence\": ...} or a {\"SpecialToken\": ...} item");
            }
        }
        return new Template(before.stream().mapToInt(Integer::intValue).toArray(), after.stream().mapToInt(Integer::intValue).toArray());
    }
}
