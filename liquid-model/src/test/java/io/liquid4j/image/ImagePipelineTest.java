package io.liquid4j.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.tensor.Tensor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** Reading, whitening, Lanczos resize and crops against PIL (tools/golden/make_image_fixtures.py). */
class ImagePipelineTest {
    static Path resource(String name) {
        try {
            return Path.of(ImagePipelineTest.class.getResource("/images/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static RgbImage fixture(String name) { return ImageFiles.read(resource(name)); }

    /** Mean absolute difference in grey levels over all channels. */
    static double meanAbsDiff(RgbImage a, RgbImage b) {
        assertEquals(b.width(), a.width(), "width");
        assertEquals(b.height(), a.height(), "height");
        double s = 0;
        for (int i = 0; i < a.data().length; i++) s += Math.abs((a.data()[i] & 0xFF) - (b.data()[i] & 0xFF));
        return s / a.data().length;
    }

    @ParameterizedTest
    @ValueSource(strings = {"16x10", "61x40", "9x31", "37x23", "100x7"})
    void lanczosMatchesPil(String size) {
        String[] wh = size.split("x");
        RgbImage ours = Lanczos.resize(fixture("src_rgb.png"), Integer.parseInt(wh[0]), Integer.parseInt(wh[1]));
        double d = meanAbsDiff(ours, fixture("lanczos_" + size + ".png"));
        assertTrue(d <= 1.0, size + ": mean abs diff " + d);
        assertTrue(d <= 0.05, size + ": expected (near) bit-exact Pillow resampling, mean abs diff " + d);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rgb", "grey", "rgba", "palette"})
    void whitensTransparencyLikeChameleon(String mode) {
        assertEquals(0.0, meanAbsDiff(fixture("src_" + mode + ".png"), fixture("whitened_" + mode + ".png")), mode);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rgb", "grey", "rgba", "palette"})
    void chameleonPreprocessingMatchesPil(String mode) {
        RgbImage ours = Preprocess.chameleon(fixture("src_" + mode + ".png"), 16);
        double d = meanAbsDiff(ours, fixture("chameleon16_" + mode + ".png"));
        assertTrue(d <= 1.0, mode + ": mean abs diff " + d);
    }

    @Test void liquidSquarePathMatchesPil() {
        double d = meanAbsDiff(Preprocess.liquidSquare(fixture("src_rgb.png"), 16), fixture("square16_rgb.png"));
        assertTrue(d <= 1.0, "mean abs diff " + d);
    }

    @Test void readsJpeg() {
        // decoders may differ in IDCT and chroma upsampling, not by more than a grey level on average
        double d = meanAbsDiff(fixture("src_rgb.jpg"), fixture("decoded_jpg.png"));
        assertTrue(d <= 1.0, "mean abs diff to libjpeg's decoding " + d);
    }

    @Test void tensorRoundTripAndPsnr() {
        RgbImage img = fixture("src_rgb.png");
        Tensor t = ImageTensors.toTensor(img);
        assertArrayEquals(new int[] {1, 3, 23, 37}, t.shape());
        assertEquals(-1.0, t.min().item(), 1e-6, "0 maps to -1");
        RgbImage back = ImageTensors.fromTensor(t, 0);
        // (x/255·2−1 +1)/2·255 may land a hair under the integer: truncation loses at most one level
        assertTrue(meanAbsDiff(back, img) <= 1.0);
        assertTrue(ImageTensors.psnr(back, img) > 40);
        assertEquals(Double.POSITIVE_INFINITY, ImageTensors.psnr(img, img));
    }

    @Test void padToSquareCentresTheImage() {
        RgbImage sq = Preprocess.padToSquare(fixture("src_rgb.png"), Preprocess.LIQUID_PAD);
        assertEquals(37, sq.width());
        assertEquals(37, sq.height());
        assertEquals(122, sq.get(0, 0, 0));
        assertEquals(fixture("src_rgb.png").get(0, 0, 1), sq.get(0, 7, 1));
    }

    @Test void oversizedAndCorruptImagesGiveClearErrors(@TempDir Path dir) throws Exception {
        var big = assertThrows(IllegalArgumentException.class, () -> ImageFiles.read(resource("src_rgb.png"), 100));
        assertTrue(big.getMessage().contains("37x23") && big.getMessage().contains("limit"), big.getMessage());
        Path bad = dir.resolve("bad.png");
        byte[] png = Files.readAllBytes(resource("src_rgb.png"));
        Files.write(bad, java.util.Arrays.copyOf(png, 60));
        var corrupt = assertThrows(IllegalArgumentException.class, () -> ImageFiles.read(bad));
        assertTrue(corrupt.getMessage().startsWith(bad.toString()), corrupt.getMessage());
        Path txt = dir.resolve("notes.png");
        Files.writeString(txt, "hello");
        assertThrows(IllegalArgumentException.class, () -> ImageFiles.read(txt));
    }

    @Test void writesPngAndGrids(@TempDir Path dir) {
        RgbImage img = fixture("src_rgb.png");
        Path out = dir.resolve("sub/out.png");
        ImageFiles.writePng(img, out);
        assertEquals(0.0, meanAbsDiff(ImageFiles.read(out), img));
        RgbImage grid = ImageGrid.compose(java.util.List.of(img, img, img), java.util.List.of("a", "b"), 2);
        assertTrue(grid.width() >= 2 * 37 && grid.height() >= 2 * 23);
    }
}
