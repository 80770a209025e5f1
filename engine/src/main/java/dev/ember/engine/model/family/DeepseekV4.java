package dev.ember.engine.model.family;

import dev.ember.engine.gguf.GgufWriter;
import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.model.v4.DeepseekV4Loader;
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.synth.Preset;

import java.util.List;
import java.util.Map;

/**
 * DeepSeek-V4 (GGUF {@code deepseek4}): mHC streams, K=V attention over a sliding window plus
 * compressed entries (CSA with a lightning indexer, HCA), and a sqrt-softplus / hash-routed MoE
 * with clamped SwiGLU. Its parts live in {@code model.v4}.
 */
final class DeepseekV4 implements ModelFamily {
    @Override public List<String> architectures() { return List.of("deepseek4"); }

    @Override public List<ArchTable> hfTables() { return List.of(HF); }

    @Override public List<Preset> synthPresets() { return PRESETS; }

    @Override
    public Model load(WeightSource src, Compute compute) {
        return DeepseekV4Loader.load(src, compute);
    }

    // ---- Hugging Face checkpoints (HfCheckpoint, ember convert) ----

    /**
     * DeepSeek-V4, one row per GGUF name (after {@code blk.N.}) with every HF spelling of it after
     * the layer prefix: DeepSeek's own names (which transformers' save_pretrained writes back,
     * under {@code model.layers.N.}; it writes the KV norm as {@code attn.norm}), then the
     * transformers module names. Experts are per expert ({@code ffn.experts.E.w1/w3/w2}) or
     * fused ({@code mlp.experts.gate_up_proj} / {@code down_proj}, see {@link #HF}).
     */
    private static final String[][] DEEPSEEK4_NAMES = {
            {"attn_norm.weight", "attn_norm.weight", "input_layernorm.weight"},
            {"ffn_norm.weight", "ffn_norm.weight", "post_attention_layernorm.weight"},
            {"hc_attn_fn.weight", "hc_attn_fn", "attn_hc.fn"},
            {"hc_attn_base.weight", "hc_attn_base", "attn_hc.base"},
            {"hc_attn_scale.weight", "hc_attn_scale", "attn_hc.scale"},
            {"hc_ffn_fn.weight", "hc_ffn_fn", "ffn_hc.fn"},
            {"hc_ffn_base.weight", "hc_ffn_base", "ffn_hc.base"},
            {"hc_ffn_scale.weight", "hc_ffn_scale", "ffn_hc.scale"},
            {"attn_q_a.weight", "attn.wq_a.weight", "self_attn.q_a_proj.weight"},
            {"attn_q_a_norm.weight", "attn.q_norm.weight", "self_attn.q_a_norm.weight"},
            {"attn_q_b.weight", "attn.wq_b.weight", "self_attn.q_b_proj.weight"},
            {"attn_kv.weight", "attn.wkv.weight", "self_attn.kv_proj.weight"},
            {"attn_kv_a_norm.weight", "attn.kv_norm.weight", "self_attn.kv_norm.weight", "attn.norm.weight"},
            {"attn_output_a.weight", "attn.wo_a.weight", "self_attn.o_a_proj.weight"},
            {"attn_output_b.weight", "attn.wo_b.weight", "self_attn.o_b_proj.weight"},
            {"attn_sinks.weight", "attn.attn_sink", "self_attn.sinks"},
            {"attn_compressor_kv.weight", "attn.compressor.wkv.weight", "self_attn.compressor.kv_proj.weight"},
            {"attn_compressor_gate.weight", "attn.compressor.wgate.weight", "self_attn.compressor.gate_proj.weight"},
            {"attn_compressor_norm.weight", "attn.compressor.norm.weight", "self_attn.compressor.kv_norm.weight"},
            {"attn_compressor_ape.weight", "attn.compressor.ape", "self_attn.compressor.position_bias"},
            {"indexer.attn_q_b.weight", "attn.indexer.wq_b.weight", "self_attn.compressor.indexer.q_b_proj.weight"},
            {"indexer.proj.weight", "attn.indexer.weights_proj.weight", "self_attn.compressor.indexer.scorer.weights_proj.weight"},
            {"indexer_compressor_kv.weight", "attn.indexer.compressor.wkv.weight", "self_attn.compressor.indexer.kv_proj.weight"},
            {"indexer_compressor_gate.weight", "attn.indexer.compressor.wgate.weight", "self_attn.compressor.indexer.gate_proj.weight"},
            {"indexer_compressor_norm.weight", "attn.indexer.compressor.norm.weight", "self_attn.compressor.indexer.kv_norm.weight"},
            {"indexer_compressor_ape.weight", "attn.indexer.compressor.ape", "self_attn.compressor.indexer.position_bias"},
            {"ffn_gate_inp.weight", "ffn.gate.weight", "mlp.gate.weight"},
            {"exp_probs_b.bias", "ffn.gate.bias", "mlp.gate.e_score_correction_bias"},
            {"ffn_gate_tid2eid.weight", "ffn.gate.tid2eid", "mlp.gate.tid2eid"},
            {"ffn_gate_shexp.weight", "ffn.shared_experts.w1.weight", "mlp.shared_experts.gate_proj.weight"},
            {"ffn_up_shexp.weight", "ffn.shared_experts.w3.weight", "mlp.shared_experts.up_proj.weight"},
            {"ffn_down_shexp.weight", "ffn.shared_experts.w2.weight", "mlp.shared_experts.down_proj.weight"},
    };

