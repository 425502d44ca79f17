package io.liquid4j.nn.transformer;

import io.liquid4j.nn.layers.Activation;
import io.liquid4j.nn.layers.RopeScaling;
import io.liquid4j.tensor.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Reads an HF config.json into a {@link ModelConfig}. Accepts the transformers v4 keys
 * (rope_theta, rope_scaling, torch_dtype) and the v5 ones (rope_parameters, dtype); applies
 * each family's HF defaults for absent keys; rejects what liquid4j cannot run with one sentence
 * naming the file and the field.
 */
public final class ConfigParser {
    /** Larger configs are refused before anything is built: 10^13 parameters is far beyond any released model. */
    static final double MAX_PARAMETERS = 1e13;
    /** Deeper configs are refused (released models have at most ~130 layers; each layer is objects on the heap before any weight). */
    static final int MAX_LAYERS = 4096;

    private final String source;
    private final Map<String, Object> json;

    private ConfigParser(String source, Map<String, Object> json) {
        this.source = source;
        this.json = json;
    }

    /** Parses dir/config.json (or the file itself when given one). */
    public static ModelConfig load(Path dirOrFile) {
        Path file = Files.isDirectory(dirOrFile) ? dirOrFile.resolve("config.json") : dirOrFile;
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no config.json found");
        Object json;
        try {
            json = Json.parseFile(file);   // invalid UTF-8 is a JsonException too, with its position
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read config (" + e.getMessage() + ")", e);
        } catch (io.liquid4j.tensor.io.JsonException e) {
            throw new IllegalArgumentException(file + ": invalid JSON: line " + e.line() + ", column " + e.column() + ": " + e.detail(), e);
        }
        if (!(json instanceof Map<?, ?> m)) throw new IllegalArgumentException(file + ": the top level must be a JSON object, got " + Json.typeName(json));
        @SuppressWarnings("unchecked")
        Map<String, Object> object = (Map<String, Object>) m;
        return parse(object, file.toString());
    }

    /** Parses an already-read config object; source names it in errors. */
    public static ModelConfig parse(Map<String, Object> json, String source) {
        return new ConfigParser(source, json).build();
    }

