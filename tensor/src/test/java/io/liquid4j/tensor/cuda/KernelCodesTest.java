package io.liquid4j.tensor.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Java → CUDA codes, checked without a GPU: the launchers pass enum ordinals that the kernels
 * switch on, and nothing else would notice a reordered enum until a GPU run gave wrong numbers.
 * kernels/cuda/codes.cuh must equal what {@link KernelCodesHeader} renders from the enums, and
 * the kernels must use its names instead of numbers.
 */
class KernelCodesTest {
    static final Path DIR = KernelSources.dir();
    static final Path HEADER = DIR.resolve("codes.cuh");
    static final String HOW = "regenerate it with: " + KernelCodesHeader.REGENERATE;

    /** Names of kernel parameters and locals that hold a code (op or dtype): compared with numbers they hide an ordinal. */
    static final Set<String> CODE_VARIABLES = Set.of("op", "aop", "dt", "st", "xt", "yt", "gt", "it", "ot", "at", "bt", "lt", "tt", "wt");

    /** Codes no kernel handles on purpose (the CUDA launcher rejects them); empty today. */
    static final Set<String> NOT_ON_CUDA = Set.of();

    @Test
    void headerMatchesTheJavaEnums() throws IOException {
        String expected = KernelCodesHeader.render();
        if (Boolean.getBoolean("liquid4j.regenerateKernelCodes")) {
            Files.writeString(HEADER, expected);
            System.err.println("KernelCodesTest: wrote " + HEADER);
            return;
        }
        if (!Files.exists(HEADER)) fail(HEADER + " is missing: " + HOW);
        String actual = Files.readString(HEADER);
        List<String> problems = compareDefines(defines(actual), KernelCodesHeader.all());
        if (!problems.isEmpty()) {
            fail("kernels/cuda/codes.cuh does not match the Java enums (did an enum change?):\n  " + String.join("\n  ", problems)
                    + "\n" + HOW);
        }
        assertEquals(expected, actual, "kernels/cuda/codes.cuh has the right values but differs from the generated text: " + HOW);
    }

    /** #define NAME VALUE lines of a header. */
    static Map<String, Integer> defines(String header) {
        Map<String, Integer> m = new LinkedHashMap<>();
        Matcher d = Pattern.compile("(?m)^#define\\s+(\\w+)\\s+(-?\\d+)\\s*$").matcher(header);
        while (d.find()) m.put(d.group(1), Integer.parseInt(d.group(2)));
        return m;
    }

    /** One line per constant that is missing, extra or has another value than its Java source. */
    static List<String> compareDefines(Map<String, Integer> actual, Map<String, Integer> expected) {
        List<String> p = new ArrayList<>();
        for (var e : expected.entrySet()) {
            Integer a = actual.get(e.getKey());
            if (a == null) p.add(e.getKey() + " is missing (Java value " + e.getValue() + ")");
            else if (!a.equals(e.getValue())) p.add(e.getKey() + " is " + a + " in codes.cuh but " + e.getValue() + " in Java");
        }
        for (String k : actual.keySet()) if (!expected.containsKey(k)) p.add(k + " is in codes.cuh but no Java constant has that name");
        return p;
    }

    @Test
    void kernelsNameTheCodesInTheirCaseLabels() {
        List<String> bad = new ArrayList<>();
        for (var f : KernelSources.read(DIR, "codes.cuh")) {
            for (var c : KernelSources.caseLabels(f)) {
                if (c.isNumeric() && !c.numericAllowed()) {
                    bad.add(c.where() + ": case " + c.label() + ": in switch (" + c.subject() + ")");
                }
            }
        }
        if (!bad.isEmpty()) {
            fail("numeric case labels in the kernels (a Java enum reorder would silently change their meaning):\n  "
                    + String.join("\n  ", bad) + "\nuse the names of kernels/cuda/codes.cuh (L4J_DT_*, L4J_UNARY_*, L4J_BINARY_*,"
                    + " L4J_REDUCE_*); a switch over something that is not a code may keep numbers with a '"
                    + KernelSources.NUMERIC_MARKER + " <why>' comment on its switch line");
        }
    }

    @Test
    void kernelsDoNotCompareCodesWithNumbers() {
        Pattern p = Pattern.compile("\\b(" + String.join("|", CODE_VARIABLES) + ")\\s*(==|!=|<=|>=|<|>)\\s*[-+]?\\d");
        List<String> bad = new ArrayList<>();
        for (var f : KernelSources.read(DIR, "codes.cuh")) {
            Matcher m = p.matcher(f.code());
            while (m.find()) bad.add("kernels/cuda/" + f.name() + ":" + f.lineOf(m.start()) + ": " + m.group());
        }
        if (!bad.isEmpty()) fail("op/dtype codes compared with numbers:\n  " + String.join("\n  ", bad) + "\nuse the names of kernels/cuda/codes.cuh");
    }