    /** The same for the tensors outside the layers: DeepSeek's name, transformers' names. */
    private static final String[][] DEEPSEEK4_GLOBALS = {
            {"token_embd.weight", "embed.weight", "model.embed_tokens.weight"},
            {"output_norm.weight", "norm.weight", "model.norm.weight"},
            {"output.weight", "head.weight", "lm_head.weight"},
            {"output_hc_fn.weight", "hc_head_fn", "model.hc_head.hc_fn"},
            {"output_hc_base.weight", "hc_head_base", "model.hc_head.hc_base"},
            {"output_hc_scale.weight", "hc_head_scale", "model.hc_head.hc_scale"},
    };

    /**
     * DeepSeek-V4 as llama.cpp's {@code deepseek4}. DeepSeek's multi-token-prediction block
     * ({@code mtp.*}) is dropped, as transformers and llama.cpp's default conversion do.
     */
    static final ArchTable HF = ArchTable.of("deepseek4", List.of("DeepseekV4ForCausalLM"), DeepseekV4Keys::translate)
            .layers(ArchTable.spellings(DEEPSEEK4_NAMES)).experts("ffn.experts.", HfNames.MIXTRAL_EXPERTS)
            .globals(ArchTable.spellings(DEEPSEEK4_GLOBALS)).skip("mtp.")
            .fusedExperts(Map.of("mlp.experts.gate_up_proj", List.of("ffn_gate_exps.weight", "ffn_up_exps.weight"),
                    "mlp.experts.down_proj", List.of("ffn_down_exps.weight")))
            .build();

    // ---- synthetic models (ember synth) ----

    private static final List<Preset> PRESETS = List.of(
            // DeepSeek-V4 at about 0.5B active parameters with every mechanism on and V4's real ratios
            // (CSA 4, HCA 128, window 128): 2 sliding-window layers, then CSA and HCA alternating.
            new Preset("deepseek4-mini", "deepseek4", 1024, 16, 1 << 20, 10000, 1e-6, false, 0.02,
                    new SynthAttention(8, 512, 64, 512, 4, 512, 128, v4Ratios(16, 128), 16, 128, 512, 4),
                    new SynthFeedForward(32, 4, 512, 1, 2, 10f),
                    new Preset.Vocab(129280, "deepseek-v3", 128000)),
            new Preset("deepseek4-tiny", "deepseek4", 64, 6, 4096, 10000, 1e-6, false, 0.05,
                    new SynthAttention(4, 64, 16, 32, 2, 32, 16, v4Ratios(6, 16), 4, 32, 4, 4),
                    new SynthFeedForward(8, 2, 64, 1, 1, 10f),
                    new Preset.Vocab(512, "qwen2", 509)));

