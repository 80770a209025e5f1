package dev.ember.engine.embed;

import dev.ember.engine.api.EmbedResult;
import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.KvCacheType;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.convert.HfToGguf;
import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.util.Json;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Embedding parity with sentence-transformers (fp32, CPU) on the fixtures of
 * tools/fixtures/make_embedding_fixtures.py: from the sentence-transformers folder, from the text
 * (Ember's tokenizer must give the same ids) and from the GGUF Ember's converter writes; and batch
 * invariance (64 inputs in one batch give the bits of one at a time). The BERT fixtures run as
 * encoders; qwen3-last (Qwen3-Embedding style) runs as a decoder in the scheduler's batches, with
 * an f32 KV cache so that the comparison with fp32 sentence-transformers is exact to 1e-5.
 */
class EmbeddingParityTest {
    static final double TOLERANCE = 1e-5;

    record Golden(Path model, List<String> texts, List<int[]> tokens, List<float[]> embeddings, boolean normalize, int maxSeqLength) {}

    @SuppressWarnings("unchecked")
    static Golden golden(String name) throws Exception {
        Path dir = fixture(name);
        Map<String, Object> g = (Map<String, Object>) Json.parse(Files.readString(dir.resolve("golden.json")));
        List<int[]> tokens = new ArrayList<>();
        for (Object o : (List<?>) g.get("tokens")) tokens.add(((List<?>) o).stream().mapToInt(x -> ((Number) x).intValue()).toArray());
        List<float[]> emb = new ArrayList<>();
        for (Object o : (List<?>) g.get("embeddings")) {
            List<?> l = (List<?>) o;
            float[] v = new float[l.size()];
            for (int i = 0; i < v.length; i++) v[i] = ((Number) l.get(i)).floatValue();
            emb.add(v);
        }
        return new Golden(dir.resolve("model"), (List<String>) g.get("texts"), tokens, emb, (Boolean) g.get("normalize"),
                ((Number) g.get("max_seq_length")).intValue());
    }

    static Path fixture(String name) throws URISyntaxException {
        var url = EmbeddingParityTest.class.getResource("/fixtures/embed/" + name + "/golden.json");
        if (url == null) throw new IllegalStateException("no fixture " + name + "; run tools/fixtures/make_embedding_fixtures.py");
        return Path.of(url.toURI()).getParent();
    }

    static Engine open(Path model) {
        return Engine.open(model, EngineOptions.defaults().withThreads(2).withKvCacheType(KvCacheType.F32));
    }

    static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + ": dimension");
        double max = 0;
        for (int i = 0; i < want.length; i++) max = Math.max(max, Math.abs(want[i] - got[i]));
        assertTrue(max <= TOLERANCE, what + ": max abs difference " + max + " > " + TOLERANCE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert-mean-norm", "bert-cls", "qwen3-last", "nomic-mean"})
    void tokensAndTextMatchSentenceTransformers(String name) throws Exception {
        Golden g = golden(name);
        assertTrue(g.texts().size() >= 8);
        try (Engine e = open(g.model())) {
            assertEquals(g.embeddings().getFirst().length, e.embeddingDimension());
            for (int i = 0; i < g.texts().size(); i++) {
                String what = name + " text " + i + " '" + g.texts().get(i) + "'";
                EmbedResult byTokens = e.embedTokens(g.tokens().get(i)).join();
                assertNull(byTokens.error(), what);
                assertClose(g.embeddings().get(i), byTokens.embedding(), what + " (token ids)");
                assertArrayEquals(g.tokens().get(i), truncatedTokens(e, g, i), what + ": Ember's tokens differ from the HF tokenizer's");
                EmbedResult byText = e.embed(g.texts().get(i));
                assertNull(byText.error(), what);
                assertClose(g.embeddings().get(i), byText.embedding(), what + " (text)");
                assertEquals(g.tokens().get(i).length, byText.tokens(), what);
            }
        }
    }

    /** The ids Ember embeds for text i: its tokenization, cut like sentence-transformers' when longer than max_seq_length. */
    private static int[] truncatedTokens(Engine e, Golden g, int i) {
        int[] all = e.tokenize(g.texts().get(i));
        int max = g.maxSeqLength();
        if (all.length <= max) return all;
        int[] cut = java.util.Arrays.copyOf(all, max);
        cut[max - 1] = all[all.length - 1];
        return cut;
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert-mean-norm", "bert-cls", "qwen3-last", "nomic-mean"})
    void batchOf64MatchesOneAtATime(String name) throws Exception {
        Golden g = golden(name);
        try (Engine e = open(g.model())) {
            List<float[]> alone = new ArrayList<>();
            for (int i = 0; i < 64; i++) alone.add(e.embed(g.texts().get(i % g.texts().size())).embedding());
            List<CompletableFuture<EmbedResult>> batch = new ArrayList<>();
            for (int i = 0; i < 64; i++) batch.add(e.embedAsync(g.texts().get(i % g.texts().size())));
            for (int i = 0; i < 64; i++) assertArrayEquals(alone.get(i), batch.get(i).join().embedding(), "input " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert-mean-norm", "bert-cls", "qwen3-last", "nomic-mean"})
    void convertedGgufGivesTheSameEmbeddings(String name, @TempDir Path tmp) throws Exception {
        Golden g = golden(name);
        Path gguf = tmp.resolve(name + ".gguf");
        HfToGguf.convert(g.model(), gguf, TensorType.F32, 2);
        try (Engine hf = open(g.model()); Engine e = open(gguf)) {
            for (int i = 0; i < g.texts().size(); i++) {
                float[] want = hf.embed(g.texts().get(i)).embedding();
                EmbedResult r = e.embed(g.texts().get(i));
                assertNull(r.error(), "text " + i);
                assertArrayEquals(want, r.embedding(), "text " + i + ": GGUF and HF folder differ");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bert-mean-norm", "qwen3-last", "nomic-mean"})
    void badInputsGetErrorsNotExceptions(String name) throws Exception {
        Golden g = golden(name);
        try (Engine e = open(g.model())) {
            assertNotNull(e.embedTokens(new int[0]).join().error());
            assertNotNull(e.embedTokens(new int[]{1, 999_999}).join().error());
            EmbedResult ok = e.embedTokens(g.tokens().getFirst()).join();
            assertNull(ok.error());
        }
    }

    /**
     * A decoder's embedding requests share the scheduler's batches with generation: embeddings
     * made while a generation runs are the bits of those made alone, and the generation is the
     * same as without them.
     */
    @org.junit.jupiter.api.Test
    void decoderEmbeddingsBatchWithGeneration() throws Exception {
        Golden g = golden("qwen3-last");
        try (Engine e = open(g.model())) {
            Request gen = Request.ofText("gen", "the quick brown fox", SamplingParams.builder().maxTokens(24).ignoreEos(true).build());
            Result alone = e.submit(gen).join();
            assertNull(alone.error());
            List<float[]> want = new ArrayList<>();
            for (String t : g.texts()) want.add(e.embed(t).embedding());
            CompletableFuture<Result> mixed = e.submit(gen);
            List<CompletableFuture<EmbedResult>> got = new ArrayList<>();
            for (int i = 0; i < 32; i++) got.add(e.embedAsync(g.texts().get(i % g.texts().size())));
            for (int i = 0; i < 32; i++) assertArrayEquals(want.get(i % want.size()), got.get(i).join().embedding(), "input " + i);
            assertArrayEquals(alone.tokenIds(), mixed.join().tokenIds());
        }
    }

    @org.junit.jupiter.api.Test
    void generativeDecoderIsNotAnEmbeddingModel() throws Exception {
        var url = EmbeddingParityTest.class.getResource("/fixtures/qwen3/golden.json");
        try (Engine e = open(Path.of(url.toURI()).getParent().resolve("model"))) {
            assertEquals(0, e.embeddingDimension());
            EmbedResult r = e.embedTokens(new int[]{1, 2, 3}).join();
            assertNotNull(r.error());
            assertTrue(r.error().contains("no pooling type"), r.error());
        }
    }

    /**
     * nomic-embed-text as on the Hub: nomic's own config.json keys (n_embd, n_layer, ...,
     * trust_remote_code's) with the same weights load to the same model as transformers' keys.
     */
    @org.junit.jupiter.api.Test
    void nomicOwnConfigLoadsTheSameModel(@TempDir Path tmp) throws Exception {
        Golden g = golden("nomic-mean");
        Path dir = tmp.resolve("nomic");
        try (var files = Files.walk(g.model())) {
            for (Path f : files.toList()) {
                Path to = dir.resolve(g.model().relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(to);
                else Files.copy(f, to);
            }
        }
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["NomicBertModel"], "model_type": "nomic_bert", "vocab_size": 129, "n_embd": 32, "n_head": 4,
                 "n_inner": 64, "n_layer": 2, "n_positions": 64, "max_trained_positions": 64, "rotary_emb_base": 1000,
                 "rotary_emb_fraction": 1.0, "rotary_emb_interleaved": false, "layer_norm_epsilon": 1e-12,
                 "activation_function": "swiglu", "type_vocab_size": 2, "prenorm": false, "causal": false,
                 "qkv_proj_bias": false, "mlp_fc1_bias": false, "mlp_fc2_bias": false}
                """);
        try (Engine want = open(g.model()); Engine got = open(dir)) {
            for (String t : g.texts()) assertArrayEquals(want.embed(t).embedding(), got.embed(t).embedding(), t);
        }
    }
}