    private ModelConfig build() {
        Family family = family();
        int hidden = requiredInt("hidden_size");
        int heads = requiredInt("num_attention_heads");
        int kvHeads = optPositiveInt("num_key_value_heads", heads);
        int layers = requiredInt("num_hidden_layers");
        if (layers > MAX_LAYERS) throw error("num_hidden_layers " + layers + " is more than the " + MAX_LAYERS + " layers this engine accepts");
        int headDim = optPositiveInt("head_dim", Math.max(1, hidden / heads));
        if (!has("head_dim") && hidden % heads != 0) {
            throw error("hidden_size " + hidden + " is not divisible by num_attention_heads " + heads + " and head_dim is absent");
        }
        if (heads % kvHeads != 0) throw error("num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);

        Map<String, Object> ropeParams = optObject("rope_parameters");
        double theta = ropeParams != null && ropeParams.containsKey("rope_theta")
                ? positive(ropeParams.get("rope_theta"), "rope_parameters.rope_theta") : optPositiveDouble("rope_theta", 10000.0);
        RopeScaling rope = ropeScaling(ropeParams != null ? ropeParams : optObject("rope_scaling"),
                ropeParams != null ? "rope_parameters" : "rope_scaling");

        Activation act = activation(family);
        boolean attnBias = optBool("attention_bias", false);
        boolean mlpBias = optBool("mlp_bias", false);
        if (family.isGemma() && attnBias) throw error("attention_bias=true is not supported for " + family.modelType());
        boolean qkvBias = family == Family.QWEN2 || (family == Family.LLAMA && attnBias);
        boolean outBias = family == Family.LLAMA && attnBias;
        if (family != Family.LLAMA && mlpBias) throw error("mlp_bias=true is not supported for " + family.modelType());

        double scaling = Math.pow(headDim, -0.5);
        double attnCap = 0, finalCap = 0;
        int window = 0;
        boolean[] sliding = new boolean[layers];
        if (family == Family.GEMMA2) {
            scaling = Math.pow(optPositiveDouble("query_pre_attn_scalar", 256), -0.5);
            attnCap = softcap("attn_logit_softcapping", 50.0);
            finalCap = softcap("final_logit_softcapping", 30.0);
            window = optPositiveInt("sliding_window", 4096);
            List<Object> types = optArray("layer_types");
            for (int i = 0; i < layers; i++) {
                if (types == null) {
                    sliding[i] = i % 2 == 0;
                } else {
                    if (types.size() != layers) throw error("layer_types has " + types.size() + " entries for " + layers + " layers");
                    Object t = types.get(i);
                    if ("sliding_attention".equals(t)) sliding[i] = true;
                    else if (!"full_attention".equals(t)) throw error("layer_types[" + i + "] is '" + t + "', expected sliding_attention or full_attention");
                }
            }
        } else if (family == Family.QWEN2 && optBool("use_sliding_window", false)) {
            throw error("use_sliding_window=true is not supported (Qwen2 sliding-window layers)");
        }
        boolean tiedDefault = family.isGemma();   // HF: Gemma configs default to tied embeddings, Llama/Qwen2 to untied
        int vocab = requiredInt("vocab_size"), intermediate = requiredInt("intermediate_size");
        // a size no machine holds fails here, before a layer object or a weight exists
        double params = (double) layers * ((double) hidden * headDim * (heads + 2L * kvHeads) + (double) heads * headDim * hidden
                + 3.0 * hidden * intermediate) + 2.0 * vocab * hidden;
        if (params > MAX_PARAMETERS) {
            throw error(String.format(java.util.Locale.ROOT, "the sizes describe %.3g parameters (num_hidden_layers %d, hidden_size %d, intermediate_size %d, vocab_size %d), "
                    + "more than the %.0e this engine accepts", params, layers, hidden, intermediate, vocab, MAX_PARAMETERS));
        }
        return new ModelConfig(family, vocab, hidden, intermediate, layers,
                heads, kvHeads, headDim, optPositiveDouble("rms_norm_eps", 1e-6), theta, rope, optPositiveInt("max_position_embeddings", 2048),
                optBool("tie_word_embeddings", tiedDefault), act, qkvBias, outBias, mlpBias && family == Family.LLAMA,
                scaling, attnCap, finalCap, window, sliding,
                optInt("bos_token_id", -1), eosIds(), optInt("pad_token_id", -1));
    }

    private Family family() {
        String type = json.get("model_type") instanceof String s ? s : null;
        Family f = type == null ? null : Family.ofModelType(type);
        if (f == null) {
            List<Object> archs = optArray("architectures");
            String arch = archs != null && !archs.isEmpty() && archs.getFirst() instanceof String s ? s : null;
            f = arch == null ? null : Family.ofArchitecture(arch);
            if (f == null) {
                throw error("unsupported architecture (model_type " + (type == null ? "absent" : "'" + type + "'")
                        + (arch == null ? "" : ", architectures ['" + arch + "']") + "); supported: " + Family.supportedList());
            }
        }
        return f;
    }

    private Activation activation(Family family) {
        if (family.isGemma()) return Activation.GELU_TANH;  // HF forces gelu_pytorch_tanh whatever the config says
        String act = json.get("hidden_act") instanceof String s ? s : "silu";
        if (!act.equals("silu") && !act.equals("swish")) throw error("hidden_act '" + act + "' is not supported for " + family.modelType() + " (only silu)");
        return Activation.SILU;
    }

    private RopeScaling ropeScaling(Map<String, Object> m, String key) {
        if (m == null) return RopeScaling.NONE;
        Object typeObj = m.containsKey("rope_type") ? m.get("rope_type") : m.get("type");
        String type = typeObj instanceof String s ? s : "default";
        return switch (type) {
            case "default" -> RopeScaling.NONE;
            case "linear" -> new RopeScaling(RopeScaling.Type.LINEAR, positive(m.get("factor"), key + ".factor"), 1, 1, 0);
            case "llama3" -> {
                double low = positive(m.get("low_freq_factor"), key + ".low_freq_factor");
                double high = positive(m.get("high_freq_factor"), key + ".high_freq_factor");
                // HF divides by high − low: equal or reversed factors give NaN or inverted frequencies, not a model
                if (!(high > low)) throw error(key + ".high_freq_factor " + high + " must be greater than low_freq_factor " + low);
                long original = integer(m.get("original_max_position_embeddings"), key + ".original_max_position_embeddings");
                if (original <= 0 || original > Integer.MAX_VALUE) {
                    throw error("field '" + key + ".original_max_position_embeddings' must be a positive integer, got " + original);
                }
                yield new RopeScaling(RopeScaling.Type.LLAMA3, positive(m.get("factor"), key + ".factor"), low, high, (int) original);
            }
            default -> throw error(key + ".rope_type '" + type + "' is not supported (default, linear, llama3)");
        };
    }

    private int[] eosIds() {
        Object v = json.get("eos_token_id");
        if (v == null || v == Json.NULL) return new int[0];
        if (v instanceof List<?> l) {
            int[] r = new int[l.size()];
            for (int i = 0; i < r.length; i++) r[i] = intId(l.get(i), "eos_token_id[" + i + "]");
            return r;
        }
        return new int[] {intId(v, "eos_token_id")};
    }

    // ---- typed access --------------------------------------------------------------------

    private boolean has(String key) {
        Object v = json.get(key);
        return v != null && v != Json.NULL;
    }

    private int requiredInt(String key) {
        if (!has(key)) throw error("missing required field '" + key + "'");
        long v = integer(json.get(key), key);
        if (v <= 0 || v > Integer.MAX_VALUE) throw error("field '" + key + "' must be a positive integer, got " + v);
        return (int) v;
    }

    private int optInt(String key, int dflt) {
        return has(key) ? intId(json.get(key), key) : dflt;
    }

    /** A token id: an integer that fits an int (a larger one used to be cut to its low 32 bits). */
    private int intId(Object v, String key) {
        long id = integer(v, key);
        if (id < Integer.MIN_VALUE || id > Integer.MAX_VALUE) throw error("field '" + key + "' must be a token id, got " + id);
        return (int) id;
    }

    /** A number that must be positive and finite (a RoPE factor or base). */
    private double positive(Object v, String key) {
        double d = number(v, key);
        if (!(d > 0) || Double.isInfinite(d)) throw error("field '" + key + "' must be a positive number, got " + d);
        return d;
    }

    /** A softcap: absent is the default, JSON null is off (0), otherwise it must not be negative. */
    private double softcap(String key, double dflt) {
        double cap = optDouble(key, dflt, true);
        if (!(cap >= 0) || Double.isInfinite(cap)) throw error("field '" + key + "' must be a non-negative number or null, got " + cap);
        return cap;
    }

    /** An optional integer that, when present, must be positive (a size, a window, a context length). */
    private int optPositiveInt(String key, int dflt) {
        if (!has(key)) return dflt;
        long v = integer(json.get(key), key);
        if (v <= 0 || v > Integer.MAX_VALUE) throw error("field '" + key + "' must be a positive integer, got " + v);
        return (int) v;
    }

    /** An optional number that, when present, must be positive and finite (an epsilon, a scale, a base). */
    private double optPositiveDouble(String key, double dflt) {
        if (!has(key)) return dflt;
        double v = number(json.get(key), key);
        if (!(v > 0) || Double.isInfinite(v)) throw error("field '" + key + "' must be a positive number, got " + v);
        return v;
    }

    private double optDouble(String key, double dflt) {
        return has(key) ? number(json.get(key), key) : dflt;
    }

    /** As optDouble, but an explicit JSON null means "off" (0) rather than the default. */
    private double optDouble(String key, double dflt, boolean nullMeansOff) {
        if (json.containsKey(key) && json.get(key) == Json.NULL && nullMeansOff) return 0;
        return optDouble(key, dflt);
    }

    private boolean optBool(String key, boolean dflt) {
        if (!has(key)) return dflt;
        if (json.get(key) instanceof Boolean b) return b;
        throw error("field '" + key + "' must be true or false, got " + Json.typeName(json.get(key)));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> optObject(String key) {
        if (!has(key)) return null;
        if (json.get(key) instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw error("field '" + key + "' must be an object, got " + Json.typeName(json.get(key)));
    }

    @SuppressWarnings("unchecked")
    private List<Object> optArray(String key) {
        if (!has(key)) return null;
        if (json.get(key) instanceof List<?> l) return (List<Object>) l;
        throw error("field '" + key + "' must be an array, got " + Json.typeName(json.get(key)));
    }

    private long integer(Object v, String key) {
        if (v instanceof Long l) return l;
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p53) return d.longValue();
        throw error("field '" + key + "' must be an integer, got " + (v == null ? "nothing" : Json.typeName(v)));
    }

    private double number(Object v, String key) {
        if (v instanceof Long l) return l;
        if (v instanceof Double d) return d;
        throw error("field '" + key + "' must be a number, got " + (v == null ? "nothing" : Json.typeName(v)));
    }

    private IllegalArgumentException error(String msg) {
        return new IllegalArgumentException(source + ": " + msg);
    }
}