    /** V4-Flash's layer pattern: two sliding-window layers, then CSA (4) and HCA alternating. */
    private static int[] v4Ratios(int layers, int hca) {
        int[] r = new int[layers];
        for (int i = 2; i < layers; i++) r[i] = i % 2 == 0 ? 4 : hca;
        return r;
    }

    /**
     * DeepSeek-V4 attention with its mHC parameters: K=V single-head attention with sinks, grouped
     * output, per-layer kind from {@code ratios} (0 sliding window, 4 CSA with indexer, else HCA).
     */
    record SynthAttention(int heads, int headDim, int ropeDim, int qRank, int groups, int oRank, int window, int[] ratios,
                          int indexHeads, int indexDim, int indexTopK, int streams) implements Preset.Attention {
        @Override
        public void tensors(Preset p, int layer, List<Preset.TensorSpec> out) {
            String b = "blk." + layer + ".";
            long d = p.hidden();
            out.add(Preset.TensorSpec.norm(b + "attn_norm.weight", d));
            out.add(new Preset.TensorSpec(b + "attn_sinks.weight", new long[]{heads}, Preset.Init.ROUTER));
            out.add(Preset.TensorSpec.weight(b + "attn_q_a.weight", d, qRank));
            out.add(Preset.TensorSpec.norm(b + "attn_q_a_norm.weight", qRank));
            out.add(Preset.TensorSpec.weight(b + "attn_q_b.weight", qRank, (long) heads * headDim));
            out.add(Preset.TensorSpec.weight(b + "attn_kv.weight", d, headDim));
            out.add(Preset.TensorSpec.norm(b + "attn_kv_a_norm.weight", headDim));
            out.add(Preset.TensorSpec.weight(b + "attn_output_a.weight", (long) heads * headDim / groups, (long) groups * oRank));
            out.add(Preset.TensorSpec.weight(b + "attn_output_b.weight", (long) groups * oRank, d));
            hyperConnection(out, b + "hc_attn_", d);
            hyperConnection(out, b + "hc_ffn_", d);
            int ratio = ratios[layer];
            if (ratio == 0) return;
            boolean csa = ratio == 4;
            compressor(out, b + "attn_compressor_", d, csa ? 2L * headDim : headDim, headDim, ratio);
            if (csa) {
                compressor(out, b + "indexer_compressor_", d, 2L * indexDim, indexDim, ratio);
                out.add(Preset.TensorSpec.weight(b + "indexer.attn_q_b.weight", qRank, (long) indexHeads * indexDim));
                out.add(Preset.TensorSpec.weight(b + "indexer.proj.weight", d, indexHeads));
            }
        }

        private void hyperConnection(List<Preset.TensorSpec> out, String prefix, long d) {
            long mixes = (2L + streams) * streams;
            out.add(Preset.TensorSpec.router(prefix + "fn.weight", streams * d, mixes));
            out.add(new Preset.TensorSpec(prefix + "base.weight", new long[]{mixes}, Preset.Init.ROUTER));
            out.add(Preset.TensorSpec.norm(prefix + "scale.weight", 3));
        }

        private static void compressor(List<Preset.TensorSpec> out, String prefix, long d, long projected, long width, int ratio) {
            out.add(Preset.TensorSpec.weight(prefix + "kv.weight", d, projected));
            out.add(Preset.TensorSpec.weight(prefix + "gate.weight", d, projected));
            out.add(Preset.TensorSpec.router(prefix + "ape.weight", projected, ratio));
            out.add(Preset.TensorSpec.norm(prefix + "norm.weight", width));
        }

        /** The model-level mHC head. */
        @Override
        public void trailingTensors(Preset p, List<Preset.TensorSpec> out) {
            out.add(Preset.TensorSpec.router("output_hc_fn.weight", (long) streams * p.hidden(), streams));
            out.add(new Preset.TensorSpec("output_hc_base.weight", new long[]{streams}, Preset.Init.ROUTER));
            out.add(Preset.TensorSpec.norm("output_hc_scale.weight", 1));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            String a = p.architecture() + ".";
            w.putUInt32(a + "attention.head_count", heads);
            w.putUInt32(a + "attention.head_count_kv", 1);
            w.putUInt32(a + "attention.key_length", headDim);
            w.putUInt32(a + "attention.value_length", headDim);
            w.putUInt32(a + "attention.q_lora_rank", qRank);
            w.putUInt32(a + "attention.sliding_window", window);
            w.putUInt32(a + "rope.dimension_count", ropeDim);
            w.putString(a + "rope.scaling.type", "yarn");
            w.putFloat32(a + "rope.scaling.factor", 16f);
            w.putUInt32(a + "rope.scaling.original_context_length", 65536);
            w.putFloat32(a + "attention.compress_rope_freq_base", 160000f);
            w.putInt32Array(a + "attention.compress_ratios", ratios);
            w.putUInt32(a + "attention.output_group_count", groups);
            w.putUInt32(a + "attention.output_lora_rank", oRank);
            w.putUInt32(a + "attention.indexer.head_count", indexHeads);
            w.putUInt32(a + "attention.indexer.key_length", indexDim);
            w.putUInt32(a + "attention.indexer.top_k", indexTopK);
            w.putUInt32(a + "hyper_connection.count", streams);
            w.putUInt32(a + "hyper_connection.sinkhorn_iterations", 20);
            w.putFloat32(a + "hyper_connection.epsilon", 1e-6f);
        }
    }

