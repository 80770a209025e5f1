package dev.ember.engine.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every llama.cpp tokenizer vector in shared/vocab must match exactly (encode without BOS, without
 * special-token parsing, as test-tokenizer-0 runs them), and decoding must give the text back.
 */
class LlamaCppVectorsTest {

    static List<String> vocabs() {
        return VocabFiles.names();
    }

    @Test
    void vectorsArePresent() {
        assertFalse(vocabs().isEmpty(), "no ggml-vocab-*.gguf vectors under " + VocabFiles.dir().toAbsolutePath());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabs")
    void encodesEveryVectorExactly(String name) {
        Tokenizer tok = VocabFiles.tokenizer(name);
        List<VocabFiles.Vector> vectors = VocabFiles.vectors(name);
        List<String> failures = new ArrayList<>();
        for (VocabFiles.Vector v : vectors) {
            int[] got = tok.encode(v.text(), false, false);
            if (!Arrays.equals(v.expected(), got)) {
                failures.add(PreTokenizerSplitsTest.escape(v.text()) + "\n  expected " + Arrays.toString(v.expected())
                        + "\n  got      " + Arrays.toString(got));
            }
        }
        System.out.printf("%-40s %d/%d vectors pass%n", name, vectors.size() - failures.size(), vectors.size());
        if (!failures.isEmpty()) fail(name + ": " + failures.size() + " of " + vectors.size() + " vectors differ:\n" + String.join("\n", failures));
    }

    /** WordPiece lowercases and strips accents, so only the other models can give text back. */
    static List<String> losslessVocabs() {
        return vocabs().stream().filter(n -> !n.contains("bert")).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("losslessVocabs")
    void decodeRoundTrips(String name) {
        Tokenizer tok = VocabFiles.tokenizer(name);
        for (VocabFiles.Vector v : VocabFiles.vectors(name)) {
            String text = v.text();
            assertEquals(text, tok.decode(tok.encode(text, false, false)), () -> name + " " + PreTokenizerSplitsTest.escape(text));
            // BOS (a control token) decodes to nothing; SentencePiece's added space is removed again
            assertEquals(text, tok.decode(tok.encode(text, true, false)), () -> name + " with BOS " + PreTokenizerSplitsTest.escape(text));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("losslessVocabs")
    void streamingDecodeMatchesWholeDecode(String name) {
        Tokenizer tok = VocabFiles.tokenizer(name);
        for (VocabFiles.Vector v : VocabFiles.vectors(name)) {
            int[] ids = tok.encode(v.text(), false, false);
            StreamingDecoder dec = tok.streamingDecoder();
            StringBuilder streamed = new StringBuilder();
            for (int id : ids) {
                String part = dec.accept(id);
                assertFalse(part.contains("\uFFFD"), () -> name + ": partial character emitted for " + PreTokenizerSplitsTest.escape(v.text()));
                streamed.append(part);
            }
            assertFalse(dec.hasPending());
            streamed.append(dec.finish());
            // the streaming decoder keeps every byte, including SentencePiece's leading space
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            for (int id : ids) all.writeBytes(tok.tokenBytes(id));
            assertEquals(all.toString(StandardCharsets.UTF_8), streamed.toString());
        }
    }

    @Test
    void oneTokenizerEncodesConcurrently() throws Exception {
        // Spark tasks share one tokenizer per executor: encoding must keep no shared mutable state.
        String name = vocabs().stream().filter(n -> n.contains("qwen")).findFirst().orElse(vocabs().get(0));
        Tokenizer tok = VocabFiles.tokenizer(name);
        List<VocabFiles.Vector> vectors = VocabFiles.vectors(name);
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            List<java.util.concurrent.Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    for (int round = 0; round < 20; round++) {
                        for (VocabFiles.Vector v : vectors) {
                            if (!Arrays.equals(v.expected(), tok.encode(v.text(), false, false))) return false;
                        }
                    }
                    return true;
                }));
            }
            for (var r : results) assertTrue(r.get());
        }
    }

    @Test
    void encodingIsFastEnoughForBatchPrompts() {
        // A coarse guard against accidental quadratic behaviour, not a benchmark: 200k characters of
        // mixed text, and a single 20k-character run (one pre-tokenizer word), in well under a second.
        String name = vocabs().stream().filter(n -> n.contains("qwen")).findFirst().orElse(vocabs().get(0));
        Tokenizer tok = VocabFiles.tokenizer(name);
        StringBuilder sb = new StringBuilder();
        String[] words = {"Hello", "world", "the", "quick", "fox", " ", "\n", "12345", "don't", "нещо", "我想在", "🦙", "..."};
        java.util.Random r = new java.util.Random(7);
        while (sb.length() < 200_000) sb.append(words[r.nextInt(words.length)]).append(' ');
        String mixed = sb.toString();
        String run = " ".repeat(10_000) + "a".repeat(10_000);
        tok.encode(mixed, false, false); // warm up
        long start = System.nanoTime();
        int[] ids = tok.encode(mixed, false, false);
        int[] runIds = tok.encode(run, false, false);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(ids.length > 10_000 && runIds.length > 0);
        assertEquals(mixed, tok.decode(ids));
        assertEquals(run, tok.decode(runIds));
        assertTrue(seconds < 5, "encoding took " + seconds + " s");
    }
}
