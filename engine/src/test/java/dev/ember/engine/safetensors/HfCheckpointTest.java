package dev.ember.engine.safetensors;

import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.tensor.WeightMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading HF directories: translated names and keys, the expert and MLA layouts, and the errors users see. */
class HfCheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void deepseekV3MetadataFollowsLlamaCpp() {
        try (HfCheckpoint c = HfCheckpoint.open(HfFixture.load("deepseek_v3").model())) {
            Map<String, Object> m = c.metadata();
            assertEquals("deepseek2", m.get("general.architecture"));
            assertEquals(3L, m.get("deepseek2.block_count"));
            assertEquals(1L, m.get("deepseek2.attention.head_count_kv"));
            assertEquals(4L, m.get("deepseek2.attention.head_count"));
            assertEquals(32L, m.get("deepseek2.attention.q_lora_rank"));
            assertEquals(32L, m.get("deepseek2.attention.kv_lora_rank"));
            assertEquals(48L, m.get("deepseek2.attention.key_length"));
            assertEquals(32L, m.get("deepseek2.attention.value_length"));
            assertEquals(32L, m.get("deepseek2.attention.key_length_mla"));
            assertEquals(24L, m.get("deepseek2.attention.value_length_mla"));
            assertEquals(16L, m.get("deepseek2.rope.dimension_count"));
            assertEquals(1L, m.get("deepseek2.leading_dense_block_count"));
            assertEquals(8L, m.get("deepseek2.expert_count"));
            assertEquals(2L, m.get("deepseek2.expert_used_count"));
            assertEquals(1L, m.get("deepseek2.expert_shared_count"));
            assertEquals(4L, m.get("deepseek2.expert_group_count"));
            assertEquals(2L, m.get("deepseek2.expert_group_used_count"));
            assertEquals(2L, m.get("deepseek2.expert_gating_func"), "V3 routes with sigmoid");
            assertEquals((double) 2.5f, m.get("deepseek2.expert_weights_scale"));
            assertEquals(true, m.get("deepseek2.expert_weights_norm"));
            assertEquals("yarn", m.get("deepseek2.rope.scaling.type"));
            assertEquals((double) 4f, m.get("deepseek2.rope.scaling.factor"));
            assertEquals(512L, m.get("deepseek2.rope.scaling.original_context_length"));
            assertEquals((double) 0.1f, m.get("deepseek2.rope.scaling.yarn_log_multiplier"));
            assertTrue(c.hasTensor("blk.0.ffn_gate.weight"), "first_k_dense_replace layer is dense");
            assertFalse(c.hasTensor("blk.0.ffn_gate_exps.weight"));
            assertTrue(c.hasTensor("blk.1.exp_probs_b.bias"));
            assertTrue(c.hasTensor("blk.1.ffn_down_shexp.weight"));
            assertTrue(c.hasTensor("blk.2.attn_q_a_norm.weight"));
            assertFalse(c.hasTensor("blk.2.attn_kv_b.weight"), "llama.cpp writes only the split k_b / v_b");
        }
        try (HfCheckpoint c = HfCheckpoint.open(HfFixture.load("deepseek_v2").model())) {
            assertEquals(1L, c.metadata().get("deepseek2.expert_gating_func"), "V2 routes with softmax");
            assertFalse(c.metadata().containsKey("deepseek2.attention.q_lora_rank"));
            assertTrue(c.hasTensor("blk.0.attn_q.weight"));
            assertFalse(c.hasTensor("blk.1.exp_probs_b.bias"));
        }
    }

    @Test
    void kvBSplitsIntoTransposedKAndV() {
        try (HfCheckpoint c = HfCheckpoint.open(HfFixture.load("deepseek_v3").model())) {
            SafetensorsFile.Entry kvb = entry(c, "model.layers.1.self_attn.kv_b_proj.weight");
            int heads = 4, nope = 16, v = 24, lora = 32;
            Tensor kb = c.tensor("blk.1.attn_k_b.weight");
            Tensor vb = c.tensor("blk.1.attn_v_b.weight");
            assertArrayEquals(new long[] {nope, lora, heads}, kb.shape());
            assertArrayEquals(new long[] {lora, v, heads}, vb.shape());
            for (int h = 0; h < heads; h++) {
                for (int cc = 0; cc < lora; cc += 7) {
                    for (int j = 0; j < nope; j += 3) {
                        assertEquals(f32(kvb.data(), (long) (h * (nope + v) + j) * lora + cc), f32(kb.data(), ((long) h * lora + cc) * nope + j));
                    }
                    for (int i = 0; i < v; i += 5) {
                        assertEquals(f32(kvb.data(), (long) (h * (nope + v) + nope + i) * lora + cc), f32(vb.data(), ((long) h * v + i) * lora + cc));
                    }
                }
            }
        }
    }

    @Test
    void expertsAreZeroCopyViewsEqualToTheStackedSlices() {
        try (HfCheckpoint c = HfCheckpoint.open(HfFixture.load("qwen3_moe").model())) {
            Map<String, Object> m = c.metadata();
            assertEquals("qwen3moe", m.get("general.architecture"));
            assertEquals(8L, m.get("qwen3moe.expert_count"));
            assertEquals(32L, m.get("qwen3moe.expert_feed_forward_length"));
            assertEquals(true, m.get("qwen3moe.expert_weights_norm"));
            String name = "blk.1.ffn_down_exps.weight";
            SafetensorsFile.Entry stored = entry(c, "model.layers.1.mlp.experts.5.down_proj.weight");
            WeightMatrix e5 = c.expert(name, 5);
            assertEquals(64, e5.rows());
            assertEquals(32, e5.cols());
            assertEquals(stored.data().address(), e5.data().address(), "a view of the stored tensor, not a copy");
            WeightMatrix slice = c.tensor(name).slice(5);
            assertArrayEquals(slice.data().toArray(ValueLayout.JAVA_BYTE), e5.data().toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(new long[] {32, 64, 8}, c.tensor(name).shape());
            assertArrayEquals(new long[] {64, 32, 8}, c.tensor("blk.0.ffn_gate_exps.weight").shape());
        }
        try (HfCheckpoint c = HfCheckpoint.open(HfFixture.load("mixtral").model())) {
            assertEquals("llama", c.metadata().get("general.architecture"));
            assertEquals(4L, c.metadata().get("llama.expert_count"));
            assertTrue(c.hasTensor("blk.1.ffn_up_exps.weight"));
            assertTrue(c.hasTensor("blk.1.ffn_gate_inp.weight"));
        }
    }

    @Test
    void llamaQkRowsArePermutedToAdjacentPairs() {
        try (HfCheckpoint c = HfCheckpoint.open(HfFixture.load("llama").model())) {
            SafetensorsFile.Entry k = entry(c, "model.layers.0.self_attn.k_proj.weight");
            Tensor t = c.tensor("blk.0.attn_k.weight");
            int hd = 16, cols = 64;
            float[] row = new float[cols];
            float[] src = new float[cols];
            for (int h = 0; h < 2; h++) {
                for (int i = 0; i < hd / 2; i++) {
                    for (int j = 0; j < 2; j++) {
                        Dequant.row(TensorType.F32, t.data(), (long) (h * hd + 2 * i + j) * cols * 4, cols, row, 0);
                        Dequant.row(TensorType.F32, k.data(), (long) (h * hd + j * hd / 2 + i) * cols * 4, cols, src, 0);
                        assertArrayEquals(src, row);
                    }
                }
            }
            assertEquals(c.tensor("blk.0.attn_v.weight").data().address(), entry(c, "model.layers.0.self_attn.v_proj.weight").data().address(),
                    "other tensors are used in place");
        }
    }

    /**
     * Phi-3 as llama.cpp's phi3: fused attn_qkv and ffn_up kept fused, rotated dims from
     * partial_rotary_factor, LongRoPE factor tensors and transformers' attention factor.
     */
    @Test
    void phi3MetadataAndTensorsFollowLlamaCpp() {
        try (HfCheckpoint c = HfCheckpoint.open(HfFixture.load("phi3").model())) {
            Map<String, Object> m = c.metadata();
            assertEquals("phi3", m.get("general.architecture"));
            assertEquals(512L, m.get("phi3.context_length"));
            assertEquals(8L, m.get("phi3.rope.scaling.original_context_length"));
            assertEquals(12L, m.get("phi3.rope.dimension_count"), "int(16 * 0.75)");
            assertEquals(48L, m.get("phi3.attention.sliding_window"));
            assertEquals(2L, m.get("phi3.attention.head_count_kv"));
            assertEquals((double) (float) Math.sqrt(1 + Math.log(512.0 / 8) / Math.log(8)), m.get("phi3.rope.scaling.attn_factor"));
            assertFalse(m.containsKey("phi3.rope.scaling.type"), "llama.cpp's phi3 files carry LongRoPE as tensors only");
            assertArrayEquals(new long[]{64, 128}, c.tensor("blk.0.attn_qkv.weight").shape());
            assertArrayEquals(new long[]{64, 256}, c.tensor("blk.1.ffn_up.weight").shape());
            assertFalse(c.hasTensor("blk.0.attn_q.weight") || c.hasTensor("blk.0.ffn_gate.weight"));
            float[] longFactors = {1.0f, 2.0f, 4.5f, 9.0f, 20.0f, 40.0f};
            float[] shortFactors = {1.0f, 1.1f, 1.25f, 1.5f, 1.8f, 2.2f};
            for (int i = 0; i < 6; i++) {
                assertEquals(longFactors[i], f32(c.tensor("rope_factors_long.weight").data(), i));
                assertEquals(shortFactors[i], f32(c.tensor("rope_factors_short.weight").data(), i));
            }
        }
    }

    /**
     * The Hub's spelling of a Phi-3 config (transformers 4.x, as Phi-3.5 and Phi-4-mini ship):
     * {@code rope_scaling} of type {@code su}, {@code rope_theta} and {@code partial_rotary_factor}
     * at the top level. It is the same model: the fixture's logits within 1e-4.
     */
    @Test
    @SuppressWarnings("unchecked")
    void phi3HubStyleConfigIsTheSameModel() throws IOException {
        Path d = copy("phi3");
        Path cfg = d.resolve("config.json");
        Map<String, Object> config = new java.util.LinkedHashMap<>((Map<String, Object>) dev.ember.engine.util.Json.parse(Files.readString(cfg)));
        Map<String, Object> rp = (Map<String, Object>) config.remove("rope_parameters");
        Map<String, Object> scaling = new java.util.LinkedHashMap<>();
        scaling.put("type", "su");
        scaling.put("long_factor", rp.get("long_factor"));
        scaling.put("short_factor", rp.get("short_factor"));
        config.put("rope_scaling", scaling);
        config.put("rope_theta", rp.get("rope_theta"));
        assertEquals(0.75, ((Number) config.get("partial_rotary_factor")).doubleValue());
        Files.writeString(cfg, dev.ember.engine.util.Json.write(config));
        try (HfCheckpoint c = HfCheckpoint.open(d)) {
            assertEquals(12L, c.metadata().get("phi3.rope.dimension_count"));
        }
        HfParityTest.logitsMatch(HfFixture.load("phi3"), d, HfParityTest.TOLERANCE);
    }

    @Test
    void phi3UnsupportedRopeTypeNamesItself() throws IOException {
        Path d = copy("phi3");
        edit(d, "\"longrope\"", "\"dynamic\"");
        assertMessage(d, "unsupported rope_type 'dynamic'", "Phi-3");
    }

    /**
     * The two phi3 fixtures cover both LongRoPE factor sets, each where transformers uses it for
     * every logit (phi3: original context 8 below every sequence; phi3_short: 512, above every
     * position reached), and Ember picks the same set from its context (512) against the original.
     */
    @Test
    void phi3FixturesSelectTheFactorSetTransformersUses() {
        for (String arch : java.util.List.of("phi3", "phi3_short")) {
            try (LoadedModel lm = LoadedModel.open(HfFixture.load(arch).model(), 1)) {
                String set = arch.equals("phi3") ? "long factors" : "short factors";
                assertTrue(lm.model().describe().contains("longrope (" + set), arch + ": " + lm.model().describe());
            }
        }
        // The set follows the context the engine runs at, as llama.cpp's n_ctx: phi3's original context is 8.
        for (int context : new int[] {8, 9}) {
            try (LoadedModel lm = LoadedModel.open(HfFixture.load("phi3").model(), 1, context)) {
                String set = context > 8 ? "long factors" : "short factors";
                assertTrue(lm.model().describe().contains("longrope (" + set), context + ": " + lm.model().describe());
            }
        }
        try (HfCheckpoint c = HfCheckpoint.open(HfFixture.load("phi3_short").model())) {
            assertEquals(512L, c.metadata().get("phi3.rope.scaling.original_context_length"));
            assertEquals((double) 1.15f, c.metadata().get("phi3.rope.scaling.attn_factor"), "the config's attention_factor, not the default 1");
        }
    }

    /**
     * gpt-oss's MXFP4 experts as the Hub stores them stay MXFP4 (17 bytes per 32 weights), and
     * every weight equals transformers' reading of the blocks (convert_moe_packed_tensors: low
     * nibble first, scale 2^(s - 127)), gate from the even rows of gate_up, up from the odd ones.
     */
    @Test
    void gptOssHubMxfp4ExpertsStayMxfp4() {
        Path dir = HfFixture.load("gpt_oss_mxfp4").model();
        Map<String, SafetensorsWriter.T> hub = SafetensorsWriter.read(dir.resolve("model.safetensors"));
        try (HfCheckpoint c = HfCheckpoint.open(dir)) {
            for (int layer = 0; layer < 2; layer++) {
                String hf = "model.layers." + layer + ".mlp.experts.";
                assertFalse(c.plans().keySet().stream().anyMatch(n -> n.contains("scales")), "scales are read with their blocks");
                checkMxfp4(c, "blk." + layer + ".ffn_gate_exps.weight", hub.get(hf + "gate_up_proj_blocks"), hub.get(hf + "gate_up_proj_scales"), 2, 0);
                checkMxfp4(c, "blk." + layer + ".ffn_up_exps.weight", hub.get(hf + "gate_up_proj_blocks"), hub.get(hf + "gate_up_proj_scales"), 2, 1);
                checkMxfp4(c, "blk." + layer + ".ffn_down_exps.weight", hub.get(hf + "down_proj_blocks"), hub.get(hf + "down_proj_scales"), 1, 0);
            }
        }
    }

    private static void checkMxfp4(HfCheckpoint c, String name, SafetensorsWriter.T blocks, SafetensorsWriter.T scales, int parts, int part) {
        final float[] fp4 = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6, -0f, -0.5f, -1, -1.5f, -2, -3, -4, -6};
        long[] s = blocks.shape(); // [E, parts * R, G, 16]
        int experts = (int) s[0], rows = (int) (s[1] / parts), groups = (int) s[2], cols = 32 * groups;
        Tensor t = c.tensor(name);
        assertEquals(TensorType.MXFP4, t.type(), name);
        assertArrayEquals(new long[] {cols, rows, experts}, t.shape(), name);
        assertEquals((long) experts * rows * groups * 17, t.data().byteSize(), name + ": 17 bytes per 32 weights");
        float[] row = new float[cols];
        for (int x = 0; x < experts; x++) {
            WeightMatrix m = c.expert(name, x);
            for (int r = 0; r < rows; r++) {
                Dequant.row(m, r, row, 0);
                long hubRow = (long) x * s[1] + (long) r * parts + part;
                for (int i = 0; i < cols; i++) {
                    int b = blocks.data()[(int) (hubRow * groups * 16 + i / 2)] & 0xFF;
                    int code = (i % 2 == 0 ? b : b >>> 4) & 0xF;
                    float want = Math.scalb(fp4[code], (scales.data()[(int) (hubRow * groups + i / 32)] & 0xFF) - 127);
                    assertEquals(want, row[i], name + " expert " + x + " row " + r + " col " + i);
                }
            }
        }
    }

    // ---- errors -------------------------------------------------------------------------

    @Test
    void gptOssMalformedMxfp4BlocksOrScales() throws IOException {
        String blocks = "model.layers.1.mlp.experts.down_proj_blocks", scales = "model.layers.1.mlp.experts.down_proj_scales";
        assertMxfp4Message(m -> m.remove(scales), "MXFP4 blocks '" + blocks + "' have no scales '" + scales + "'");
        assertMxfp4Message(m -> m.put(scales, reshaped(m.get(scales), 4, 64, 2, 1)), scales, "[4, 64, 2, 1]", "need U8 (E8M0) [4, 64, 2]", "one scale per 32-element block");
        assertMxfp4Message(m -> m.put(scales, new SafetensorsWriter.T("F32", new long[] {4, 64, 2}, new byte[4 * 512])), scales, "F32");
        assertMxfp4Message(m -> m.put(blocks, reshaped(m.get(blocks), 4, 64, 4, 8)), blocks, "[4, 64, 4, 8]", "16-byte block");
        assertMxfp4Message(m -> m.put(blocks, reshaped(m.get(blocks), 2, 128, 2, 16)), blocks, "expected [4 experts");
        assertMxfp4Message(m -> m.put(blocks, new SafetensorsWriter.T("I8", m.get(blocks).shape(), m.get(blocks).data())), blocks, "I8", "U8");
        Path d = copy("gpt_oss_mxfp4");
        edit(d, "\"mxfp4\"", "\"fp8\"");
        assertMessage(d, "quant_method \"fp8\"");
        assertMxfp4Message(m -> {
            m.put(blocks, reshaped(m.get(blocks), 4, 128, 1, 16));
            m.put(scales, reshaped(m.get(scales), 4, 128, 1));
        }, blocks, "hold 128 x 32 matrices", "needs 64 x 64");
        Path e = copy("gpt_oss_mxfp4");
        edit(e, "\"intermediate_size\": 64", "\"intermediate_size\": 32");
        assertMessage(e, "MXFP4 blocks 'model.layers.", "hold 64 x 64 matrices", "(hidden_size 64, intermediate_size 32)");
    }

    private void assertMxfp4Message(java.util.function.Consumer<Map<String, SafetensorsWriter.T>> damage, String... parts) throws IOException {
        Path d = copy("gpt_oss_mxfp4");
        Path file = d.resolve("model.safetensors");
        Map<String, SafetensorsWriter.T> tensors = SafetensorsWriter.read(file);
        damage.accept(tensors);
        SafetensorsWriter.write(file, tensors);
        assertMessage(d, parts);
    }

    /** The same bytes under another shape (the element count is kept). */
    private static SafetensorsWriter.T reshaped(SafetensorsWriter.T t, long... shape) {
        return new SafetensorsWriter.T(t.dtype(), shape, t.data());
    }

    @Test
    void missingConfig() throws IOException {
        Path d = copy("qwen3");
        Files.delete(d.resolve("config.json"));
        assertMessage(d, "no config.json");
    }

    @Test
    void unsupportedArchitecture() throws IOException {
        Path d = copy("qwen3");
        edit(d, "\"Qwen3ForCausalLM\"", "\"GPT2LMHeadModel\"");
        assertMessage(d, "unsupported architecture 'GPT2LMHeadModel'", "Qwen3ForCausalLM");
    }

    @Test
    void missingOrMistypedKeys() throws IOException {
        Path d = copy("qwen3");
        edit(d, "\"num_hidden_layers\"", "\"num_hidden_layerz\"");
        assertMessage(d, "missing key 'num_hidden_layers'", "config.json");
        Path e = copy("qwen3");
        edit(e, "\"hidden_size\": 64", "\"hidden_size\": \"64\"");
        assertMessage(e, "key 'hidden_size' should be an integer");
        Path f = copy("qwen3");
        edit(f, "\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3");
        assertMessage(f, "num_key_value_heads", "must divide");
    }

    @Test
    void configOfAnotherArchitecture() throws IOException {
        Path d = copy("qwen3");
        edit(d, "\"Qwen3ForCausalLM\"", "\"LlamaForCausalLM\"");
        assertMessage(d, "_norm.weight", "has no GGUF name in Ember's llama table");
    }

    @Test
    void missingShard() throws IOException {
        Path d = copy("mixtral");
        Files.delete(d.resolve("model-00003-of-00006.safetensors"));
        assertMessage(d, "1 of 6 shards", "model-00003-of-00006.safetensors", "download every shard");
    }

    @Test
    void truncatedShard() throws IOException {
        Path d = copy("qwen3");
        try (FileChannel ch = FileChannel.open(d.resolve("model.safetensors"), StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 1000);
        }
        assertMessage(d, "model.safetensors", "truncated");
    }

    @Test
    void noWeights() throws IOException {
        Path d = copy("qwen3");
        Files.delete(d.resolve("model.safetensors"));
        assertMessage(d, "no model.safetensors");
    }

    private static SafetensorsFile.Entry entry(HfCheckpoint c, String hfName) {
        try (Stream<Path> files = Files.list(c.directory())) {
            for (Path p : files.filter(f -> f.toString().endsWith(".safetensors")).toList()) {
                SafetensorsFile.Entry e = SafetensorsFile.open(p, java.lang.foreign.Arena.ofAuto()).entries().get(hfName);
                if (e != null) {
                    // the test's own mapping: find the checkpoint's view of the same bytes through a plan instead
                    return new SafetensorsFile.Entry(e.name(), e.dtype(), e.shape(), viewIn(c, e), e.file());
                }
            }
        } catch (IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
        throw new AssertionError("no " + hfName);
    }

    /** The checkpoint's mapping of a stored tensor: found by value among the plans' pieces. */
    private static java.lang.foreign.MemorySegment viewIn(HfCheckpoint c, SafetensorsFile.Entry e) {
        byte[] want = e.data().toArray(ValueLayout.JAVA_BYTE);
        for (TensorPlan p : c.plans().values()) {
            if (p instanceof TensorPlan.Pieces pieces) {
                for (var part : pieces.parts()) {
                    if (part.byteSize() == want.length && java.util.Arrays.equals(part.toArray(ValueLayout.JAVA_BYTE), want)) return part;
                }
            }
        }
        return e.data(); // rearranged tensors (k/v_b, permuted q/k): compare by value
    }

    private static float f32(java.lang.foreign.MemorySegment s, long index) {
        return s.get(Dequant.LE_FLOAT, index * 4);
    }

    private Path copy(String arch) throws IOException {
        Path src = HfFixture.load(arch).model();
        Path dst = Files.createDirectories(tmp.resolve(arch + "-" + System.nanoTime()));
        try (Stream<Path> s = Files.list(src)) {
            for (Path p : s.toList()) Files.copy(p, dst.resolve(p.getFileName()));
        }
        return dst;
    }

    private static void edit(Path dir, String from, String to) throws IOException {
        Path cfg = dir.resolve("config.json");
        String s = Files.readString(cfg);
        assertTrue(s.contains(from), "fixture config has " + from);
        Files.writeString(cfg, s.replace(from, to));
    }

    private static void assertMessage(Path dir, String... parts) {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> LoadedModel.open(dir, 1).close());
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention '" + p + "'");
    }
}