    /** DeepSeek-V4's MoE: sqrt-softplus routing with a selection bias, hash routing in the first layers, clamped SwiGLU. */
    record SynthFeedForward(int experts, int used, int expertSize, int shared, int hashLayers, float clamp) implements Preset.FeedForward {
        @Override
        public void tensors(Preset p, int layer, List<Preset.TensorSpec> out) {
            String b = "blk." + layer + ".";
            out.add(Preset.TensorSpec.norm(b + "ffn_norm.weight", p.hidden()));
            out.add(Preset.TensorSpec.router(b + "ffn_gate_inp.weight", p.hidden(), experts));
            if (layer < hashLayers) out.add(new Preset.TensorSpec(b + "ffn_gate_tid2eid.weight", new long[]{used, p.vocab().size()}, Preset.Init.COMPUTED_I32, this::expertIds));
            else out.add(new Preset.TensorSpec(b + "exp_probs_b.bias", new long[]{experts}, Preset.Init.ROUTER));
            out.add(Preset.TensorSpec.experts(b + "ffn_gate_exps.weight", p.hidden(), expertSize, experts));
            out.add(Preset.TensorSpec.experts(b + "ffn_up_exps.weight", p.hidden(), expertSize, experts));
            out.add(Preset.TensorSpec.experts(b + "ffn_down_exps.weight", expertSize, p.hidden(), experts));
            for (int s = 0; s < shared; s++) {
                out.add(Preset.TensorSpec.weight(b + "ffn_gate_shexp.weight", p.hidden(), expertSize));
                out.add(Preset.TensorSpec.weight(b + "ffn_up_shexp.weight", p.hidden(), expertSize));
                out.add(Preset.TensorSpec.weight(b + "ffn_down_shexp.weight", expertSize, p.hidden()));
            }
        }

        /** The hash-routing table: row = token, column = choice, distinct experts spread evenly over the table. */
        private void expertIds(long first, int count, float[] out) {
            for (int r = 0; r < count; r++) {
                long token = first + r;
                for (int j = 0; j < used; j++) out[r * used + j] = (float) ((token + (long) j * (experts / used)) % experts);
            }
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            String a = p.architecture() + ".";
            w.putUInt32(a + "expert_feed_forward_length", expertSize);
            w.putUInt32(a + "expert_count", experts);
            w.putUInt32(a + "expert_used_count", used);
            w.putUInt32(a + "expert_shared_count", shared);
            w.putUInt32(a + "hash_layer_count", hashLayers);
            w.putUInt32(a + "expert_gating_func", 4);
            w.putBool(a + "expert_weights_norm", true);
            w.putFloat32(a + "expert_weights_scale", 1.5f);
            float[] clamps = new float[p.layers()];
            java.util.Arrays.fill(clamps, clamp);
            w.putFloat32Array(a + "swiglu_clamp_exp", clamps);
        }
    }
}
