package dev.ember.engine.synth;

import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.gguf.GgufTensorInfo;
import dev.ember.engine.gguf.GgufValueType;
import dev.ember.engine.gguf.GgufWriter;
import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticModelTest {
    @TempDir Path tmp;

    private static final List<String> BLOCK_TENSORS = List.of("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
            "ffn_norm", "ffn_gate", "ffn_up", "ffn_down");

    @Test
    void llamaTinyInEveryType() throws IOException {
        for (TensorType type : SyntheticModel.types()) {
            Path p = tmp.resolve("llama-tiny-" + type + ".gguf");
            SyntheticModel.Summary s = SyntheticModel.write("llama-tiny", type, p, 7, 2);
            assertEquals(Files.size(p), s.fileBytes());
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals("llama", f.getString("general.architecture"));
                assertEquals(SyntheticModel.fileType(type), f.getInt("general.file_type"));
                assertEquals(type.isQuantized(), f.has("general.quantization_version"));
                assertEquals(2, f.getInt("llama.block_count"));
                assertEquals(64, f.getInt("llama.embedding_length"));
                assertEquals(128, f.getInt("llama.feed_forward_length"));
                assertEquals(4, f.getInt("llama.attention.head_count"));
                assertEquals(2, f.getInt("llama.attention.head_count_kv"));
                assertEquals(16, f.getInt("llama.attention.key_length"));
                assertEquals(16, f.getInt("llama.rope.dimension_count"));
                assertEquals(256, f.getInt("llama.context_length"));
                assertEquals(10000f, f.getFloat("llama.rope.freq_base", 0));
                assertEquals(1e-5f, f.getFloat("llama.attention.layer_norm_rms_epsilon", 0));
                assertEquals(GgufValueType.UINT32, f.metadataType("llama.block_count"));
                assertEquals(GgufValueType.FLOAT32, f.metadataType("llama.rope.freq_base"));

                List<String> expected = new ArrayList<>(List.of("token_embd.weight"));
                for (int l = 0; l < 2; l++) for (String t : BLOCK_TENSORS) expected.add("blk." + l + "." + t + ".weight");
                expected.addAll(List.of("output_norm.weight", "output.weight"));
                assertEquals(Set.copyOf(expected), f.tensorInfos().keySet());
                Map<String, GgufTensorInfo> t = f.tensorInfos();
                assertArrayEquals(new long[]{64, 512}, t.get("token_embd.weight").shape());
                assertArrayEquals(new long[]{64, 512}, t.get("output.weight").shape());
                assertArrayEquals(new long[]{64, 64}, t.get("blk.0.attn_q.weight").shape());
                assertArrayEquals(new long[]{64, 32}, t.get("blk.0.attn_k.weight").shape());
                assertArrayEquals(new long[]{64, 32}, t.get("blk.1.attn_v.weight").shape());
                assertArrayEquals(new long[]{64, 64}, t.get("blk.1.attn_output.weight").shape());
                assertArrayEquals(new long[]{64, 128}, t.get("blk.0.ffn_up.weight").shape());
                assertArrayEquals(new long[]{128, 64}, t.get("blk.0.ffn_down.weight").shape());
                assertArrayEquals(new long[]{64}, t.get("blk.1.ffn_norm.weight").shape());
                for (GgufTensorInfo info : t.values()) {
                    assertEquals(info.shape().length == 1 ? TensorType.F32 : type, info.type(), info.name());
                    float[] v = values(f.tensor(info.name()));
                    if (info.shape().length == 1) {
                        for (float x : v) assertEquals(1f, x, info.name());
                    }
                }
                // 64 x 512 weights: std 0.02 within sampling and quantization error.
                double[] ms = meanStd(values(f.tensor("token_embd.weight")));
                assertEquals(0, ms[0], 0.001, type + " mean");
                assertEquals(0.02, ms[1], type == TensorType.Q4_0 ? 0.0015 : 0.0005, type + " std");
            }
        }
    }

    private static float[] values(Tensor t) {
        float[] out = new float[Math.toIntExact(t.elementCount())];
        Dequant.row(t.type(), t.data(), 0, out.length, out, 0);
        return out;
    }

    private static double[] meanStd(float[] v) {
        double s = 0, s2 = 0;
        for (float x : v) { s += x; s2 += (double) x * x; }
        double m = s / v.length;
        return new double[]{m, Math.sqrt(s2 / v.length - m * m)};
    }

    @Test
    void bytesDependOnlyOnTheSeed() throws IOException {
        Path a = tmp.resolve("a.gguf"), b = tmp.resolve("b.gguf"), c = tmp.resolve("c.gguf");
        SyntheticModel.write("qwen3-tiny", TensorType.Q8_0, a, 1, 1);
        SyntheticModel.write("qwen3-tiny", TensorType.Q8_0, b, 1, 3);
        SyntheticModel.write("qwen3-tiny", TensorType.Q8_0, c, 2, 1);
        assertEquals(-1, Files.mismatch(a, b));
        assertEquals(Files.size(a), Files.size(c));
        assertNotEquals(-1, Files.mismatch(a, c));
        try (GgufFile fa = GgufFile.open(a); GgufFile fc = GgufFile.open(c)) {
            assertEquals(fa.dataOffset(), fc.dataOffset()); // only the weights differ
            // Different tensors of one model are not copies of each other.
            assertFalse(Arrays.equals(values(fa.tensor("blk.0.ffn_gate.weight")), values(fa.tensor("blk.0.ffn_up.weight"))));
        }
    }

    @Test
    void qwen3TinyHasTiedEmbeddingsAndQkNorms() throws IOException {
        Path p = tmp.resolve("q.gguf");
        SyntheticModel.write("qwen3-tiny", TensorType.F16, p, 3);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals("qwen3", f.getString("general.architecture"));
            assertFalse(f.hasTensor("output.weight"));
            assertArrayEquals(new long[]{64, 128}, f.tensorInfos().get("blk.0.attn_q.weight").shape());
            assertArrayEquals(new long[]{128, 64}, f.tensorInfos().get("blk.0.attn_output.weight").shape());
            assertArrayEquals(new long[]{32}, f.tensorInfos().get("blk.1.attn_q_norm.weight").shape());
            assertArrayEquals(new long[]{32}, f.tensorInfos().get("blk.1.attn_k_norm.weight").shape());
            assertEquals(TensorType.F32, f.tensorInfos().get("blk.1.attn_k_norm.weight").type());
        }
    }

    /** The full-size preset, checked arithmetically: shapes, counts and sizes, plus its metadata written alone. */
    /** BERT-base's shape: 12 × (Q, K, V, O with biases, two LayerNorms, up/down with biases), positions, token types; no head. */
    @Test
    void bertBaseShape() {
        GgufWriter w = SyntheticModel.plan(SyntheticModel.preset("bert-base"), TensorType.Q8_0, 0);
        Map<String, GgufTensorInfo> t = new java.util.LinkedHashMap<>();
        long params = 0;
        for (GgufTensorInfo i : w.tensorInfos()) {
            t.put(i.name(), i);
            params += Arrays.stream(i.shape()).reduce(1, (a, b) -> a * b);
        }
        assertEquals(1 + 4 + 12 * 16, t.size());
        assertFalse(t.containsKey("output.weight") || t.containsKey("output_norm.weight"));
        assertArrayEquals(new long[]{768, 512}, t.get("position_embd.weight").shape());
        assertArrayEquals(new long[]{768, 2}, t.get("token_types.weight").shape());
        assertArrayEquals(new long[]{768, 3072}, t.get("blk.11.ffn_up.weight").shape());
        assertArrayEquals(new long[]{3072}, t.get("blk.11.ffn_up.bias").shape());
        assertEquals(108_891_648L, params); // bert-base-uncased's 109M (its pooler aside)
    }

    /** synth --pooling: the pooling type makes a decoder preset an embedding model of its width. */
    @Test
    void poolingTypeMakesAnEmbeddingModel() throws IOException {
        Path p = tmp.resolve("qwen3-tiny-embed.gguf");
        SyntheticModel.write("qwen3-tiny", TensorType.F32, p, 3, 1, null, dev.ember.engine.model.Pooling.LAST);
        try (var e = dev.ember.engine.api.Engine.open(p, dev.ember.engine.api.EngineOptions.defaults().withThreads(1))) {
            assertEquals(64, e.embeddingDimension());
            var r = e.embedTokens(new int[]{1, 2, 3}).join();
            assertEquals(null, r.error());
            assertEquals(64, r.embedding().length);
        }
    }

    /** A decoder pools the last token: mean pooling is refused at load in one line; rank (a reranker) is not an embedding model. */
    @Test
    void decoderPoolingTypes() throws IOException {
        for (int type : new int[]{1, 4}) {
            GgufWriter w = SyntheticModel.plan(SyntheticModel.preset("qwen3-tiny"), TensorType.F32, 3);
            w.putUInt32("qwen3.pooling_type", type);
            Path p = tmp.resolve("pool" + type + ".gguf");
            w.write(p, 1);
            var options = dev.ember.engine.api.EngineOptions.defaults().withThreads(1);
            if (type == 1) {
                var e = assertThrows(dev.ember.engine.model.ModelLoadException.class, () -> dev.ember.engine.api.Engine.open(p, options));
                assertTrue(e.getMessage().contains("decoder embedding models pool the last token"), e.getMessage());
            } else {
                try (var e = dev.ember.engine.api.Engine.open(p, options)) {
                    assertEquals(0, e.embeddingDimension());
                }
            }
        }
    }

    @Test
    void qwen3_0_6bShape() throws IOException {
        Preset p = SyntheticModel.preset("qwen3-0.6b");
        GgufWriter w = SyntheticModel.plan(p, TensorType.Q8_0, 0);
        Map<String, GgufTensorInfo> t = new java.util.LinkedHashMap<>();
        for (GgufTensorInfo i : w.tensorInfos()) t.put(i.name(), i);
        assertEquals(1 + 28 * 11 + 1, t.size());
        assertFalse(t.containsKey("output.weight"));
        assertArrayEquals(new long[]{1024, 151936}, t.get("token_embd.weight").shape());
        for (int l = 0; l < 28; l++) {
            String b = "blk." + l + ".";
            assertArrayEquals(new long[]{1024}, t.get(b + "attn_norm.weight").shape());
            assertArrayEquals(new long[]{1024, 2048}, t.get(b + "attn_q.weight").shape());
            assertArrayEquals(new long[]{1024, 1024}, t.get(b + "attn_k.weight").shape());
            assertArrayEquals(new long[]{1024, 1024}, t.get(b + "attn_v.weight").shape());
            assertArrayEquals(new long[]{2048, 1024}, t.get(b + "attn_output.weight").shape());
            assertArrayEquals(new long[]{128}, t.get(b + "attn_q_norm.weight").shape());
            assertArrayEquals(new long[]{128}, t.get(b + "attn_k_norm.weight").shape());
            assertArrayEquals(new long[]{1024}, t.get(b + "ffn_norm.weight").shape());
            assertArrayEquals(new long[]{1024, 3072}, t.get(b + "ffn_gate.weight").shape());
            assertArrayEquals(new long[]{1024, 3072}, t.get(b + "ffn_up.weight").shape());
            assertArrayEquals(new long[]{3072, 1024}, t.get(b + "ffn_down.weight").shape());
            assertEquals(TensorType.Q8_0, t.get(b + "ffn_down.weight").type());
            assertEquals(TensorType.F32, t.get(b + "attn_q_norm.weight").type());
        }
        long perLayerMatrices = 1024L * 2048 + 2L * 1024 * 1024 + 2048L * 1024 + 3L * 1024 * 3072;
        long perLayerNorms = 1024 + 1024 + 128 + 128;
        long embd = 151936L * 1024;
        SyntheticModel.Summary s = SyntheticModel.describe("qwen3-0.6b", TensorType.Q8_0);
        assertEquals(embd + 28 * (perLayerMatrices + perLayerNorms) + 1024, s.parameters());
        assertEquals(596_049_920L, s.parameters());
        long data = (embd + 28 * perLayerMatrices) / 32 * 34 + 4L * (28 * perLayerNorms + 1024); // all sizes are multiples of 32
        assertEquals(w.dataOffset() + data, s.fileBytes());

        GgufWriter meta = new GgufWriter();
        SyntheticModel.metadata(p, TensorType.Q8_0, meta);
        Path header = tmp.resolve("qwen3-0.6b-meta.gguf");
        meta.write(header);
        try (GgufFile f = GgufFile.open(header)) {
            assertEquals("qwen3", f.getString("general.architecture"));
            assertEquals(7, f.getInt("general.file_type"));
            assertEquals(2, f.getInt("general.quantization_version"));
            assertEquals(28, f.getInt("qwen3.block_count"));
            assertEquals(1024, f.getInt("qwen3.embedding_length"));
            assertEquals(3072, f.getInt("qwen3.feed_forward_length"));
            assertEquals(16, f.getInt("qwen3.attention.head_count"));
            assertEquals(8, f.getInt("qwen3.attention.head_count_kv"));
            assertEquals(128, f.getInt("qwen3.attention.key_length"));
            assertEquals(128, f.getInt("qwen3.attention.value_length"));
            assertEquals(40960, f.getInt("qwen3.context_length"));
            assertEquals(1e6f, f.getFloat("qwen3.rope.freq_base", 0));
            assertEquals(1e-6f, f.getFloat("qwen3.attention.layer_norm_rms_epsilon", 0));
            assertEquals("gpt2", f.getString("tokenizer.ggml.model"));
            assertEquals("qwen2", f.getString("tokenizer.ggml.pre"));
            String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
            int[] types = f.getIntArray("tokenizer.ggml.token_type");
            String[] merges = f.getStringArray("tokenizer.ggml.merges");
            assertEquals(151936, tokens.length);
            assertEquals(151936, types.length);
            assertEquals(65536, merges.length);
            Set<String> vocab = new HashSet<>(Arrays.asList(tokens));
            assertEquals(tokens.length, vocab.size(), "tokens must be unique");
            assertEquals("<|endoftext|>", tokens[151643]);
            assertEquals("<|im_end|>", tokens[151645]);
            assertEquals(151643, f.getInt("tokenizer.ggml.bos_token_id"));
            assertEquals(151645, f.getInt("tokenizer.ggml.eos_token_id"));
            assertEquals(SynthVocab.CONTROL, types[151645]);
            assertEquals(SynthVocab.UNUSED, types[151935]);
            assertEquals("[PAD151935]", tokens[151935]);
            // GPT-2's byte alphabet: '!' first, space is 'Ġ', newline 'Ċ'.
            assertEquals("!", tokens[0]);
            List<String> first256 = Arrays.asList(tokens).subList(0, 256);
            assertTrue(first256.contains("Ġ"));
            assertTrue(first256.contains("Ċ"));
            assertEquals(256, new HashSet<>(first256).size());
            for (String m : merges) {
                String[] ab = m.split(" ", -1);
                assertEquals(2, ab.length, m);
                assertTrue(vocab.contains(ab[0]) && vocab.contains(ab[1]) && vocab.contains(ab[0] + ab[1]), m);
            }
        }
    }

    /** The synthetic vocabulary loads as a byte-level BPE tokenizer and round-trips any text. */
    @Test
    void vocabularyLoadsAndRoundTrips() throws IOException {
        Path p = tmp.resolve("tok.gguf");
        SyntheticModel.write("llama-tiny", TensorType.F32, p, 1, 1);
        try (GgufFile f = GgufFile.open(p)) {
            Tokenizer tok = Tokenizer.fromGguf(f);
            assertEquals(512, tok.vocabSize());
            assertEquals(511, tok.eos());
            String text = "Hello world!\n  ünïcode 世界 🎉 tabs\tand spaces";
            int[] ids = tok.encode(text, false, false);
            assertEquals(text, tok.decode(ids));
            // "!!" is the one two-byte token a 512-token vocabulary has room for (merge "! !").
            assertArrayEquals(new int[]{256}, tok.encode("!!", false, false));
            assertArrayEquals(new int[]{510}, tok.encode("<|im_start|>", false, true));
        }
    }

    /** Phi-3-mini's shape: fused QKV (3 x 3072 rows) and gate/up (2 x 8192), LongRoPE sets of 48 (96 rotated dims). */
    @Test
    void phi3MiniShape() {
        GgufWriter w = SyntheticModel.plan(SyntheticModel.preset("phi3-mini"), TensorType.Q8_0, 0);
        Map<String, GgufTensorInfo> t = new java.util.LinkedHashMap<>();
        for (GgufTensorInfo i : w.tensorInfos()) t.put(i.name(), i);
        assertEquals(1 + 2 + 32 * 6 + 2, t.size());
        assertArrayEquals(new long[]{3072, 32064}, t.get("token_embd.weight").shape());
        assertArrayEquals(new long[]{3072, 9216}, t.get("blk.31.attn_qkv.weight").shape());
        assertArrayEquals(new long[]{3072, 3072}, t.get("blk.31.attn_output.weight").shape());
        assertArrayEquals(new long[]{3072, 16384}, t.get("blk.31.ffn_up.weight").shape());
        assertArrayEquals(new long[]{8192, 3072}, t.get("blk.31.ffn_down.weight").shape());
        assertArrayEquals(new long[]{48}, t.get("rope_factors_long.weight").shape());
        assertEquals(TensorType.F32, t.get("rope_factors_short.weight").type());
        assertFalse(t.containsKey("blk.0.ffn_gate.weight") || t.containsKey("blk.0.attn_q.weight"));
        long perLayer = 3072L * 9216 + 3072L * 3072 + 3072L * 16384 + 8192L * 3072 + 2 * 3072;
        long params = 2 * 32064L * 3072 + 32 * perLayer + 3072 + 2 * 48;
        assertEquals(params, SyntheticModel.describe("phi3-mini", TensorType.Q8_0).parameters());
        assertEquals(3_821_079_648L, params); // Phi-3-mini's 3.82B, plus the two factor sets
    }

    /**
     * LongRoPE: the long factor set applies when the context exceeds the original one (phi3-tiny:
     * 256 > 32), the short one when it does not; the two give different logits from the same weights.
     */
    @Test
    void phi3PicksTheLongOrShortFactorsByContext() throws IOException {
        Preset tiny = SyntheticModel.preset("phi3-tiny");
        Preset atOriginal = new Preset("phi3-tiny-32", "phi3", tiny.hidden(), tiny.layers(), 32, tiny.ropeTheta(), tiny.rmsEps(),
                tiny.tiedEmbeddings(), tiny.initStd(), tiny.attention(), tiny.feedForward(), tiny.vocab());
        int[] prompt = new int[20];
        for (int i = 0; i < prompt.length; i++) prompt[i] = (i * 37 + 11) % 512;
        Preset[] presets = {tiny, atOriginal};
        String[] described = new String[2];
        float[][] last = new float[2][];
        for (int i = 0; i < 2; i++) {
            Path p = tmp.resolve(presets[i].name() + ".gguf");
            SyntheticModel.plan(presets[i], TensorType.F32, 3).write(p, 1);
            try (var lm = dev.ember.engine.runtime.LoadedModel.open(p, 1)) {
                described[i] = lm.model().describe();
                float[][] all = dev.ember.engine.cli.LogitsAccess.allLogits(lm.model(), prompt);
                last[i] = all[all.length - 1];
            }
        }
        assertTrue(described[0].contains("longrope (long factors, original context 32"), described[0]);
        assertTrue(described[0].contains("sliding window 48"), described[0]);
        assertTrue(described[1].contains("longrope (short factors, original context 32, attention factor 1.0000"), described[1]);
        assertFalse(Arrays.equals(last[0], last[1]));
    }

    /** An unsupported RoPE scaling type is refused at load, by name. */
    @Test
    void unsupportedRopeScalingTypeNamesItself() throws IOException {
        GgufWriter w = SyntheticModel.plan(SyntheticModel.preset("phi3-tiny"), TensorType.F32, 3);
        w.putString("phi3.rope.scaling.type", "dynamic");
        Path p = tmp.resolve("phi3-dynamic.gguf");
        w.write(p, 1);
        var e = assertThrows(dev.ember.engine.model.ModelLoadException.class, () -> dev.ember.engine.runtime.LoadedModel.open(p, 1).close());
        assertTrue(e.getMessage().contains("unsupported rope scaling type 'dynamic'"), e.getMessage());
    }

    @Test
    void everyPresetFitsEveryType() {
        for (String preset : SyntheticModel.presets()) {
            for (TensorType type : SyntheticModel.types()) {
                SyntheticModel.Summary s = SyntheticModel.describe(preset, type);
                assertTrue(s.fileBytes() > 0 && s.parameters() > 0, preset + " " + type);
            }
        }
        assertEquals(List.of(TensorType.F32, TensorType.F16, TensorType.Q4_0, TensorType.Q4_1, TensorType.Q5_0, TensorType.Q5_1,
                TensorType.Q8_0, TensorType.BF16, TensorType.MXFP4), SyntheticModel.types());
    }

    @Test
    void rejectsUnknownPresetsAndTypes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SyntheticModel.write("gpt-5", TensorType.Q8_0, tmp.resolve("x.gguf"), 1));
        assertTrue(e.getMessage().contains("qwen3-0.6b") && e.getMessage().contains("llama-tiny"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SyntheticModel.describe("llama-tiny", TensorType.Q4_K));
    }
}
