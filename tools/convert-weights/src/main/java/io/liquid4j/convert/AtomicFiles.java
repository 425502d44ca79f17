package io.liquid4j.convert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Small files written under a temporary name and renamed, so readers never see half a file. */
final class AtomicFiles {
    private AtomicFiles() {}

    static void write(Path file, byte[] content) {
        Path tmp = temp(file);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(tmp, content);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new ConversionException(file, "cannot write: " + e.getMessage(), e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    static void copy(Path source, Path target) {
        Path tmp = temp(target);
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new ConversionException(target, "cannot copy " + source + " here: " + e.getMessage(), e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    private static Path temp(Path file) {
        return file.toAbsolutePath().resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a stray temp file is named after its target; nothing depends on its removal
        }
    }
}
