package io.liquid4j.demo;

import io.liquid4j.demo.world.Scene;
import io.liquid4j.demo.world.ShapesWorld;
import io.liquid4j.image.ImageTensors;
import io.liquid4j.image.RgbImage;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.tensor.GradMode;
import io.liquid4j.tensor.TensorScope;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Developer tool (not a test): how much of a VQGAN's code maps an LM must spend on background.
 * Encodes N fresh ShapesWorld renders and prints, for background cells (code cells whose 4×4
 * patch has no pixel far from the border's median colour) and shape cells apart, the number of
 * distinct codes and the entropy of the code given its grid position and the picture's
 * background (tone and texture), in nats: what an LM that knows the background still has to
 * predict per cell. Usage: VqCodeStats VQDIR [N]
 */
public final class VqCodeStats {
    public static void main(String[] args) throws Exception {
        VQModel vq = VQModel.load(Path.of(args[0]));
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        ShapesWorld world = new ShapesWorld(32);
        SplittableRandom rng = new SplittableRandom(99);
        List<Scene> scenes = new ArrayList<>();
        for (int i = 0; i < n; i++) scenes.add(world.sample(rng, true));
        // context (background id, cell, kind of cell) -> code counts
        Map<String, Map<Integer, Integer>> counts = new HashMap<>();
        Map<Integer, Integer> bgCodes = new HashMap<>(), shapeCodes = new HashMap<>();
        double[] cells = new double[2];
        for (int from = 0; from < n; from += 64) {
            List<Scene> part = scenes.subList(from, Math.min(n, from + 64));
            List<RgbImage> images = part.stream().map(world::render).toList();
            long[] codes;
            try (var _ = GradMode.noGrad(); var _ = TensorScope.open()) {
                codes = vq.encode(ImageTensors.toTensor(images)).toLongArray();
            }
            int per = codes.length / part.size(), grid = (int) Math.round(Math.sqrt(per));
            for (int i = 0; i < part.size(); i++) {
                RgbImage img = images.get(i);
                int[] bg = borderMedian(img);
                boolean[] shape = shapeCells(img, grid, bg);
                String background = bg[0] + "," + bg[1] + "," + bg[2] + "," + part.get(i).textured();
                for (int c = 0; c < per; c++) {
                    int code = (int) codes[i * per + c];
                    counts.computeIfAbsent(background + "|" + c + "|" + shape[c], k -> new HashMap<>()).merge(code, 1, Integer::sum);
                    (shape[c] ? shapeCodes : bgCodes).merge(code, 1, Integer::sum);
                    cells[shape[c] ? 1 : 0]++;
                }
            }
        }
        double[] h = new double[2], hPlain = new double[2];
        for (var e : counts.entrySet()) {
            int kind = e.getKey().endsWith("true") ? 1 : 0;
            boolean plain = e.getKey().contains(",false|");
            double total = e.getValue().values().stream().mapToInt(Integer::intValue).sum();
            for (int v : e.getValue().values()) {
                h[kind] -= v * Math.log(v / total);
                if (plain && kind == 0) {
                    hPlain[0] -= v * Math.log(v / total);
                    hPlain[1] += v;
                }
            }
        }
        System.out.printf(Locale.ROOT, "%s: %d renders; background cells %.0f, %d distinct codes, H(code | background, cell) %.3f nats; "
                        + "(plain backgrounds alone %.3f); shape cells %.0f, %d distinct codes, H %.3f nats%n",
                args[0], n, cells[0], bgCodes.size(), h[0] / cells[0], hPlain[0] / hPlain[1], cells[1], shapeCodes.size(), h[1] / cells[1]);
    }

    /** The per-channel median of the top and bottom rows: the background colour. */
    static int[] borderMedian(RgbImage img) {
        int w = img.width(), h = img.height();
        byte[] px = img.data();
        int[] out = new int[3];
        for (int c = 0; c < 3; c++) {
            int[] v = new int[2 * w];
            for (int x = 0; x < w; x++) {
                v[2 * x] = px[x * 3 + c] & 0xFF;
                v[2 * x + 1] = px[((h - 1) * w + x) * 3 + c] & 0xFF;
            }
            java.util.Arrays.sort(v);
            out[c] = v[v.length / 2];
        }
        return out;
    }

    /** Per cell of a grid×grid code map: whether its patch has a pixel more than 40 levels from the background bg. */
    static boolean[] shapeCells(RgbImage img, int grid, int[] bg) {
        int w = img.width(), h = img.height(), patch = w / grid;
        byte[] px = img.data();
        boolean[] out = new boolean[grid * grid];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int d = 0;
                for (int c = 0; c < 3; c++) d = Math.max(d, Math.abs((px[(y * w + x) * 3 + c] & 0xFF) - bg[c]));
                if (d > 40) out[(y / patch) * grid + x / patch] = true;
            }
        }
        return out;
    }
}
