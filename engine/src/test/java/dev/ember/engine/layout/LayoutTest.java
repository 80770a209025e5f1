package dev.ember.engine.layout;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dependency rules a reviewer checks, kept true by a test: the shared model, cache and
 * scheduler code knows nothing of DeepSeek-V4 (it declares its own cache specs and decoder in
 * model/v4), the engine API hides its implementation (no code reaches for LocalEngine through a
 * cast), and the engine does not depend on Spark.
 */
class LayoutTest {
    static final Path ROOT = Path.of(System.getProperty("ember.repo.dir", ".."));
    static final Path ENGINE = ROOT.resolve("engine/src/main/java/dev/ember/engine");

    private static List<String> matches(Path dir, Pattern p) throws IOException {
        List<String> hits = new ArrayList<>();
        if (!Files.isDirectory(dir)) return hits;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(x -> x.toString().endsWith(".java")).toList()) {
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) if (p.matcher(lines.get(i)).find()) hits.add(ROOT.relativize(f) + ":" + (i + 1) + ": " + lines.get(i).strip());
            }
        }
        return hits;
    }

    private static List<String> direct(Path dir, Pattern p) throws IOException {
        List<String> hits = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(x -> x.toString().endsWith(".java")).toList()) {
                for (String line : Files.readAllLines(f)) if (p.matcher(line).find()) hits.add(ROOT.relativize(f) + ": " + line.strip());
            }
        }
        return hits;
    }

    @Test
    void sharedModelCacheAndSchedulerCodeKnowsNothingOfDeepseekV4() throws IOException {
        assertTrue(Files.isDirectory(ENGINE.resolve("model/v4")), "run from the engine module: " + ENGINE.toAbsolutePath());
        Pattern v4 = Pattern.compile("engine\\.model\\.v4|DeepseekV4|HyperDecoder");
        List<String> hits = new ArrayList<>();
        hits.addAll(direct(ENGINE.resolve("model"), v4)); // model/*.java, not model/v4 or the family tables
        hits.addAll(matches(ENGINE.resolve("kv"), v4));
        hits.addAll(matches(ENGINE.resolve("sched"), v4));
        assertEquals(List.of(), hits);
    }

    @Test
    void nothingReachesForTheEngineImplementation() throws IOException {
        Pattern cast = Pattern.compile("instanceof\\s+LocalEngine|\\(\\s*LocalEngine\\s*\\)");
        List<String> hits = new ArrayList<>();
        hits.addAll(matches(ENGINE, cast));
        hits.addAll(matches(ROOT.resolve("connector/src/main/java"), cast));
        hits.addAll(matches(ROOT.resolve("examples/src/main/java"), cast));
        assertEquals(List.of(), hits);
    }

    @Test
    void theEngineDoesNotDependOnSpark() throws IOException {
        assertEquals(List.of(), matches(ENGINE, Pattern.compile("import\\s+org\\.apache\\.(spark|hadoop|arrow)")));
    }
}
