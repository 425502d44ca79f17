package io.liquid4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.liquid4j.tensor.Backends;
import io.liquid4j.tensor.Device;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** `--device`: parsing, the one-line errors, and its presence on every command that runs a model (no GPU needed). */
class DeviceOptionTest {
    /** A machine whose driver sees `count` GPUs and where the given devices are registered. */
    static DeviceOption.CudaStatus machine(int count, String why, Device... ready) {
        Set<Device> r = Set.of(ready);
        return new DeviceOption.CudaStatus() {
            @Override public boolean ready(Device d) { return r.contains(d); }

            @Override public String whyUnavailable() { return why; }

            @Override public int deviceCount() { return count; }
        };
    }

    static final DeviceOption.CudaStatus ONE_GPU = machine(1, "CUDA available", Device.cuda(0));
    static final DeviceOption.CudaStatus NO_DRIVER = machine(0, "no NVIDIA driver (libcuda.so.1 cannot be loaded)");

    @Test
    void parsesCpuCudaAndOrdinals() {
        assertEquals(Device.CPU, DeviceOption.resolve("cpu", NO_DRIVER));
        assertEquals(Device.CPU, DeviceOption.resolve(" CPU ", NO_DRIVER));
        assertEquals(Device.cuda(0), DeviceOption.resolve("cuda", ONE_GPU));
        assertEquals(Device.cuda(0), DeviceOption.resolve("cuda:0", ONE_GPU));
        assertEquals(Device.cuda(1), DeviceOption.resolve("cuda:1", machine(2, "CUDA available", Device.cuda(0), Device.cuda(1))));
    }

    @Test
    void defaultIsCpu() {
        assertEquals(Device.CPU, new DeviceOption().device());
    }

    @Test
    void malformedDevicesNameTheOption() {
        for (String bad : new String[] {"tpu", "cuda:x", "cuda:", "cpu:0"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> DeviceOption.resolve(bad, ONE_GPU));
            assertTrue(e.getMessage().startsWith("--device: bad device '" + bad + "'"), e.getMessage());
            assertTrue(e.getMessage().contains("cpu, cuda or cuda:N"), e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> DeviceOption.resolve("cuda:-1", ONE_GPU));
        assertTrue(e.getMessage().startsWith("--device: ") && e.getMessage().contains(">= 0"), e.getMessage());
    }

    @Test
    void unavailableCudaSaysWhyInOneLine() {
        var e = assertThrows(IllegalArgumentException.class, () -> DeviceOption.resolve("cuda", NO_DRIVER));
        assertEquals("--device cuda:0: CUDA is unavailable: no NVIDIA driver (libcuda.so.1 cannot be loaded)", e.getMessage());
        // asking for another ordinal on a machine without CUDA blames CUDA, not the ordinal
        e = assertThrows(IllegalArgumentException.class, () -> DeviceOption.resolve("cuda:2", NO_DRIVER));
        assertTrue(e.getMessage().startsWith("--device cuda:2: CUDA is unavailable: no NVIDIA driver"), e.getMessage());
    }

    @Test
    void missingOrdinalSaysWhichExist() {
        var e = assertThrows(IllegalArgumentException.class, () -> DeviceOption.resolve("cuda:3", ONE_GPU));
        assertEquals("--device cuda:3: no such device: this machine has 1 CUDA device (cuda:0)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DeviceOption.resolve("cuda:4", machine(2, "", Device.cuda(0))));
        assertEquals("--device cuda:4: no such device: this machine has 2 CUDA devices (cuda:0 to cuda:1)", e.getMessage());
    }

    @Test
    void anExistingButUnregisteredGpuGetsTheWorkaround() {
        var e = assertThrows(IllegalArgumentException.class, () -> DeviceOption.resolve("cuda:1", machine(2, "", Device.cuda(0))));
        assertTrue(e.getMessage().contains("CUDA_VISIBLE_DEVICES=1 and --device cuda:0"), e.getMessage());
    }

    @Test
    void withoutCudaTheCommandsFailFastWithTheReason() {
        assumeFalse(Backends.isAvailable(Device.cuda(0)), "this machine has CUDA");
        // the model directories do not exist: the device is checked before anything is loaded
        String[][] commands = {
            {"generate", "--model", "/nonexistent", "--prompt-ids", "1", "--device", "cuda"},
            {"logits", "--model", "/nonexistent", "--ids", "1", "--out", "/nonexistent/x.safetensors", "--device", "cuda"},
            {"vq", "encode", "--vqgan", "/nonexistent", "--image", "/nonexistent.png", "--device", "cuda"},
            {"vq", "decode", "--vqgan", "/nonexistent", "--codes", "/nonexistent.json", "--out", "/nonexistent.png", "--device", "cuda:0"},
            {"vq", "roundtrip", "--vqgan", "/nonexistent", "--image", "/nonexistent.png", "--out", "/nonexistent.png", "--device", "cuda"},
        };
        for (String[] args : commands) {
            Run r = run(args);
            assertEquals(1, r.code, String.join(" ", args));
            assertEquals("error: --device cuda:0: CUDA is unavailable: " + Backends.probeCuda(), r.err.strip(), String.join(" ", args));
        }
    }

    @Test
    void everyModelCommandDocumentsTheOption() {
        String[][] commands = {{"generate"}, {"logits"}, {"vq", "encode"}, {"vq", "decode"}, {"vq", "roundtrip"}};
        for (String[] c : commands) {
            String[] args = java.util.Arrays.copyOf(c, c.length + 1);
            args[c.length] = "--help";
            Run r = run(args);
            assertEquals(0, r.code, String.join(" ", args));
            assertTrue(r.out.contains("--device=DEVICE") && r.out.contains("cuda:N"), String.join(" ", c) + " --help:\n" + r.out);
        }
    }

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = LiquidCli.execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
