package dev.ember.engine.testing;

import dev.ember.engine.constrain.ConstraintException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Shared parts of the Jazzer fuzz targets ({@code *FuzzTest}): splitting one input into several
 * files, a scratch directory, and the error contract every parser must keep.
 *
 * <p><b>The contract.</b> Bad input fails with the engine's own user-error type and a message
 * that says what is wrong: {@code GgufException} (GGUF files), {@code ModelLoadException}
 * (model directories, config.json, tokenizer.json), {@code ChatTemplateException} (chat
 * templates), {@code ConstraintException} (schemas, regexes, grammars), or a plain
 * {@code IllegalArgumentException} with a message (the tokenizer loader's and the API records'
 * argument checks). Anything else escaping (NullPointerException, ArithmeticException,
 * IndexOutOfBoundsException, NumberFormatException, PatternSyntaxException, ClassCastException,
 * StackOverflowError, OutOfMemoryError, …) is a bug, and so is an input that takes over a second.
 */
public final class Fuzz {
    private Fuzz() {}

    /**
     * Splits {@code data} at NUL bytes into at most {@code parts} pieces (the last keeps any further
     * NULs). Text formats never contain a raw NUL, so the fuzzer can grow and shrink each file
     * independently.
     */
    public static List<byte[]> split(byte[] data, int parts) {
        List<byte[]> out = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < data.length && out.size() < parts - 1; i++) {
            if (data[i] == 0) {
                out.add(Arrays.copyOfRange(data, from, i));
                from = i + 1;
            }
        }
        out.add(Arrays.copyOfRange(data, from, data.length));
        return out;
    }

    /** A fresh directory for one target's files, removed when the JVM exits. */
    public static Path scratch(String name) {
        try {
            Path base = Files.isDirectory(Path.of("/dev/shm")) && Files.isWritable(Path.of("/dev/shm")) ? Path.of("/dev/shm") : null;
            Path dir = base != null ? Files.createTempDirectory(base, "ember-fuzz-" + name) : Files.createTempDirectory("ember-fuzz-" + name);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path p) {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        } catch (IOException ignored) {
            // best effort: a scratch file left in a temp directory is harmless
        }
    }

    /**
     * Asserts that {@code e}, thrown for bad input, is one of the documented user-error types and
     * says something. A plain IllegalArgumentException counts only as itself: its subclasses
     * NumberFormatException and PatternSyntaxException come from unchecked parsing, not from a check.
     */
    @SafeVarargs
    public static void expectUserError(RuntimeException e, Class<? extends RuntimeException>... allowed) {
        boolean ok = false;
        for (Class<? extends RuntimeException> c : allowed) {
            if (c == IllegalArgumentException.class ? e.getClass() == IllegalArgumentException.class || e instanceof ConstraintException
                    : c.isInstance(e)) {
                ok = true;
                break;
            }
        }
        if (!ok) throw new AssertionError("bad input escaped as " + e.getClass().getName() + " instead of a user error", e);
        String m = e.getMessage();
        if (m == null || m.isBlank()) throw new AssertionError(e.getClass().getSimpleName() + " without a message", e);
    }
}
