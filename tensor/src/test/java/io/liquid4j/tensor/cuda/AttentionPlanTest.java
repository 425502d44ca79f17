package io.liquid4j.tensor.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.DType;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Java side of the attention kernels checked without a GPU: the AttnArgs struct the launcher
 * writes field by field against the struct in attention.cu, the tile constants against the
 * kernel's instantiations, shared memory within what each target GPU allows, and the split and
 * dispatch rules.
 */
class AttentionPlanTest {
    private static String source() throws Exception {
        return Files.readString(KernelSources.dir().resolve("attention.cu")).replaceAll("//[^\n]*", "");
    }

    /** Field names of `struct AttnArgs`, in order. */
    private static List<String> structFields() throws Exception {
        Matcher m = Pattern.compile("struct AttnArgs \\{(.*?)\\};", Pattern.DOTALL).matcher(source());
        assertTrue(m.find(), "struct AttnArgs not found in attention.cu");
        List<String> names = new ArrayList<>();
        for (String decl : m.group(1).split(";")) {
            String d = decl.trim();
            if (d.isEmpty()) continue;
            assertTrue(d.startsWith("long long "), "every AttnArgs field is 64-bit (the Java side writes a long[]): " + d);
            for (String n : d.substring("long long ".length()).split(",")) names.add(n.trim());
        }
        return names;
    }

    @Test
    void launcherWritesTheKernelsStructInOrder() throws Exception {
        List<String> fields = structFields();
        assertEquals(CudaAttention.Field.COUNT, fields.size(), "AttnArgs has " + fields + ", CudaAttention.Field.COUNT disagrees");
        // every named Field constant points at the struct field of that name (QS/KS/VS at the batch stride)
        for (Field f : CudaAttention.Field.class.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || f.getName().equals("COUNT")) continue;
            String expect = switch (f.getName()) {
                case "QS" -> "qsb";
                case "KS" -> "ksb";
                case "VS" -> "vsb";
                case "SCALE" -> "scaleBits";
                case "SOFTCAP" -> "softcapBits";
                default -> camel(f.getName());
            };
            assertEquals(expect, fields.get(f.getInt(null)), "CudaAttention.Field." + f.getName());
        }
        assertEquals(List.of("qsb", "qsh", "qsl", "ksb", "ksh", "ksl", "vsb", "vsh", "vsl"),
                fields.subList(CudaAttention.Field.QS, CudaAttention.Field.QS + 9));
    }

    private static String camel(String constant) {
        String[] parts = constant.toLowerCase(Locale.ROOT).split("_");
        StringBuilder b = new StringBuilder(parts[0]);
        for (int i = 1; i < parts.length; i++) b.append(Character.toUpperCase(parts[i].charAt(0))).append(parts[i].substring(1));
        return b.toString();
    }

    @Test
    void tileConstantsMatchTheKernelInstantiations() throws Exception {
        Matcher m = Pattern.compile("L4J_ATTN_MMA\\((\\d+), (\\d+), (\\d+), (\\w+), (true|false)\\)").matcher(source());
        int seen = 0;
        while (m.find()) {
            int d = Integer.parseInt(m.group(1)), fbc = Integer.parseInt(m.group(2)), ds = Integer.parseInt(m.group(3));
            assertEquals(AttentionPlan.fwdKeys(d), fbc, "forward keys per tile at D " + d);
            assertEquals(AttentionPlan.bwdKeys(d), 16 * (4 / ds), "backward keys per block at D " + d);
            assertEquals(d + "_" + m.group(4), AttentionPlan.mmaSuffix(m.group(5).equals("true") ? DType.BF16 : DType.F16, d));
            seen++;
        }
        assertEquals(6, seen, "tensor-core instantiations: 3 head dims × BF16/F16");
        assertTrue(source().contains("#define L4J_SPLIT_MAXD " + AttentionPlan.SPLIT_MAX_DIM));
    }

    @Test
    void sharedMemoryFitsEveryTarget() {
        int a100 = 163 * 1024, h100 = 227 * 1024;   // opt-in maximum per block: sm_80, sm_90 (sm_89: 99 KiB)
        for (int d : AttentionPlan.MMA_DIMS) {
            for (int bytes : new int[] {AttentionPlan.fwdSharedBytes(d), AttentionPlan.bwdSharedBytes(d)}) {
                assertTrue(bytes <= 99 * 1024 && bytes <= a100 && bytes <= h100, "D " + d + ": " + bytes + " bytes of shared memory");
                assertEquals(0, bytes % 16);
            }
        }
        assertEquals(4 * 64 * 136 * 2, AttentionPlan.fwdSharedBytes(128));
        assertEquals((64 + 4 * 32) * 264 * 2, AttentionPlan.fwdSharedBytes(256));
        assertEquals((128 + 64) * 136 * 2 + 64 * 40 * 2 + 256, AttentionPlan.bwdSharedBytes(128));
    }

    @Test
    void dispatchAndSplits() {
        assertEquals("128_bf16", AttentionPlan.mmaSuffix(DType.BF16, 128));
        assertNull(AttentionPlan.mmaSuffix(DType.F32, 128));
        assertNull(AttentionPlan.mmaSuffix(DType.BF16, 96));
        assertTrue(AttentionPlan.preferSplit(1) && AttentionPlan.preferSplit(2) && !AttentionPlan.preferSplit(64));
        // decode: 1 row × 32 heads over 8k keys on 132 SMs → enough splits for ~16 warps per SM, each ≥ 64 keys
        int s = AttentionPlan.splits(32, 8192, 132);
        assertEquals(66, Math.min(66, 16 * 132 / 32));
        assertEquals(64, s, "capped at 64 splits");
        assertEquals(2, AttentionPlan.splits(32, 130, 132), "each split keeps at least 64 keys");
        assertEquals(1, AttentionPlan.splits(32, 64, 132));
        assertEquals(1, AttentionPlan.splits(100_000, 8192, 132), "prefill fills the GPU without splits");
        assertEquals(2 * 4 * 2, AttentionPlan.fwdBlocks(2, 4, 70), "two query tiles of 64 per (b, h)");
        assertEquals(3 * 2 * 2, AttentionPlan.bwdBlocks(2, 2, 133, 128));
        assertEquals(5 * 2 * 2, AttentionPlan.bwdBlocks(2, 2, 133, 256));
    }
}
