package io.liquid4j.liquid.data;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The lines of a JSONL file, each decoded as strict UTF-8 on its own: a line that is not valid
 * UTF-8 is one bad record ({@link BadRecordException} from {@link #next}, the reader moves on to
 * the next line), where a {@code BufferedReader} would end the whole file with a
 * {@code MalformedInputException} naming neither file nor line. Lines end at {@code \n}; a
 * {@code \r} before it is dropped.
 */
final class JsonlLines implements Closeable {
    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private int pos, end;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private int number;

    JsonlLines(Path file) throws IOException {
        this.in = Files.newInputStream(file);
    }

    /** The 1-based number of the line {@link #next} returned (or rejected) last. */
    int lineNumber() { return number; }

    /**
     * The next line without its terminator, or null at the end of the file.
     *
     * @throws BadRecordException when the line is not valid UTF-8 (the message gives the byte and where it is)
     */
    String next() throws IOException, BadRecordException {
        line.reset();
        boolean newline = false;
        while (!newline) {
            if (pos == end) {
                end = in.read(buf);
                pos = 0;
                if (end <= 0) {
                    end = 0;
                    break;
                }
            }
            int start = pos;
            while (pos < end && buf[pos] != '\n') pos++;
            line.write(buf, start, pos - start);
            if (pos < end) {
                pos++;
                newline = true;
            }
        }
        if (!newline && line.size() == 0) return null;
        number++;
        byte[] bytes = line.toByteArray();
        int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        ByteBuffer text = ByteBuffer.wrap(bytes, 0, len);
        try {
            return utf8.reset().decode(text).toString();
        } catch (MalformedInputException e) {
            int at = text.position();
            throw new BadRecordException(String.format("not valid UTF-8 (byte 0x%02X at byte %d of the line)", bytes[at] & 0xFF, at + 1));
        } catch (CharacterCodingException e) {
            throw new BadRecordException("not valid UTF-8 (" + e + ")");
        }
    }

    @Override public void close() throws IOException { in.close(); }
}
