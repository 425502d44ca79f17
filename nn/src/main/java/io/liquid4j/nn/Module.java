package io.liquid4j.nn;

import io.liquid4j.tensor.DType;
import io.liquid4j.tensor.Device;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Checkpoint;
import io.liquid4j.tensor.io.WeightCheck;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Base of every layer and model. Parameters and children are registered under names, and the
 * dotted paths they form ("model.layers.3.mlp.up_proj.weight") equal Hugging Face / PyTorch
 * state-dict keys, so checkpoints map by name.
 */
public abstract class Module {
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Registers a child module under name and returns it. */
    protected final <M extends Module> M child(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    /** Registers a parameter with an initial value and returns it. */
    protected final Parameter param(String name, Tensor init) {
        return param(name, new Parameter(init));
    }

    /** Registers an existing (possibly shared, i.e. tied) parameter under name. */
    protected final Parameter param(String name, Parameter p) {
        checkName(name);
        params.put(name, p);
        return p;
    }

    /**
     * Removes a registered parameter (a layer whose weight is replaced by a form the state dict
     * does not hold as a parameter, e.g. quantized codes): it no longer loads, saves or trains.
     */
    protected final void unregister(String name) {
        if (params.remove(name) == null) throw new IllegalArgumentException("no parameter '" + name + "' to remove");
    }

    /** Every module below this one (itself excluded) by its dotted path, depth first. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String prefix, Map<String, Module> out) {
        for (var e : children.entrySet()) {
            out.put(prefix + e.getKey(), e.getValue());
            e.getValue().collectModules(prefix + e.getKey() + ".", out);
        }
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) throw new IllegalArgumentException("bad module/parameter name '" + name + "'");
        if (params.containsKey(name) || children.containsKey(name)) throw new IllegalArgumentException("name '" + name + "' registered twice");
    }

    /** Every parameter by its full dotted name; a tied parameter appears under each of its names. */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        for (var e : params.entrySet()) out.put(prefix + e.getKey(), e.getValue());
        for (var e : children.entrySet()) e.getValue().collect(prefix + e.getKey() + ".", out);
    }

