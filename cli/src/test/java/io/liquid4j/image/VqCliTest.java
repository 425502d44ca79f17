package io.liquid4j.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.liquid4j.cli.LiquidCli;
import io.liquid4j.nn.vqgan.VQModel;
import io.liquid4j.nn.vqgan.VqConfig;
import io.liquid4j.tensor.Generator;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `liquid vq encode|decode|roundtrip` on a small random-weight VQGAN. */
public class VqCliTest {
    public static Path smallModel(Path dir) {
        VqConfig cfg = new VqConfig(8, 64, false, 8, 16, 3, 3, 32, new int[] {1, 1}, 1, new int[] {8}, 0.0);
        VQModel m = new VQModel(cfg, new Generator(5));
        cfg.write(dir.resolve("config.json"));
        m.save(dir.resolve("model.safetensors"), Map.of());
        return dir;
    }

    static String stdout(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            assertEquals(0, LiquidCli.execute(args), String.join(" ", args));
        } finally {
            System.setOut(old);
        }
        return buf.toString();
    }

    @Test void encodeDecodeRoundtrip(@TempDir Path dir) throws Exception {
        Path model = smallModel(Files.createDirectory(dir.resolve("vq")));
        String img = ImagePipelineTest.resource("src_rgba.png").toString();
        String grid = stdout("vq", "encode", "--vqgan", model.toString(), "--image", img);
        assertEquals(8, grid.lines().count(), "16 px / factor 2 = 8 rows:\n" + grid);
        assertEquals(8, grid.lines().findFirst().orElseThrow().split(" ").length);

        Path codes = dir.resolve("codes.json");
        stdout("vq", "encode", "--vqgan", model.toString(), "--image", img, "--out", codes.toString());
        assertTrue(Files.readString(codes).contains("\"codes\""));
        Path png = dir.resolve("out.png");
        stdout("vq", "decode", "--vqgan", model.toString(), "--codes", codes.toString(), "--out", png.toString());
        RgbImage decoded = ImageFiles.read(png);
        assertEquals(16, decoded.width());
        assertEquals(16, decoded.height());

        String report = stdout("vq", "roundtrip", "--vqgan", model.toString(), "--image", img, "--out", dir.resolve("rt.png").toString());
        assertTrue(report.startsWith("PSNR "), report);
    }

    @Test void badInputsFailWithExitCode1(@TempDir Path dir) throws Exception {
        Path model = smallModel(Files.createDirectory(dir.resolve("vq")));
        Path codes = dir.resolve("codes.json");
        Files.writeString(codes, "{\"codes\": [[1, 2], [3]]}");
        assertEquals(1, LiquidCli.execute("vq", "decode", "--vqgan", model.toString(), "--codes", codes.toString(), "--out", dir.resolve("o.png").toString()));
        Files.writeString(codes, "{\"codes\": [[1, 2], [3, 64]]}");
        assertEquals(1, LiquidCli.execute("vq", "decode", "--vqgan", model.toString(), "--codes", codes.toString(), "--out", dir.resolve("o.png").toString()));
        assertEquals(1, LiquidCli.execute("vq", "encode", "--vqgan", dir.resolve("nope").toString(), "--image", codes.toString()));
        // height/width that contradict the rows are an error, not ignored
        Files.writeString(codes, "{\"height\": 3, \"width\": 2, \"codes\": [[1, 2], [3, 4]]}");
        io.liquid4j.cli.CliRun r = io.liquid4j.cli.CliRun.of("vq", "decode", "--vqgan", model.toString(), "--codes", codes.toString(), "--out", dir.resolve("o.png").toString());
        assertEquals(1, r.code());
        org.junit.jupiter.api.Assertions.assertTrue(r.err().contains("\"height\" is 3 but the codes have 2 rows"), r.err());
        Files.writeString(codes, "{\"height\": 2, \"width\": 2, \"codes\": [[1, 2], [3, 4]]}");
        assertEquals(0, LiquidCli.execute("vq", "decode", "--vqgan", model.toString(), "--codes", codes.toString(), "--out", dir.resolve("o.png").toString()));
    }
}
