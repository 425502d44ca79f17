package io.liquid4j.bench;

import io.liquid4j.tensor.DType;

/**
 * Times a few LM-head + cross-entropy training steps ({@link XentProblem}) in this JVM and prints
 * the process's peak resident memory, for bench/xent-bench.sh (one JVM per path, so VmHWM is
 * that path's peak alone: inputs + gradients + temporaries + JVM).
 *
 * <pre>java ... io.liquid4j.bench.XentRun fused|unfused N VOCAB HIDDEN [runs] [F32|BF16]</pre>
 */
public final class XentRun {
    public static void main(String[] args) throws Exception {
        String path = args[0];
        int n = Integer.parseInt(args[1]), v = Integer.parseInt(args[2]), h = Integer.parseInt(args[3]);
        int runs = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        DType wt = args.length > 5 ? DType.valueOf(args[5]) : DType.F32;
        long setupStart = System.nanoTime();
        try (XentProblem p = new XentProblem(n, v, h, wt, path, 0, 0)) {
            System.out.printf("java %s setup: %.1f s, inputs %d MiB%n", path, (System.nanoTime() - setupStart) / 1e9,
                    ((long) n * h * 4 + (long) v * h * wt.byteSize()) >> 20);
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                double loss = p.step();
                System.out.printf("java %s n=%d V=%d H=%d %s run %d: %.2f s (loss %.5f)%n", path, n, v, h, wt, r, (System.nanoTime() - t0) / 1e9, loss);
            }
        }
        System.out.println("java " + path + " peak RSS (VmHWM): " + VqganBench.vmHwmMiB() + " MiB");
    }
}
