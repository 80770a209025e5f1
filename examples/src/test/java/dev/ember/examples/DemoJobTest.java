package dev.ember.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** `./ember demo` on the shipped model: it runs all three tasks and the results make sense. */
class DemoJobTest {
    @Test
    void demoRunsGenerateScoreAndClassifyOnTheShippedModel() {
        Path repo = Path.of(System.getProperty("ember.repo.dir", ".."));
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            DemoJob.main(new String[]{repo.resolve("examples/models/ember-v4-story.gguf").toString(), repo.resolve("examples/data").toString()});
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        original.println(out);
        assertTrue(out.contains("Once upon a time"), "generation table");
        assertTrue(out.matches("(?s).*\\|real\\s+\\|25\\s+\\|1\\.[0-9]+.*"), "real documents score a perplexity near 1");
        assertTrue(out.matches("(?s).*\\|sentiment\\|50\\s+\\|(0\\.9[0-9]*|1\\.0)\\s*\\|.*"), "sentiment accuracy >= 0.9");
        assertTrue(out.matches("(?s).*\\|topic\\s+\\|50\\s+\\|(0\\.9[0-9]*|1\\.0)\\s*\\|.*"), "topic accuracy >= 0.9");
    }
}