    /** Distinct parameters (tied ones once), in registration order. */
    public final List<Parameter> parameters() {
        Set<Parameter> seen = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : namedParameters().values()) if (seen.add(p)) out.add(p);
        return out;
    }

    /** Distinct trainable parameters. */
    public final List<Parameter> trainableParameters() {
        return parameters().stream().filter(Parameter::isTrainable).toList();
    }

    /** Number of scalar weights (tied parameters counted once; quantized weights by their element count). */
    public final long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) n += p.numel();
        for (Module m : namedModules().values()) n += m.weightsOutsideParameters();
        return n + weightsOutsideParameters();
    }

    /** Weights this module holds in another form than its parameters (a Linear's quantized codes), counted by {@link #parameterCount}. */
    protected long weightsOutsideParameters() { return 0; }

    public final Map<String, Module> children() { return Collections.unmodifiableMap(children); }

    /** Freezes (or unfreezes) every parameter of this module and its children. */
    public final void setTrainable(boolean trainable) {
        for (Parameter p : parameters()) p.setTrainable(trainable);
    }

    /** Training mode (dropout active) or evaluation mode, recursively. */
    public final void train(boolean on) {
        training = on;
        for (Module m : children.values()) m.train(on);
    }

    public final boolean isTraining() { return training; }

    /** Clears the gradients of all parameters. */
    public final void zeroGrad() {
        for (Parameter p : parameters()) p.value().zeroGrad();
    }

    /** The parameter tensors by name (the state dict). Tied parameters appear under each name. */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : namedParameters().entrySet()) out.put(e.getKey(), e.getValue().value());
        return out;
    }

    /** Writes the state dict to a safetensors file (tied parameters once, under their first name). */
    public final void save(Path file, Map<String, String> metadata) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<Parameter> seen = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (var e : namedParameters().entrySet()) if (seen.add(e.getValue())) out.put(e.getKey(), e.getValue().value());
        Checkpoint.save(file, out, metadata);
    }

    /**
     * Whether {@link #load} leaves CPU weights in their stored dtype as views of the file
     * mapping (system property {@code liquid4j.mmapWeights=true}: no copy, pages shared with
     * the page cache) instead of copying them into memory of their own (the default: decoding
     * streams the weights faster from there, see Checkpoint.tensorCopy).
     */
    private static final boolean MMAP_WEIGHTS = Boolean.getBoolean("liquid4j.mmapWeights");

    /**
     * Replaces every parameter with the checkpoint tensor of the same name, converted to dtype
     * (null keeps the stored dtype: a BF16 checkpoint stays BF16) and moved to device; on the CPU
     * a copy of the file's bytes, or with {@code liquid4j.mmapWeights=true} a zero-copy view of
     * the mapping where no conversion is needed. Fails with one message listing all missing
     * tensors, unexpected tensors (when strict) and shape mismatches. A tied parameter is
     * satisfied by any one of its names.
     */
    public final void load(Checkpoint ckpt, DType dtype, Device device, boolean strict) {
        load(ckpt, dtype, device, strict, true);
    }

    /**
     * {@link #load(Checkpoint, DType, Device, boolean)}; with checkWeights (the default) every
     * tensor loaded must be stored as a floating-point dtype and hold only finite values
     * ({@link WeightCheck}: one vectorised scan of the stored bytes, before any copy), else the
     * load fails naming the tensors. The CLI's {@code --no-check} passes false.
     */
    public final void load(Checkpoint ckpt, DType dtype, Device device, boolean strict, boolean checkWeights) {
        load(ckpt, dtype, device, strict, checkWeights, Set.of());
    }

    /**
     * {@link #load(Checkpoint, DType, Device, boolean, boolean)} for a checkpoint some of whose
     * tensors were already consumed by other means (quantized codes and scales): those names are
     * not "unexpected".
     */
    public final void load(Checkpoint ckpt, DType dtype, Device device, boolean strict, boolean checkWeights, Set<String> consumed) {
        Map<String, Parameter> named = namedParameters();
        Map<Parameter, List<String>> names = new java.util.IdentityHashMap<>();
        for (var e : named.entrySet()) names.computeIfAbsent(e.getValue(), k -> new ArrayList<>()).add(e.getKey());
        List<String> missing = new ArrayList<>(), mismatched = new ArrayList<>();
        Map<Parameter, String> source = new java.util.IdentityHashMap<>();
        for (var e : names.entrySet()) {
            String found = e.getValue().stream().filter(ckpt::contains).findFirst().orElse(null);
            if (found == null) {
                missing.add(e.getValue().getFirst());
                continue;
            }
            int[] want = e.getKey().shape(), got = ckpt.shape(found);
            if (!Arrays.equals(want, got)) {
                mismatched.add(found + ": expected " + Arrays.toString(want) + ", got " + Arrays.toString(got));
            } else {
                source.put(e.getKey(), found);
            }
        }
        Set<String> unexpected = new LinkedHashSet<>(ckpt.names());
        unexpected.removeAll(named.keySet());
        unexpected.removeAll(consumed);
        StringBuilder err = new StringBuilder();
        if (!missing.isEmpty()) err.append("missing tensors ").append(limit(missing)).append("; ");
        if (strict && !unexpected.isEmpty()) err.append("unexpected tensors ").append(limit(new ArrayList<>(unexpected))).append("; ");
        if (!mismatched.isEmpty()) err.append("shape mismatch ").append(limit(mismatched)).append("; ");
        if (!err.isEmpty()) {
            throw new IllegalArgumentException(ckpt.path() + ": " + err.substring(0, err.length() - 2));
        }
        if (checkWeights) WeightCheck.requireFiniteFloats(ckpt, new java.util.TreeSet<>(source.values()));
        try (var _ = GradMode.noGrad()) {
            for (var e : source.entrySet()) {
                Tensor t = MMAP_WEIGHTS ? ckpt.tensor(e.getValue(), dtype, device) : ckpt.tensorCopy(e.getValue(), dtype, device);
                e.getKey().set(t);
            }
        }
    }

    private static String limit(List<String> xs) {
        return xs.size() <= 12 ? xs.toString() : xs.subList(0, 12) + " and " + (xs.size() - 12) + " more";
    }

    /** Copies every parameter to dtype/device (not zero-copy). */
    public final void to(DType dtype, Device device) {
        try (var _ = GradMode.noGrad()) {
            for (Parameter p : parameters()) {
                Tensor v = p.value();
                Tensor t = (dtype == null ? v : v.to(dtype)).to(device);
                if (t == v) continue;
                if (t.storage() == v.storage()) t = t.clone();
                p.set(t);
            }
        }
    }
}
