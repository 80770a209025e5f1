package dev.ember.engine.tokenizer;

import dev.ember.engine.gguf.GgufFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * llama.cpp's tokenizer test vectors in shared/vocab: for each ggml-vocab-NAME.gguf, NAME.gguf.inp
 * holds test strings separated by "\n__ggml_vocab_test__\n" lines and NAME.gguf.out the expected
 * ids, one line per string (no BOS). Splitting follows llama.cpp's test-tokenizer-0 exactly: the
 * separator includes both newlines, so a string's own trailing newline is part of it. Tokenizers
 * are loaded once per JVM and shared between test classes.
 */
final class VocabFiles {
    private VocabFiles() {}

    static final String SEPARATOR = "\n__ggml_vocab_test__\n";
    private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

    record Vector(String text, int[] expected) {}

    static Path dir() {
        String shared = System.getProperty("ember.shared.dir");
        Path base = shared != null ? Path.of(shared) : Path.of("..", "shared");
        if (!Files.isDirectory(base) && Files.isDirectory(Path.of("..", "..", "shared"))) base = Path.of("..", "..", "shared");
        return base.resolve("vocab");
    }

    /** Names (ggml-vocab-NAME.gguf) of every vocab with vectors present. */
    static List<String> names() {
        try (Stream<Path> files = Files.list(dir())) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("ggml-vocab-") && n.endsWith(".gguf"))
                    .filter(n -> Files.exists(dir().resolve(n + ".inp")) && Files.exists(dir().resolve(n + ".out")))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir() + " (llama.cpp vocab vectors expected in shared/vocab)", e);
        }
    }

    static Tokenizer tokenizer(String name) {
        return LOADED.computeIfAbsent(name, n -> {
            try (GgufFile gguf = GgufFile.open(dir().resolve(n))) {
                return Tokenizer.fromGguf(gguf);
            }
        });
    }

    static Tokenizer byShortName(String shortName) {
        return tokenizer("ggml-vocab-" + shortName + ".gguf");
    }

    static boolean present(String shortName) {
        return Files.exists(dir().resolve("ggml-vocab-" + shortName + ".gguf"));
    }

    static List<Vector> vectors(String name) {
        try {
            String raw = Files.readString(dir().resolve(name + ".inp"), StandardCharsets.UTF_8);
            List<String> out = Files.readAllLines(dir().resolve(name + ".out"), StandardCharsets.UTF_8);
            List<String> inputs = new ArrayList<>();
            int pos = 0;
            while (pos < raw.length()) {
                int next = raw.indexOf(SEPARATOR, pos);
                if (next < 0) {
                    inputs.add(raw.substring(pos));
                    break;
                }
                inputs.add(raw.substring(pos, next));
                pos = next + SEPARATOR.length();
            }
            if (inputs.size() != out.size()) {
                throw new IllegalStateException(name + ": " + inputs.size() + " inputs but " + out.size() + " expected lines");
            }
            List<Vector> vectors = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                String line = out.get(i).strip();
                int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" +")).mapToInt(Integer::parseInt).toArray();
                vectors.add(new Vector(inputs.get(i), ids));
            }
            return vectors;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
