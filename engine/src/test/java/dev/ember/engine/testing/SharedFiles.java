package dev.ember.engine.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared (reference models and vocab files) the way surefire and IDEs run tests. */
public final class SharedFiles {
    private SharedFiles() {}

    public static Path dir() {
        String p = System.getProperty("ember.shared.dir");
        Path dir = p != null ? Path.of(p) : Path.of("..", "shared");
        if (!Files.isDirectory(dir)) dir = Path.of("..", "..", "shared");
        if (!Files.isDirectory(dir)) throw new IllegalStateException("../shared not found (set -Dember.shared.dir)");
        return dir.toAbsolutePath().normalize();
    }

    public static Path model(String name) {
        return dir().resolve("models").resolve(name);
    }
}
