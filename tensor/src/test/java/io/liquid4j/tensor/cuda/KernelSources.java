package io.liquid4j.tensor.cuda;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The CUDA sources under kernels/cuda, read for checks that need no nvcc: comments are blanked
 * (offsets and line numbers kept) so that code in comments is not mistaken for code, and the
 * switch statements are listed with their case labels.
 */
final class KernelSources {
    /** On the line of a switch over something that is not a code (a byte width, ...): numeric labels allowed. */
    static final String NUMERIC_MARKER = "numeric cases:";

    /** One source file: its raw text and the same text with comments replaced by spaces. */
    record Source(String name, String raw, String code) {
        int lineOf(int offset) {
            int line = 1;
            for (int i = 0; i < offset; i++) if (raw.charAt(i) == '\n') line++;
            return line;
        }

        String rawLine(int line) { return raw.lines().skip(line - 1).findFirst().orElse(""); }
    }

    /** A case label: its text and line, and its switch's subject expression and line. */
    record CaseLabel(Source file, int line, String label, String subject, int switchLine, boolean numericAllowed) {
        boolean isNumeric() { return label.matches("[-+]?(0[xX][0-9a-fA-F]+|\\d+)[uUlL]*|'.*'"); }

        String where() { return "kernels/cuda/" + file.name() + ":" + line; }
    }

    private KernelSources() {}

    /** kernels/cuda of this checkout: found from the working directory upwards (Maven runs tests in tensor/). */
    static Path dir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path k = p.resolve("kernels/cuda");
            if (Files.isDirectory(k)) return k;
        }
        throw new IllegalStateException("no kernels/cuda above " + Path.of("").toAbsolutePath());
    }

    /** Every .cu and .cuh file in dir, sorted by name, except the excluded names. */
    static List<Source> read(Path dir, String... exclude) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Source> r = new ArrayList<>();
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString();
                if (!(n.endsWith(".cu") || n.endsWith(".cuh")) || List.of(exclude).contains(n)) continue;
                String raw = Files.readString(p);
                r.add(new Source(n, raw, stripComments(raw)));
            }
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces // and block comments by spaces (newlines kept); string and char literals are left alone. */
    static String stripComments(String s) {
        StringBuilder b = new StringBuilder(s);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\'') {   // skip the literal, honouring escapes
                for (i++; i < s.length() && s.charAt(i) != c; i++) if (s.charAt(i) == '\\') i++;
            } else if (s.startsWith("//", i)) {
                for (; i < s.length() && s.charAt(i) != '\n'; i++) b.setCharAt(i, ' ');
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                end = end < 0 ? s.length() : end + 2;
                for (; i < end; i++) if (s.charAt(i) != '\n') b.setCharAt(i, ' ');
                i--;
            }
        }
        return b.toString();
    }

    private static final Pattern SWITCH = Pattern.compile("\\bswitch\\s*\\(");
    private static final Pattern CASE = Pattern.compile("\\bcase\\s+([^:]+?)\\s*:(?!:)");

    /** The case labels of every switch in the file, each attributed to its innermost switch. */
    static List<CaseLabel> caseLabels(Source f) {
        String c = f.code();
        List<CaseLabel> r = new ArrayList<>();
        Matcher m = SWITCH.matcher(c);
        while (m.find()) {
            int open = m.end() - 1, close = matching(c, open, '(', ')');
            String subject = c.substring(open + 1, close).trim();
            int body = c.indexOf('{', close);
            int end = matching(c, body, '{', '}');
            int line = f.lineOf(m.start());
            boolean allowed = f.rawLine(line).contains(NUMERIC_MARKER);
            // labels at depth 1 of this body belong to this switch; deeper ones to nested switches (or blocks)
            int depth = 0;
            for (int i = body; i < end; i++) {
                char ch = c.charAt(i);
                if (ch == '{') depth++;
                else if (ch == '}') depth--;
                else if (depth == 1 && c.startsWith("case", i) && (i == 0 || !Character.isJavaIdentifierPart(c.charAt(i - 1)))) {
                    Matcher cm = CASE.matcher(c).region(i, end);
                    if (cm.lookingAt()) r.add(new CaseLabel(f, f.lineOf(i), cm.group(1).trim(), subject, line, allowed));
                }
            }
        }
        return r;
    }

    /** Index of the bracket closing the one at open. */
    private static int matching(String s, int open, char o, char cl) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            if (s.charAt(i) == o) depth++;
            else if (s.charAt(i) == cl && --depth == 0) return i;
        }
        throw new IllegalStateException("unbalanced '" + o + "' at offset " + open);
    }
}
