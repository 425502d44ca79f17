package io.liquid4j.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutation fuzzing of {@link ImageFiles#read(Path, long)}: 1200 damaged PNG (grey, palette, RGB,
 * RGBA) and JPEG files: bit flips, truncations, inserted and deleted bytes, forged chunk lengths
 * and forged IHDR / SOF sizes (with a valid CRC, so the reader must believe them: zero, one,
 * around the pixel limit, 2^31 − 1). Each must either decode into an image of the size its
 * header says, or fail with an IllegalArgumentException naming the file, and nothing else (no
 * index, negative-size, out-of-memory or stack-overflow error, no hang). The limit is 4
 * megapixels so a forged size just under it stays cheap to decode.
 *
 * <p>Mutant i draws from {@code Random(SEED * 1_000_003 + i)}: a failure's index reproduces it.
 */
class ImageFilesFuzzTest {
    private static final long SEED = 0x1A6E_F022L;
    private static final int MUTANTS = 1200;
    private static final long MAX_PIXELS = 1L << 22;
    private static final String[] BASES = {"chameleon16_grey.png", "src_palette.png", "src_rgb.png", "src_rgba.png", "src_rgb.jpg"};

    @TempDir Path dir;

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ImageFilesFuzzTest.class.getResourceAsStream("/images/" + name)) {
            if (in == null) throw new IOException("missing test resource " + name);
            return in.readAllBytes();
        }
    }

    @Test
    @Timeout(60)
    void mutantsDecodeOrFailWithIllegalArgumentException() throws IOException {
        List<byte[]> bases = new ArrayList<>();
        for (String b : BASES) bases.add(resource(b));
        for (int b = 0; b < bases.size(); b++) assertTrue(check("base-" + b, bases.get(b)), BASES[b] + " must decode");
        Map<String, int[]> stats = new TreeMap<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < MUTANTS; i++) {
            Random rnd = new Random(SEED * 1_000_003L + i);
            int b = rnd.nextInt(bases.size());
            StringBuilder how = new StringBuilder(BASES[b]).append(' ');
            byte[] mutant = mutate(rnd, bases.get(b), how);
            boolean ok = check("mutant-" + i + " (" + how + ")", mutant);
            String kind = how.toString().split(" ")[1];
            stats.computeIfAbsent(kind, k -> new int[2])[ok ? 0 : 1]++;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        int decoded = stats.values().stream().mapToInt(s -> s[0]).sum();
        assertTrue(decoded > MUTANTS / 20 && decoded < MUTANTS * 9 / 10, "decoded " + decoded + " of " + MUTANTS + ": " + describe(stats));
        assertTrue(ms < 20_000, "fuzzing took " + ms + " ms");
    }

    private static String describe(Map<String, int[]> stats) {
        StringBuilder sb = new StringBuilder();
        stats.forEach((k, v) -> sb.append(k).append('=').append(v[0]).append('/').append(v[1]).append(' '));
        return sb.toString().trim();
    }

    private boolean check(String label, byte[] bytes) throws IOException {
        Path file = dir.resolve(label.split(" ")[0] + ".img");
        Files.write(file, bytes);
        try {
            RgbImage img = ImageFiles.read(file, MAX_PIXELS);
            assertTrue(img.width() > 0 && img.height() > 0 && (long) img.width() * img.height() <= MAX_PIXELS, label + ": " + img.width() + "x" + img.height());
            assertEquals((long) img.width() * img.height() * 3, img.data().length, label);
            return true;
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage() != null && e.getMessage().startsWith(file.toString()), label + ": message does not name the file: " + e.getMessage());
            return false;
        } catch (AssertionError e) {
            throw e;
        } catch (Throwable e) {
            fail(label + ": unexpected " + e, e);
            return false;
        } finally {
            Files.delete(file);
        }
    }

    // ------------------------------------------------------------------------------ mutations

    private static byte[] mutate(Random rnd, byte[] base, StringBuilder how) {
        boolean png = base[0] == (byte) 0x89;
        int kind = rnd.nextInt(7);
        switch (kind) {
            case 0 -> { // bit flips, mostly in the headers where the sizes and tables are
                byte[] m = base.clone();
                int flips = 1 + rnd.nextInt(4);
                for (int k = 0; k < flips; k++) m[rnd.nextInt(rnd.nextBoolean() ? Math.min(m.length, 700) : m.length)] ^= (byte) (1 << rnd.nextInt(8));
                how.append("flip x").append(flips);
                return m;
            }
            case 1 -> {
                int len = rnd.nextInt(base.length + 1);
                how.append("truncate ").append(len);
                return Arrays.copyOf(base, len);
            }
            case 2 -> {
                int at = rnd.nextInt(base.length + 1);
                byte[] ins = new byte[1 + rnd.nextInt(16)];
                rnd.nextBytes(ins);
                how.append("insert ").append(at);
                return splice(base, at, 0, ins);
            }
            case 3 -> {
                int at = rnd.nextInt(base.length);
                int len = Math.min(base.length - at, 1 + rnd.nextInt(32));
                how.append("delete ").append(at);
                return splice(base, at, len, new byte[0]);
            }
            case 4 -> { // another format's magic, or garbage, or nothing
                byte[][] magic = {{}, {(byte) 0x89, 'P', 'N', 'G'}, {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF}, {'G', 'I', 'F', '8', '9', 'a'},
                        {'B', 'M'}, {'R', 'I', 'F', 'F'}};
                byte[] m = magic[rnd.nextInt(magic.length)];
                byte[] tail = new byte[rnd.nextInt(64)];
                rnd.nextBytes(tail);
                how.append("magic ").append(m.length);
                return splice(m, m.length, 0, tail);
            }
            default -> {
                return png ? forgePng(rnd, base, how) : forgeJpeg(rnd, base, how);
            }
        }
    }

    private static final long[] SIZES = {0, 1, 2, 3, 2047, 2048, 2049, 4096, 65535, 65536, 1 << 20, Integer.MAX_VALUE, 0x80000000L, 0xFFFFFFFFL};

    /** A chunk's length or IHDR's width/height/bit depth/colour type forged, CRC recomputed. */
    private static byte[] forgePng(Random rnd, byte[] base, StringBuilder how) {
        byte[] m = base.clone();
        ByteBuffer bb = ByteBuffer.wrap(m);
        // chunks start at 8: length, type, data, crc
        List<Integer> chunks = new ArrayList<>();
        for (int at = 8; at + 8 <= m.length; at += 12 + bb.getInt(at)) chunks.add(at);
        int which = rnd.nextInt(4);
        if (which == 0) { // IHDR width or height
            boolean width = rnd.nextBoolean();
            long v = SIZES[rnd.nextInt(SIZES.length)];
            bb.putInt(width ? 16 : 20, (int) v);
            how.append("ihdr ").append(width ? "width " : "height ").append(v);
        } else if (which == 1) { // bit depth / colour type / compression / filter / interlace
            int field = 24 + rnd.nextInt(5);
            int v = new int[] {0, 1, 2, 3, 4, 6, 7, 8, 16, 255}[rnd.nextInt(10)];
            m[field] = (byte) v;
            how.append("ihdr byte ").append(field).append('=').append(v);
        } else { // a chunk's length
            int c = chunks.get(rnd.nextInt(chunks.size()));
            long v = new long[] {0, 1, bb.getInt(c) + 1L, bb.getInt(c) - 1L, Integer.MAX_VALUE, 0x80000000L, 0xFFFFFFF0L}[rnd.nextInt(7)];
            bb.putInt(c, (int) v);
            how.append("chunklength ").append(v);
            return m;
        }
        CRC32 crc = new CRC32();
        crc.update(m, 12, 17);
        bb.putInt(29, (int) crc.getValue());
        return m;
    }

    /** The SOF0 height/width/components or a segment length forged. */
    private static byte[] forgeJpeg(Random rnd, byte[] base, StringBuilder how) {
        byte[] m = base.clone();
        ByteBuffer bb = ByteBuffer.wrap(m);
        List<Integer> segments = new ArrayList<>();
        int sof = -1;
        for (int at = 2; at + 4 <= m.length && (m[at] & 0xFF) == 0xFF; at += 2 + (bb.getShort(at + 2) & 0xFFFF)) {
            segments.add(at);
            int marker = m[at + 1] & 0xFF;
            if (marker == 0xC0) sof = at;
            if (marker == 0xDA) break;
        }
        if (rnd.nextBoolean() && sof >= 0) {
            int field = rnd.nextInt(3);
            int v = new int[] {0, 1, 2, 3, 4, 255, 8191, 8192, 32767, 65535}[rnd.nextInt(10)];
            if (field == 2) m[sof + 9] = (byte) v; // component count
            else bb.putShort(sof + (field == 0 ? 5 : 7), (short) v);
            how.append("sof ").append(new String[] {"height", "width", "components"}[field]).append(' ').append(v);
        } else {
            int s = segments.get(rnd.nextInt(segments.size()));
            int v = new int[] {0, 1, 2, 3, 65535, (bb.getShort(s + 2) & 0xFFFF) + 1, (bb.getShort(s + 2) & 0xFFFF) - 1}[rnd.nextInt(7)];
            bb.putShort(s + 2, (short) v);
            how.append("segmentlength ").append(v);
        }
        return m;
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] r = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, r, 0, at);
        System.arraycopy(insert, 0, r, at, insert.length);
        System.arraycopy(b, at + remove, r, at + insert.length, b.length - at - remove);
        return r;
    }
}
