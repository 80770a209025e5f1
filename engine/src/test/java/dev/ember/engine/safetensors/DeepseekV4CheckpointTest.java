package dev.ember.engine.safetensors;

import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.runtime.LoadedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DeepSeek-V4 HF directories: transformers' save format (the fixtures' {@code model/}),
 * DeepSeek's own names and config keys, and transformers' module names with fused experts all
 * translate to exactly the reference GGUF (llama.cpp's names and keys) and give transformers'
 * logits; broken configs fail with messages that say what to fix.
 */
class DeepseekV4CheckpointTest {
    static final double TOLERANCE = 1e-4;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-all-kinds", "tiny-real-ratios"})
    void transformersDirectoryMatchesTransformers(String name) {
        V4Fixture f = V4Fixture.load(name);
        f.assertSameAsReferenceGguf(f.model());
        double worst = f.worstLogitError(f.model(), f.sequences());
        System.out.printf("deepseek_v4 %s from the HF directory: max |logit - transformers| = %.2e%n", name, worst);
        assertTrue(worst <= TOLERANCE, name + ": max |logit diff| " + worst);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-all-kinds", "tiny-real-ratios"})
    void officialNamesAndConfigKeys(String name) throws IOException {
        V4Fixture f = V4Fixture.load(name);
        Path dir = V4Fixture.write(tmp.resolve("official"), officialConfig(f.config()), officialNames(f.tensors()));
        f.assertSameAsReferenceGguf(dir);
        double worst = f.worstLogitError(dir, List.of(f.sequence(64)));
        assertTrue(worst <= TOLERANCE, name + " (official names): max |logit diff| " + worst);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-all-kinds", "tiny-real-ratios"})
    void transformersModuleNamesWithFusedExperts(String name) throws IOException {
        V4Fixture f = V4Fixture.load(name);
        Map<String, Object> cfg = f.config();
        int experts = ((Number) cfg.get("n_routed_experts")).intValue();
        Path dir = V4Fixture.write(tmp.resolve("modules"), cfg, moduleNames(f.tensors(), experts));
        f.assertSameAsReferenceGguf(dir);
        try (HfCheckpoint c = HfCheckpoint.open(dir)) {
            for (String proj : List.of("gate", "up", "down")) {
                TensorPlan p = c.plans().get("blk.1.ffn_" + proj + "_exps.weight");
                long n = p.shape()[1];
                for (int e = 0; e < experts; e++) {
                    assertNotNull(p.contiguousRows(e * n, n), proj + " expert " + e + " is a view of the fused tensor, not a copy");
                }
            }
        }
        double worst = f.worstLogitError(dir, List.of(f.sequence(64)));
        assertTrue(worst <= TOLERANCE, name + " (module names, fused experts): max |logit diff| " + worst);
    }

    // ---- errors -------------------------------------------------------------------------

    @Test
    void missingLayerSchedule() throws IOException {
        assertConfigError(c -> c.remove("layer_types"), "missing key 'layer_types' or 'compress_ratios'");
    }

    @Test
    void unknownLayerType() throws IOException {
        assertConfigError(c -> ((List<Object>) c.get("layer_types")).set(1, "full_attention"),
                "layer_types", "entry 1 is \"full_attention\"", "sliding_attention");
    }

    @Test
    void unknownOrMisplacedMlpLayerType() throws IOException {
        assertConfigError(c -> ((List<Object>) c.get("mlp_layer_types")).set(2, "dense"), "mlp_layer_types", "entry 2 is \"dense\"");
        assertConfigError(c -> ((List<Object>) c.get("mlp_layer_types")).set(2, "hash_moe"), "hash_moe layers must come first");
    }

    @Test
    void badRatiosAndMissingSizes() throws IOException {
        assertConfigError(c -> c.put("compress_rates", Map.of("compressed_sparse_attention", 8L, "heavily_compressed_attention", 8L)),
                "compress_rates", "CSA layers must compress by 4");
        assertConfigError(c -> ((List<Object>) c.get("layer_types")).subList(2, 4).clear(), "layer_types", "has 2 entries for num_hidden_layers = 4");
        assertConfigError(c -> c.remove("o_lora_rank"), "missing key 'o_lora_rank'");
        assertConfigError(c -> c.put("scoring_func", "softmax"), "scoring_func", "sqrtsoftplus");
    }

    @Test
    void missingAndUnknownTensors() throws IOException {
        V4Fixture f = V4Fixture.load("tiny-all-kinds");
        Map<String, SafetensorsWriter.T> t = f.tensors();
        t.remove("model.layers.1.attn.compressor.ape");
        Path missing = V4Fixture.write(tmp.resolve("missing"), f.config(), t);
        assertMessage(missing, "missing tensor 'blk.1.attn_compressor_ape.weight'");

        t = f.tensors();
        t.put("model.layers.0.attn.rotary.weight", t.get("model.layers.0.attn_norm.weight"));
        Path unknown = V4Fixture.write(tmp.resolve("unknown"), f.config(), t);
        assertMessage(unknown, "'model.layers.0.attn.rotary.weight' has no GGUF name", "deepseek4");
    }

    @SuppressWarnings("unchecked")
    private void assertConfigError(Consumer<Map<String, Object>> edit, String... parts) throws IOException {
        V4Fixture f = V4Fixture.load("tiny-all-kinds");
        Map<String, Object> cfg = f.config();
        cfg.replaceAll((k, v) -> v instanceof List<?> l ? new ArrayList<>((List<Object>) l) : v);
        edit.accept(cfg);
        Path dir = V4Fixture.write(tmp.resolve("bad-" + System.nanoTime()), cfg, f.tensors());
        assertMessage(dir, parts);
    }

    private static void assertMessage(Path dir, String... parts) {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> LoadedModel.open(dir, 1).close());
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention '" + p + "'");
    }

    // ---- the other naming schemes, derived here from transformers' save format -----------

    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");

    /**
     * DeepSeek's released names: no {@code model.} prefix, {@code embed}/{@code head}/{@code norm},
     * flat {@code hc_head_*}, the KV norm as {@code attn.kv_norm}, tid2eid as I32, plus an MTP
     * block that must be ignored.
     */
    static Map<String, SafetensorsWriter.T> officialNames(Map<String, SafetensorsWriter.T> saved) {
        Map<String, SafetensorsWriter.T> out = new LinkedHashMap<>();
        saved.forEach((name, t) -> {
            Matcher m = LAYER.matcher(name);
            String renamed;
            if (m.matches()) {
                String rest = m.group(2).equals("attn.norm.weight") ? "attn.kv_norm.weight" : m.group(2);
                renamed = "layers." + m.group(1) + "." + rest;
            } else {
                renamed = switch (name) {
                    case "model.embed_tokens.weight" -> "embed.weight";
                    case "model.norm.weight" -> "norm.weight";
                    case "model.hc_head.hc_fn" -> "hc_head_fn";
                    case "model.hc_head.hc_base" -> "hc_head_base";
                    case "model.hc_head.hc_scale" -> "hc_head_scale";
                    default -> name;
                };
            }
            if (renamed.endsWith(".tid2eid")) t = toI32(t);
            out.put(renamed, t);
        });
        out.put("mtp.0.enorm.weight", saved.get("model.norm.weight"));
        out.put("mtp.0.attn.wq_a.weight", saved.get("model.layers.0.attn.wq_a.weight"));
        return out;
    }

    /** The same configuration in DeepSeek's keys: per-layer compress_ratios (+ the MTP layer's), num_hash_layers, rope_scaling. */
    static Map<String, Object> officialConfig(Map<String, Object> cfg) {
        Map<String, Object> out = new LinkedHashMap<>(cfg);
        List<?> types = (List<?>) out.remove("layer_types");
        @SuppressWarnings("unchecked") Map<String, Object> rates = (Map<String, Object>) out.remove("compress_rates");
        List<Object> ratios = new ArrayList<>();
        for (Object t : types) ratios.add(t.equals("sliding_attention") ? 0L : rates.get(t));
        ratios.add(0L); // the MTP layer's entry
        out.put("compress_ratios", ratios);
        out.put("num_hash_layers", ((List<?>) out.remove("mlp_layer_types")).stream().filter("hash_moe"::equals).count());
        out.remove("partial_rotary_factor");
        @SuppressWarnings("unchecked") Map<String, Object> rp = (Map<String, Object>) out.remove("rope_parameters");
        @SuppressWarnings("unchecked") Map<String, Object> compress = (Map<String, Object>) rp.get("compress");
        out.put("rope_scaling", Map.of("type", "yarn", "factor", compress.get("factor"),
                "original_max_position_embeddings", compress.get("original_max_position_embeddings"),
                "beta_fast", compress.get("beta_fast"), "beta_slow", compress.get("beta_slow")));
        out.put("compress_rope_theta", compress.get("rope_theta"));
        out.put("rope_theta", 10000.0);
        return out;
    }

    /** transformers' renames from DeepSeek's names to its modules, in its order (conversion_mapping's deepseek_v4). */
    private static final String[][] MODULE_RENAMES = {
            {"\\.attn\\.", ".self_attn."}, {"\\.ffn\\.", ".mlp."}, {"\\.indexer\\.compressor\\.", ".compressor.indexer."},
            {"\\.attn_norm\\.", ".input_layernorm."}, {"\\.ffn_norm\\.", ".post_attention_layernorm."},
            {"\\.hc_attn_fn$", ".attn_hc.fn"}, {"\\.hc_attn_base$", ".attn_hc.base"}, {"\\.hc_attn_scale$", ".attn_hc.scale"},
            {"\\.hc_ffn_fn$", ".ffn_hc.fn"}, {"\\.hc_ffn_base$", ".ffn_hc.base"}, {"\\.hc_ffn_scale$", ".ffn_hc.scale"},
            {"\\.attn_sink$", ".sinks"}, {"\\.indexer\\.weights_proj\\.", ".compressor.indexer.scorer.weights_proj."},
            {"\\.indexer\\.wq_b\\.", ".compressor.indexer.q_b_proj."}, {"\\.norm\\.", ".kv_norm."}, {"\\.ape$", ".position_bias"},
            {"\\.wq_a\\.", ".q_a_proj."}, {"\\.self_attn\\.wq_b\\.", ".self_attn.q_b_proj."}, {"\\.wkv\\.", ".kv_proj."},
            {"\\.wgate\\.", ".gate_proj."}, {"\\.wo_a\\.", ".o_a_proj."}, {"\\.wo_b\\.", ".o_b_proj."}, {"\\.q_norm\\.", ".q_a_norm."},
            {"\\.gate\\.bias$", ".gate.e_score_correction_bias"}, {"\\.shared_experts\\.w1\\.", ".shared_experts.gate_proj."},
            {"\\.shared_experts\\.w2\\.", ".shared_experts.down_proj."}, {"\\.shared_experts\\.w3\\.", ".shared_experts.up_proj."},
    };

    private static final Pattern EXPERT = Pattern.compile("model\\.layers\\.(\\d+)\\.ffn\\.experts\\.(\\d+)\\.(w[123])\\.weight");

    /** transformers' module names (its state_dict), with experts fused: gate_up_proj [E, 2I, D] (w1 rows, then w3), down_proj [E, D, I]. */
    static Map<String, SafetensorsWriter.T> moduleNames(Map<String, SafetensorsWriter.T> saved, int experts) {
        Map<String, SafetensorsWriter.T> out = new LinkedHashMap<>();
        Map<String, SafetensorsWriter.T[][]> byLayer = new LinkedHashMap<>();
        saved.forEach((name, t) -> {
            Matcher ex = EXPERT.matcher(name);
            if (ex.matches()) {
                int w = ex.group(3).charAt(1) - '1';
                byLayer.computeIfAbsent(ex.group(1), k -> new SafetensorsWriter.T[3][experts])[w][Integer.parseInt(ex.group(2))] = t;
                return;
            }
            String renamed = name.equals("head.weight") ? "lm_head.weight" : name;
            if (LAYER.matcher(name).matches()) {
                for (String[] r : MODULE_RENAMES) renamed = renamed.replaceAll(r[0], r[1]);
            }
            out.put(renamed, t);
        });
        byLayer.forEach((layer, w) -> {
            String p = "model.layers." + layer + ".mlp.experts.";
            long[] s1 = w[0][0].shape(); // [I, D]
            ByteBuffer gu = ByteBuffer.allocate(2 * experts * w[0][0].data().length);
            ByteBuffer down = ByteBuffer.allocate(experts * w[1][0].data().length);
            for (int e = 0; e < experts; e++) {
                gu.put(w[0][e].data()).put(w[2][e].data());
                down.put(w[1][e].data());
            }
            out.put(p + "gate_up_proj", new SafetensorsWriter.T("F32", new long[] {experts, 2 * s1[0], s1[1]}, gu.array()));
            out.put(p + "down_proj", new SafetensorsWriter.T("F32", new long[] {experts, s1[1], s1[0]}, down.array()));
        });
        return out;
    }

    static SafetensorsWriter.T toI32(SafetensorsWriter.T t) {
        if (!t.dtype().equals("I64")) throw new IllegalStateException(t.dtype());
        ByteBuffer in = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(t.data().length / 2).order(ByteOrder.LITTLE_ENDIAN);
        while (in.hasRemaining()) out.putInt(Math.toIntExact(in.getLong()));
        return new SafetensorsWriter.T("I32", t.shape(), out.array());
    }
}
