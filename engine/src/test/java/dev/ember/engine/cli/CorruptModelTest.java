package dev.ember.engine.cli;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.api.ScoreResult;
import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.gguf.GgufTensorInfo;
import dev.ember.engine.model.GgufWeights;
import dev.ember.engine.runtime.WeightCheck;
import dev.ember.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Models that go bad: a file that shrinks while the engine has it mapped must fail requests, not
 * hang them; non-finite weights must fail requests with a message naming the model, never return
 * empty text as a success; {@code --check-weights} finds them before any request runs.
 */
class CorruptModelTest {
    static String run(int expectedExit, String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String all = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, rc, all);
        return all;
    }

    /** A copy of stories260K with {@code tensor}'s first values set to NaN. */
    static Path withNaN(Path dir, String tensor) throws Exception {
        Path copy = dir.resolve("nan.gguf");
        Files.copy(SharedFiles.model("stories260K.gguf"), copy);
        long at;
        try (GgufFile f = GgufFile.open(copy)) {
            GgufTensorInfo info = f.tensorInfos().get(tensor);
            assertNotNull(info, tensor);
            at = f.dataOffset() + info.offset();
        }
        try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < 4; i++) b.putFloat(Float.NaN);
            ch.write(b.flip(), at);
        }
        return copy;
    }

    @Test
    void nonFiniteLogitsFailTheRequestAndNameTheModel(@TempDir Path dir) throws Exception {
        Path model = withNaN(dir, "output_norm.weight");
        try (Engine e = Engine.open(model, EngineOptions.defaults().withThreads(2))) {
            Result r = e.generate(List.of(Request.ofText("a", "Once upon a time", SamplingParams.greedy(8)))).getFirst();
            assertNotNull(r.error(), "a NaN model must not succeed with text '" + r.text() + "'");
            assertTrue(r.error().contains("non-finite logit") && r.error().contains(model.toString()), r.error());
            ScoreResult s = e.score("Once upon a time there was a dog.");
            assertNotNull(s.error(), "scoring must fail too, not report perplexity " + s.perplexity());
            assertNull(e.failure(), "a bad row is not a broken engine");
        }
        String logits = run(1, "logits", "--model", model.toString(), "--tokens", "1,2,3", "--out", dir.resolve("l.bin").toString());
        assertTrue(logits.contains("non-finite logit"), logits);
    }

    @Test
    void checkWeightsFindsNaNBeforeAnyRequest(@TempDir Path dir) throws Exception {
        Path model = withNaN(dir, "blk.0.ffn_up.weight");
        try (GgufFile f = GgufFile.open(model)) {
            List<String> bad = WeightCheck.nonFinite(new GgufWeights(f), 10);
            assertEquals(1, bad.size(), bad.toString());
            assertTrue(bad.getFirst().startsWith("blk.0.ffn_up.weight"), bad.toString());
        }
        try (GgufFile f = GgufFile.open(SharedFiles.model("stories260K.gguf"))) {
            assertEquals(List.of(), WeightCheck.nonFinite(new GgufWeights(f), 10));
        }
        String info = run(1, "info", "--model", model.toString(), "--check-weights");
        assertTrue(info.contains("1 tensors with NaN or Inf: blk.0.ffn_up.weight"), info);
        String gen = run(1, "generate", "--model", model.toString(), "--prompt", "Once", "--check-weights");
        assertTrue(gen.contains("non-finite weights") && gen.contains("blk.0.ffn_up.weight"), gen);
        assertEquals(1, gen.strip().split("\n").length, "one line, no stack trace: " + gen);
    }

    @Test
    void aModelFileThatShrinksUnderTheEngineFailsRequestsInsteadOfHanging(@TempDir Path dir) throws Exception {
        Path copy = dir.resolve("shrinks.gguf");
        Files.copy(SharedFiles.model("stories260K.gguf"), copy);
        try (Engine e = Engine.open(copy, EngineOptions.defaults().withThreads(2))) {
            assertNull(e.generate(List.of(Request.ofText("ok", "Once upon a time", SamplingParams.greedy(4)))).getFirst().error());
            try (RandomAccessFile f = new RandomAccessFile(copy.toFile(), "rw")) {
                f.setLength(4096); // the mapped token embeddings now lie past the end of the file
            }
            Result r = e.submit(Request.ofText("after", "The little dog", SamplingParams.greedy(4))).get(20, TimeUnit.SECONDS);
            assertNotNull(r.error(), "reading a truncated mapping must fail the request");
            assertNotNull(e.failure(), "the engine must report that it failed");
            assertTrue(e.failure().contains(copy.toString()) && e.failure().contains("reopen"), e.failure());
            Result later = e.submit(Request.ofText("later", "Once", SamplingParams.greedy(2))).get(5, TimeUnit.SECONDS);
            assertEquals(e.failure(), later.error(), "a failed engine refuses new requests at once");
            ScoreResult s = e.scoreAsync("Once upon a time").get(5, TimeUnit.SECONDS);
            assertNotNull(s.error());
        }
    }
}
