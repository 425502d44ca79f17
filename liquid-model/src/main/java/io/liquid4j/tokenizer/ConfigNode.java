package io.liquid4j.tokenizer;

import io.liquid4j.tensor.io.Json;

import java.util.List;
import java.util.Map;

/**
 * A value inside a parsed tokenizer.json together with where it sits ("model.merges[3]"), so
 * every error can say which file and which field is wrong.
 */
record ConfigNode(Object value, String path, String file) {

    static ConfigNode root(Map<String, Object> json, String file) {
        return new ConfigNode(json, "", file);
    }

    /** True when the member is absent or JSON null. */
    boolean isNull(String key) {
        Object v = asMap().get(key);
        return v == null || v == Json.NULL;
    }

    /** The member as a node; absent or null members are an error. */
    ConfigNode get(String key) {
        Object v = asMap().get(key);
        if (v == null || v == Json.NULL) throw error(childPath(key), "is missing");
        return new ConfigNode(v, childPath(key), file);
    }

    /** The member as a node, or null when it is absent or JSON null. */
    ConfigNode getOrNull(String key) {
        return isNull(key) ? null : get(key);
    }

    String string(String key) {
        return get(key).asString();
    }

    String stringOr(String key, String fallback) {
        return isNull(key) ? fallback : string(key);
    }

    boolean bool(String key, boolean fallback) {
        if (isNull(key)) return fallback;
        ConfigNode n = get(key);
        if (!(n.value instanceof Boolean b)) throw n.error("must be true or false but is " + Json.typeName(n.value));
        return b;
    }

    int integer(String key) {
        return get(key).asInt();
    }

    int intOr(String key, int fallback) {
        return isNull(key) ? fallback : integer(key);
    }

    String asString() {
        if (!(value instanceof String s)) throw error("must be a string but is " + Json.typeName(value));
        return s;
    }

    int asInt() {
        if (!(value instanceof Long l) || l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw error("must be an integer but is " + (value instanceof Number ? value : Json.typeName(value)));
        }
        return (int) (long) l;
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> asMap() {
        if (!(value instanceof Map)) throw error("must be an object but is " + Json.typeName(value));
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    List<Object> asList() {
        if (!(value instanceof List)) throw error("must be an array but is " + Json.typeName(value));
        return (List<Object>) value;
    }

    /** The elements of an array member, each as a node. */
    List<ConfigNode> list(String key) {
        ConfigNode n = get(key);
        List<Object> items = n.asList();
        ConfigNode[] out = new ConfigNode[items.size()];
        for (int i = 0; i < out.length; i++) out[i] = new ConfigNode(items.get(i), n.path + "[" + i + "]", file);
        return List.of(out);
    }

    /** The "type" member every normalizer/pre-tokenizer/decoder/post-processor object carries. */
    String type() {
        return string("type");
    }

    TokenizerFormatException error(String problem) {
        return error(path, problem);
    }

    TokenizerFormatException unsupported(String what) {
        return new TokenizerFormatException(file + ": " + what + " at " + (path.isEmpty() ? "the top level" : path)
                + " is not supported by liquid4j");
    }

    private TokenizerFormatException error(String at, String problem) {
        return new TokenizerFormatException(file + ": " + (at.isEmpty() ? "the top level" : at) + " " + problem);
    }

    private String childPath(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }
}
