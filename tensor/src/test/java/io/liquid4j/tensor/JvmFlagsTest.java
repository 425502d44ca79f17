package io.liquid4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A JVM started without one of the two flags fails its first tensor call with one line naming the flag. */
class JvmFlagsTest {
    /** Run in a child JVM: the first tensor operation, its failure reported as the user would see it. */
    public static final class Probe {
        public static void main(String[] args) {
            try {
                Tensor.zeros(2, 2);
                System.out.println("ran");
            } catch (IllegalStateException e) {
                System.out.println("error: " + e.getMessage());
            }
        }
    }

    private static String run(String... flags) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void missingFlagsAreNamedInOneLine() throws Exception {
        String noVector = run("--enable-native-access=ALL-UNNAMED");
        assertTrue(noVector.contains("error: liquid4j needs the JVM flag --add-modules jdk.incubator.vector"), noVector);
        assertFalse(noVector.contains("NoClassDefFoundError"), noVector);
        String noNative = run("--add-modules", "jdk.incubator.vector");
        assertTrue(noNative.contains("error: liquid4j needs the JVM flag --enable-native-access=ALL-UNNAMED"), noNative);
        assertTrue(run("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED").contains("ran"));
    }
}