    @Test
    void switchesDoNotMixCodeFamilies() {
        Pattern family = Pattern.compile("L4J_(DT|UNARY|BINARY|REDUCE)_\\w+");
        List<String> bad = new ArrayList<>();
        for (var f : KernelSources.read(DIR, "codes.cuh")) {
            Map<Integer, Set<String>> families = new LinkedHashMap<>();   // switch line → code families of its labels
            for (var c : KernelSources.caseLabels(f)) {
                Matcher m = family.matcher(c.label());
                if (m.matches()) families.computeIfAbsent(c.switchLine(), k -> new TreeSet<>()).add(m.group(1));
            }
            families.forEach((line, fams) -> {
                if (fams.size() > 1) bad.add("kernels/cuda/" + f.name() + ":" + line + ": " + fams);
            });
        }
        assertTrue(bad.isEmpty(), "switches with case labels of several code families (one subject holds one kind of code): " + bad);
    }

    @Test
    void everyCodeIsHandledByAKernelAndEveryNameUsedExists() {
        Map<String, Integer> codes = KernelCodesHeader.all();
        StringBuilder kernels = new StringBuilder();
        for (var f : KernelSources.read(DIR, "codes.cuh")) kernels.append(f.code()).append('\n');
        Set<String> used = new TreeSet<>();
        Matcher m = Pattern.compile("\\bL4J_(DT|UNARY|BINARY|REDUCE|MAX)_\\w+").matcher(kernels);
        while (m.find()) used.add(m.group());
        Set<String> unknown = new TreeSet<>(used);
        unknown.removeAll(codes.keySet());
        assertTrue(unknown.isEmpty(), "the kernels use codes that no Java constant defines: " + unknown
                + " (renamed or removed enum constant? fix the kernels, then " + HOW + ")");
        Set<String> unhandled = new TreeSet<>();
        for (String k : codes.keySet()) if (!used.contains(k) && !NOT_ON_CUDA.contains(k)) unhandled.add(k);
        assertTrue(unhandled.isEmpty(), "no kernel handles " + unhandled + ": add its case to the kernel that switches on that"
                + " enum (kernels/cuda/*.cu), or list it in KernelCodesTest.NOT_ON_CUDA and reject it in the Java launcher");
    }

    // ---- the checks themselves, on known input ----------------------------------------------------

    @Test
    void aReorderedEnumIsReportedByName() {
        Map<String, Integer> expected = new LinkedHashMap<>(Map.of("L4J_UNARY_NEG", 0, "L4J_UNARY_EXP", 1));
        Map<String, Integer> stale = defines("#define L4J_UNARY_EXP 0\n#define L4J_UNARY_NEG 1\n#define L4J_UNARY_OLD 2\n");
        List<String> p = compareDefines(stale, expected);
        assertTrue(p.contains("L4J_UNARY_NEG is 1 in codes.cuh but 0 in Java"), p.toString());
        assertTrue(p.contains("L4J_UNARY_EXP is 0 in codes.cuh but 1 in Java"), p.toString());
        assertTrue(p.contains("L4J_UNARY_OLD is in codes.cuh but no Java constant has that name"), p.toString());
    }

    @Test
    void scannerFindsNumericLabelsOutsideCommentsAndHonoursTheMarker() {
        String src = """
                // case 7: in a comment
                __device__ int f(int op, int w) {
                    switch (op) {
                        case L4J_UNARY_NEG: return 1;  /* case 9: */
                        case 2: { switch (w) {  // numeric cases: a byte width
                            case 4: return 3;
                        } }
                        default: return 0;
                    }
                }
                """;
        var f = new KernelSources.Source("t.cu", src, KernelSources.stripComments(src));
        var labels = KernelSources.caseLabels(f);
        assertEquals(List.of("L4J_UNARY_NEG", "2", "4"), labels.stream().map(KernelSources.CaseLabel::label).toList());
        assertEquals(List.of(false, true, true), labels.stream().map(KernelSources.CaseLabel::isNumeric).toList());
        assertEquals(List.of(false, false, true), labels.stream().map(KernelSources.CaseLabel::numericAllowed).toList());
        assertEquals(5, labels.get(1).line());
        assertEquals("op", labels.get(1).subject());
        assertEquals(3, labels.get(1).switchLine());
        assertEquals(5, labels.get(2).switchLine());
    }
}
