package io.liquid4j.demo;

import java.util.LinkedHashMap;
import java.util.Map;

/** What each stage reported (the maps of its .done.json), the stages' wall times and overlaps, and the run's settings. */
final class DemoResults {
    final DemoSettings settings;
    final long seed;
    final String device;
    Map<String, Object> data, scorer, tokenizer, vqgan, lm, extend, liquid, eval, study;
    final Map<String, Double> seconds = new LinkedHashMap<>();
    /** Seconds a stage ran side by side with the stage before it: in both stages' times, once in the run's. */
    final Map<String, Double> overlap = new LinkedHashMap<>();

    /** Wall time of the whole run: every stage's time, the time two stages ran side by side once. */
    double totalSeconds() {
        return seconds.values().stream().mapToDouble(Double::doubleValue).sum() - overlap.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    DemoResults(DemoSettings settings, long seed, String device) {
        this.settings = settings;
        this.seed = seed;
        this.device = device;
    }

    /** A number inside a nested result map, by path ("generation.single_seen.colour"); NaN when absent. */
    static double num(Map<String, Object> m, String path) {
        Object v = m;
        for (String k : path.split("\\.")) {
            if (!(v instanceof Map<?, ?> mm)) return Double.NaN;
            v = mm.get(k);
        }
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
