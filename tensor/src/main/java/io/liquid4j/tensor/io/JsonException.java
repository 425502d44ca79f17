package io.liquid4j.tensor.io;

/**
 * A JSON document that does not follow RFC 8259 (or breaks a limit of {@link Json.Options}),
 * or a value that {@link Json#write} cannot represent.
 *
 * <p>Parse errors carry the position of the fault: {@link #line()} and {@link #column()} are
 * 1-based and count UTF-16 chars, {@link #offset()} is the 0-based char index into the text.
 * The message reads "line L, column C: " followed by what was expected and what was found
 * (optionally preceded by "source: ", see {@link #withSource}), so it can be shown as is.
 * Writer errors have no position (line, column and offset are -1).
 */
public class JsonException extends IllegalArgumentException {
    private final int line;
    private final int column;
    private final long offset;
    private final String detail;

    /** A parse error at a position. */
    public JsonException(String detail, int line, int column, long offset) {
        this(null, detail, line, column, offset);
    }

    /** An error without a position (a value the writer cannot encode). */
    public JsonException(String detail) {
        super(detail);
        this.line = -1;
        this.column = -1;
        this.offset = -1;
        this.detail = detail;
    }

    private JsonException(String source, String detail, int line, int column, long offset) {
        super((source == null ? "" : source + ": ") + "line " + line + ", column " + column + ": " + detail);
        this.line = line;
        this.column = column;
        this.offset = offset;
        this.detail = detail;
    }

    /**
     * The same error with a source name (usually a file) in front of the message, so that a
     * caller parsing a file can report "config.json: line 3, column 7: ..." without re-parsing
     * the message.
     */
    public JsonException withSource(String source) {
        JsonException e = line < 0
                ? new JsonException(source + ": " + detail)
                : new JsonException(source, detail, line, column, offset);
        e.initCause(this);
        return e;
    }

    /** 1-based line of the fault, or -1 for writer errors. */
    public int line() { return line; }

    /** 1-based column (in UTF-16 chars) of the fault, or -1 for writer errors. */
    public int column() { return column; }

    /** 0-based char offset of the fault, or -1 for writer errors. */
    public long offset() { return offset; }

    /** The message without source and position: what was expected and what was found. */
    public String detail() { return detail; }
}
