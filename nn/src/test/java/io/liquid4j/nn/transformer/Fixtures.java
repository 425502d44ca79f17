package io.liquid4j.nn.transformer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.Tensor;
import io.liquid4j.tensor.io.Checkpoint;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/** The golden model directories made by tools/golden/make_model_fixtures.py, and comparisons. */
final class Fixtures {
    static final String[] FAMILIES = {"gemma", "gemma2", "qwen2", "llama"};

    private Fixtures() {}

    static Path modelDir(String family) {
        try {
            return Path.of(Fixtures.class.getResource("/models/" + family + "/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Tensor> reference(String family) {
        return Checkpoint.loadAll(modelDir(family).resolve("reference.safetensors"));
    }

    static int[][] ids(Tensor t) {
        long[] flat = t.toLongArray();
        int rows = t.size(0), cols = t.size(1);
        int[][] r = new int[rows][cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) r[i][j] = (int) flat[i * cols + j];
        return r;
    }

    static Tensor idsTensor(int[][] ids) {
        long[] flat = new long[ids.length * ids[0].length];
        for (int i = 0; i < ids.length; i++) for (int j = 0; j < ids[0].length; j++) flat[i * ids[0].length + j] = ids[i][j];
        return Tensor.fromArray(flat, ids.length, ids[0].length);
    }

    /** max|actual − expected| / max|expected| over two equally long float arrays. */
    static double relError(float[] actual, float[] expected) {
        if (actual.length != expected.length) throw new AssertionError("length " + actual.length + " vs " + expected.length);
        double diff = 0, scale = 0;
        for (int i = 0; i < actual.length; i++) {
            diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        return diff / Math.max(scale, 1e-30);
    }

    static void assertClose(String what, Tensor actual, Tensor expected, double tol) {
        double err = relError(actual.toFloatArray(), expected.toFloatArray());
        assertTrue(err <= tol, what + ": relative error " + err + " > " + tol);
    }
}
