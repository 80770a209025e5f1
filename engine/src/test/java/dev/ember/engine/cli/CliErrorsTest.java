package dev.ember.engine.cli;

import dev.ember.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.ember.engine.cli.CorruptModelTest.run;
import static org.junit.jupiter.api.Assertions.*;

/** CLI mistakes get one line that says what is wrong, not a bare path or a silent default. */
class CliErrorsTest {
    @Test
    void repeatedSingleValueFlagsAreErrorsAndStopAccumulates() {
        String out = run(2, "generate", "--model", "m.gguf", "--prompt", "a", "--max-tokens", "1", "--max-tokens", "2");
        assertTrue(out.contains("option --max-tokens given 2 times (1, 2); give it once"), out);
        String ok = run(0, "generate", "--model", SharedFiles.model("stories260K.gguf").toString(), "--prompt", "Once upon a time",
                "--max-tokens", "30", "--temperature", "0", "--stop", "zzz", "--stop", "was", "--json");
        assertTrue(ok.contains("\"finish_reason\":\"stop\""), "the second --stop must count too: " + ok);
    }

    @Test
    void missingFilesSayWhatIsWrong(@TempDir Path dir) {
        String model = SharedFiles.model("stories260K.gguf").toString();
        String score = run(1, "score", "--model", model, "--file", dir.resolve("missing.txt").toString());
        assertTrue(score.contains("missing.txt: no such file or directory"), score);
        String logits = run(1, "logits", "--model", model, "--tokens", "1,2", "--out", dir.resolve("no/such/dir/x.bin").toString());
        assertTrue(logits.contains("no such file or directory"), logits);
    }

    @Test
    void scoreRefusesEmptyInputAndNamesTheBadJsonLine(@TempDir Path dir) throws Exception {
        String model = SharedFiles.model("stories260K.gguf").toString();
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n\n");
        String out = run(1, "score", "--model", model, "--file", empty.toString());
        assertTrue(out.contains("no documents to score"), out);
        assertFalse(out.contains("NaN"), out);
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"text\":\"Once upon a time\"}\n{\"text\": oops}\n");
        out = run(1, "score", "--model", model, "--file", bad.toString(), "--jsonl");
        assertTrue(out.contains("bad.jsonl line 2: not valid JSON"), out);
        Path noText = Files.writeString(dir.resolve("notext.jsonl"), "{\"body\":\"x\"}\n");
        out = run(1, "score", "--model", model, "--file", noText.toString(), "--jsonl");
        assertTrue(out.contains("line 1: needs a string \"text\" field"), out);
    }
}
