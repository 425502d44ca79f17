package io.liquid4j.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A report written twice from one description: Markdown (images linked next to it) and a
 * self-contained HTML page (images inlined as data URIs). Only what the demo report needs:
 * headings, paragraphs, bullet lists, tables and images.
 */
final class ReportDoc {
    private sealed interface Block permits Heading, Para, Bullets, Table, Image {}

    private record Heading(int level, String text) implements Block {}

    private record Para(String text) implements Block {}

    private record Bullets(List<String> items) implements Block {}

    private record Table(List<String> header, List<List<String>> rows) implements Block {}

    private record Image(String file, String alt) implements Block {}

    private final List<Block> blocks = new ArrayList<>();

    ReportDoc h1(String t) { blocks.add(new Heading(1, t)); return this; }

    ReportDoc h2(String t) { blocks.add(new Heading(2, t)); return this; }

    ReportDoc p(String t) { blocks.add(new Para(t)); return this; }

    ReportDoc bullets(List<String> items) { blocks.add(new Bullets(List.copyOf(items))); return this; }

    ReportDoc table(List<String> header, List<List<String>> rows) { blocks.add(new Table(List.copyOf(header), List.copyOf(rows))); return this; }

    /** An image by its path relative to the report's directory. */
    ReportDoc image(String file, String alt) { blocks.add(new Image(file, alt)); return this; }

    String markdown() {
        StringBuilder b = new StringBuilder();
        for (Block block : blocks) {
            switch (block) {
                case Heading h -> b.append("#".repeat(h.level())).append(' ').append(h.text()).append("\n\n");
                case Para p -> b.append(p.text()).append("\n\n");
                case Bullets l -> {
                    for (String i : l.items()) b.append("- ").append(i).append('\n');
                    b.append('\n');
                }
                case Table t -> {
                    b.append("| ").append(String.join(" | ", t.header())).append(" |\n|");
                    b.append("---|".repeat(t.header().size())).append('\n');
                    for (List<String> r : t.rows()) b.append("| ").append(String.join(" | ", r)).append(" |\n");
                    b.append('\n');
                }
                case Image i -> b.append("![").append(i.alt()).append("](").append(i.file()).append(")\n\n");
            }
        }
        return b.toString();
    }

    /** The HTML page; images are read from dir and inlined. */
    String html(String title, Path dir) throws IOException {
        StringBuilder b = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").append(esc(title)).append("</title>\n")
                .append("<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
                        + "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}"
                        + "th{background:#f3f3f3}img{max-width:100%;border:1px solid #ddd;image-rendering:pixelated}code{background:#f5f5f5}</style>\n"
                        + "</head><body>\n");
        for (Block block : blocks) {
            switch (block) {
                case Heading h -> b.append("<h").append(h.level()).append('>').append(inline(h.text())).append("</h").append(h.level()).append(">\n");
                case Para p -> b.append("<p>").append(inline(p.text())).append("</p>\n");
                case Bullets l -> {
                    b.append("<ul>\n");
                    for (String i : l.items()) b.append("<li>").append(inline(i)).append("</li>\n");
                    b.append("</ul>\n");
                }
                case Table t -> {
                    b.append("<table><tr>");
                    for (String h : t.header()) b.append("<th>").append(inline(h)).append("</th>");
                    b.append("</tr>\n");
                    for (List<String> r : t.rows()) {
                        b.append("<tr>");
                        for (String c : r) b.append("<td>").append(inline(c)).append("</td>");
                        b.append("</tr>\n");
                    }
                    b.append("</table>\n");
                }
                case Image i -> {
                    Path f = dir.resolve(i.file());
                    if (Files.isRegularFile(f)) {
                        b.append("<p><img alt=\"").append(esc(i.alt())).append("\" src=\"data:image/png;base64,")
                                .append(Base64.getEncoder().encodeToString(Files.readAllBytes(f))).append("\"></p>\n");
                    }
                }
            }
        }
        return b.append("</body></html>\n").toString();
    }

    /** HTML-escaped text with Markdown's `code` and **bold** spans. */
    private static String inline(String s) {
        String e = esc(s);
        e = e.replaceAll("`([^`]+)`", "<code>$1</code>");
        return e.replaceAll("\\*\\*([^*]+)\\*\\*", "<b>$1</b>");
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
