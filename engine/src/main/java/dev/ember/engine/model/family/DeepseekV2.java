package dev.ember.engine.model.family;

import dev.ember.engine.gguf.GgufWriter;
import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Decoder;
import dev.ember.engine.model.DecoderBlock;
import dev.ember.engine.model.DenseConfigs;
import dev.ember.engine.model.ExpertRouter;
import dev.ember.engine.model.FeedForwards;
import dev.ember.engine.model.LatentAttention;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelConfig;
import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.model.ModelParams;
import dev.ember.engine.model.Rope;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.RopeScaling;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.model.Weights;
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.safetensors.CommonKeys;
import dev.ember.engine.safetensors.GgufMetadata;
import dev.ember.engine.safetensors.HfConfig;
import dev.ember.engine.synth.Preset;
import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.tensor.WeightMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * DeepSeek V2 and V3 (GGUF {@code deepseek2}): multi-head latent attention with optional
 * q-LoRA and a decoupled RoPE key (adjacent-pair layout, YaRN), and a MoE with shared experts
 * after {@code leading_dense_block_count} dense layers. V2 routes by softmax (optionally limited
 * to the best groups by their top score); V3 by sigmoid plus a selection bias, groups ranked by
 * the sum of their two best scores, weights renormalized and scaled.
 */
final class DeepseekV2 implements ModelFamily {
    @Override public List<String> architectures() { return List.of("deepseek2"); }

    @Override public List<ArchTable> hfTables() { return List.of(HF); }

    @Override public List<Preset> synthPresets() { return PRESETS; }

    @Override
    public Model load(WeightSource src, Compute compute) {
        ModelParams p = new ModelParams(src);
        Weights w = new Weights(src, compute.kernels());
        int dim = p.integer("embedding_length");
        int heads = p.integer("attention.head_count");
        int kvRank = p.integer("attention.kv_lora_rank");
        int qRank = p.integer("attention.q_lora_rank", 0);
        int ropeDim = p.integer("rope.dimension_count");
        int qkDim = p.integer("attention.key_length_mla", p.integer("attention.key_length"));
        int vDim = p.integer("attention.value_length_mla", p.integer("attention.value_length"));
        int nope = qkDim - ropeDim;
        if (nope <= 0) throw new ModelLoadException(src.origin() + ": key length " + qkDim + " must exceed the rope dimension " + ropeDim);
        float eps = (float) p.real("attention.layer_norm_rms_epsilon", 1e-6);
        RopeScaling scaling = ropeScaling(p);
        int vocab = src.tensor("token_embd.weight").rows();
        int ffn = p.integer("feed_forward_length", p.integer("expert_feed_forward_length"));
        ModelConfig c = new ModelConfig("deepseek2", vocab, dim, p.integer("block_count"), heads, heads, qkDim, vDim, ffn, eps,
                p.integer("context_length", 4096), p.real("rope.freq_base", 10000.0), ropeDim, RopeLayout.NORMAL, scaling);
        Rope rope = new Rope(ropeDim, c.ropeTheta(), RopeLayout.NORMAL, scaling, null);
        float scale = (float) (1.0 / Math.sqrt(qkDim));
        double logMul = p.real("rope.scaling.yarn_log_multiplier", 0.0);
        if (scaling.type() == RopeScaling.Type.YARN && scaling.factor() > 1 && logMul != 0) {
            // YaRN's attention temperature, mscale_all_dim's share: the softmax scale gets mscale².
            double mscale = 1.0 + logMul * Math.log(scaling.factor());
            scale *= (float) (mscale * mscale);
        }
        FeedForwards.RouterSpec routing = routerSpec(p);
        DecoderBlock[] blocks = new DecoderBlock[c.layers()];
        for (int i = 0; i < c.layers(); i++) {
            String b = "blk." + i + ".";
            WeightMatrix[] kAbsorb = new WeightMatrix[heads];
            WeightMatrix[] vUp = new WeightMatrix[heads];
            upProjections(w, b, heads, nope, vDim, kvRank, kAbsorb, vUp);
            boolean qLora = qRank > 0 || w.has(b + "attn_q_a.weight");
            LatentAttention attention = new LatentAttention(
                    qLora ? null : w.matrix(b + "attn_q.weight", heads * qkDim, dim),
                    qLora ? w.matrix(b + "attn_q_a.weight") : null,
                    qLora ? w.rmsNorm(b + "attn_q_a_norm.weight", w.matrix(b + "attn_q_a.weight").rows(), eps) : null,
                    qLora ? w.matrix(b + "attn_q_b.weight") : null,
                    w.matrix(b + "attn_kv_a_mqa.weight", kvRank + ropeDim, dim),
                    w.rmsNorm(b + "attn_kv_a_norm.weight", kvRank, eps),
                    kAbsorb, vUp, w.matrix(b + "attn_output.weight", dim, heads * vDim), rope,
                    heads, nope, ropeDim, vDim, kvRank, scale);
            blocks[i] = new DecoderBlock(w.rmsNorm(b + "attn_norm.weight", dim, eps), attention,
                    w.rmsNorm(b + "ffn_norm.weight", dim, eps), FeedForwards.forLayer(w, c, i, routing));
        }
        WeightMatrix output = w.has("output.weight") ? w.matrix("output.weight", vocab, dim) : w.matrix("token_embd.weight");
        String summary = Summaries.of(c, src) + String.format(", MLA kv_lora_rank %d, q_lora_rank %d, nope %d + rope %d, v %d", kvRank, qRank, nope, ropeDim, vDim)
                + (routing != null ? String.format(", %d experts (top %d, %d shared)", p.integer("expert_count"), p.integer("expert_used_count"), p.integer("expert_shared_count", 0)) : "");
        return new Decoder(c, compute, w.table("token_embd.weight", vocab, dim), blocks, w.rmsNorm("output_norm.weight", dim, eps), output, rope, summary);
    }

    /**
     * YaRN as DeepSeek uses it: the cos/sin factor is mscale/mscale_all_dim, which is 1 for the
     * released models, unless the converter recorded another one.
     */
    static RopeScaling ropeScaling(ModelParams p) {
        RopeScaling s = DenseConfigs.ropeScaling(p);
        if (s.type() != RopeScaling.Type.YARN) return s;
        float attn = (float) p.real("rope.scaling.attn_factor", 1.0);
        return RopeScaling.yarn(s.factor(), s.originalContext(), s.betaFast(), s.betaSlow(), attn);
    }

    static FeedForwards.RouterSpec routerSpec(ModelParams p) {
        if (p.integer("expert_count", 0) == 0) return null;
        int topK = p.integer("expert_used_count");
        int gating = p.integer("expert_gating_func", 1);
        ExpertRouter.Scoring scoring = switch (gating) {
            case 1 -> ExpertRouter.Scoring.SOFTMAX;
            case 2 -> ExpertRouter.Scoring.SIGMOID;
            default -> throw new ModelLoadException(p.source().origin() + ": unsupported expert_gating_func " + gating + " (1 = softmax, 2 = sigmoid)");
        };
        int groups = p.integer("expert_group_count", 1);
        int groupsUsed = p.integer("expert_group_used_count", groups);
        boolean normalize = p.bool("expert_weights_norm", false);
        float scale = (float) p.real("expert_weights_scale", 1.0);
        ExpertRouter.GroupScore groupScore = scoring == ExpertRouter.Scoring.SIGMOID ? ExpertRouter.GroupScore.TOP2_SUM : ExpertRouter.GroupScore.MAX;
        return (w, b, n) -> new ExpertRouter(n, topK, scoring, w.optionalVector(b + "exp_probs_b.bias", n),
                groups, groupsUsed, groupScore, normalize, scale);
    }

    /**
     * The per-head up-projections: from llama.cpp's split {@code attn_k_b} (already transposed)
     * and {@code attn_v_b}, or from the fused {@code attn_kv_b} of older files and HF checkpoints,
     * whose key part is transposed once here into F32.
     */
    static void upProjections(Weights w, String b, int heads, int nope, int vDim, int kvRank, WeightMatrix[] kAbsorb, WeightMatrix[] vUp) {
        if (w.has(b + "attn_k_b.weight")) {
            Tensor kb = w.source().tensor(b + "attn_k_b.weight");
            Tensor vb = w.source().tensor(b + "attn_v_b.weight");
            for (int h = 0; h < heads; h++) {
                kAbsorb[h] = w.prepare(kb.slice(h));
                vUp[h] = w.prepare(vb.slice(h));
            }
            return;
        }
        WeightMatrix kv = w.table(b + "attn_kv_b.weight", heads * (nope + vDim), kvRank);
        float[] row = new float[kvRank];
        for (int h = 0; h < heads; h++) {
            MemorySegment t = Arena.ofAuto().allocate((long) kvRank * nope * 4, 64);
            for (int i = 0; i < nope; i++) {
                w.dequantizeRow(kv, h * (nope + vDim) + i, row);
                for (int j = 0; j < kvRank; j++) t.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) j * nope + i, row[j]);
            }
            kAbsorb[h] = w.prepare(new WeightMatrix(b + "attn_k_b[" + h + "]", TensorType.F32, kvRank, nope, t));
            long rowBytes = kv.rowBytes();
            vUp[h] = w.prepare(new WeightMatrix(b + "attn_v_b[" + h + "]", kv.type(), vDim, kvRank,
                    kv.data().asSlice((h * (nope + vDim) + nope) * rowBytes, vDim * rowBytes)));
        }
    }

    // ---- Hugging Face checkpoints (HfCheckpoint, ember convert) ----

    private static final Map<String, String> MLA = Map.of(
            "self_attn.q_proj.weight", "attn_q.weight", // without q_lora (V2-Lite)
            "self_attn.q_a_proj.weight", "attn_q_a.weight",
            "self_attn.q_a_layernorm.weight", "attn_q_a_norm.weight",
            "self_attn.q_b_proj.weight", "attn_q_b.weight",
            "self_attn.kv_a_proj_with_mqa.weight", "attn_kv_a_mqa.weight",
            "self_attn.kv_a_layernorm.weight", "attn_kv_a_norm.weight");

    private static final Map<String, String> DEEPSEEK_MOE = Map.of(
            "mlp.shared_experts.gate_proj.weight", "ffn_gate_shexp.weight",
            "mlp.shared_experts.up_proj.weight", "ffn_up_shexp.weight",
            "mlp.shared_experts.down_proj.weight", "ffn_down_shexp.weight",
            "mlp.gate.e_score_correction_bias", "exp_probs_b.bias");

    static final ArchTable HF = ArchTable.of("deepseek2", List.of("DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM"), DeepseekV2::hfKeys)
            .layers(ArchTable.merge(HfNames.NORMS, MLA, HfNames.DENSE_FFN, HfNames.ROUTER, DEEPSEEK_MOE))
            .experts("mlp.experts.", HfNames.SWIGLU_EXPERTS).splitKvB().skipExtraLayers().build();

    /** DeepseekV2Model.set_gguf_parameters: MLA as MQA with wide heads, MoE with shared experts. */
    private static void hfKeys(HfConfig c, GgufMetadata m) {
        CommonKeys.translateExceptHeadSizes(c, m); // MLA: head sizes are its own (below)
        String a = "deepseek2.";
        // MLA converts to MQA: one KV head of kv_lora_rank + rope dims, decompressed per head.
        m.u32(a + "attention.head_count_kv", 1);
        m.f32(a + "attention.layer_norm_rms_epsilon", c.has("rms_norm_eps") ? c.real("rms_norm_eps") : 1e-6);
        boolean moe = c.has("n_routed_experts");
        m.u32(a + "leading_dense_block_count", c.integer("first_k_dense_replace", moe ? 0 : c.integer("num_hidden_layers")));
        m.u32(a + "vocab_size", c.integer("vocab_size"));
        if (c.has("q_lora_rank")) m.u32(a + "attention.q_lora_rank", c.integer("q_lora_rank"));
        long kvLora = c.integer("kv_lora_rank", 512);
        long rope = c.integer("qk_rope_head_dim");
        m.u32(a + "attention.kv_lora_rank", kvLora);
        m.u32(a + "attention.key_length", kvLora + rope);
        m.u32(a + "attention.value_length", kvLora);
        m.u32(a + "attention.key_length_mla", c.integer("qk_nope_head_dim") + rope);
        m.u32(a + "attention.value_length_mla", c.integer("v_head_dim"));
        m.u32(a + "expert_feed_forward_length", c.firstInteger("moe_intermediate_size", "intermediate_size"));
        if (moe) m.u32(a + "expert_count", c.integer("n_routed_experts"));
        m.u32(a + "expert_shared_count", c.integer("n_shared_experts", 0));
        if (c.has("routed_scaling_factor")) m.f32(a + "expert_weights_scale", c.real("routed_scaling_factor"));
        if (c.bool("norm_topk_prob", false)) m.bool(a + "expert_weights_norm", true);
        // transformers' DeepseekV3 router is always sigmoid (+ e_score_correction_bias) and V2's
        // always softmax, whether or not config.json says scoring_func; llama.cpp reads the key and
        // defaults to softmax, so it is written whenever the class implies sigmoid.
        if (!m.has(a + "expert_gating_func")) {
            m.u32(a + "expert_gating_func", c.architecture().equals("DeepseekV3ForCausalLM") ? CommonKeys.GATING_SIGMOID : CommonKeys.GATING_SOFTMAX);
        }
        m.u32(a + "rope.dimension_count", rope);
        Map<String, Object> rp = CommonKeys.ropeParameters(c);
        if (rp.get("mscale_all_dim") instanceof Number ms) {
            // llama.cpp's deepseek2 convention (TAG_DEEPSEEK2_YARN_LOG_MUL_FIX): 0.1 * mscale_all_dim
            m.f32(a + "rope.scaling.yarn_log_multiplier", 0.1 * ms.doubleValue());
        }
        // HF V3 stores the rope dims of q_b/kv_a interleaved (rope_interleave, the default), which
        // is GGUF's adjacent-pair layout; the other layout would need the Llama row permutation.
        if (c.architecture().equals("DeepseekV3ForCausalLM") && !c.bool("rope_interleave", true)) {
            throw c.invalid("rope_interleave", "only interleaved rope weights (true, DeepSeek's layout) are supported");
        }
    }

    // ---- synthetic models (ember synth) ----

    private static final List<Preset> PRESETS = List.of(
            // q-LoRA on (rank 384), as in DeepSeek-V2/V3: llama.cpp treats a deepseek2 file without it
            // as a Lite model only at 26 or 27 layers.
            new Preset("deepseek2-mini", "deepseek2", 1024, 16, 163840, 10000, 1e-6, false, 0.02,
                    new SynthAttention(16, 384, 256, 64, 32, 64), new Preset.MoeFeedForward(16, 4, 512, 1, 1, 4096, true),
                    new Preset.Vocab(102400, "deepseek-v3", 100000)),
            new Preset("deepseek2-tiny", "deepseek2", 64, 3, 256, 10000, 1e-6, false, 0.02,
                    new SynthAttention(4, 32, 64, 32, 32, 32), new Preset.MoeFeedForward(8, 2, 64, 1, 1, 128, true),
                    new Preset.Vocab(512, "qwen2", 509)));

    /**
     * DeepSeek's multi-head latent attention: q-LoRA when {@code qRank > 0}, a KV latent of
     * {@code kvRank} plus a decoupled RoPE key of {@code ropeDim}, split up-projections
     * ({@code attn_k_b}, {@code attn_v_b}) as llama.cpp's converter writes them.
     */
    record SynthAttention(int heads, int qRank, int kvRank, int nope, int ropeDim, int vDim) implements Preset.Attention {
        @Override
        public void tensors(Preset p, int layer, List<Preset.TensorSpec> out) {
            String b = "blk." + layer + ".";
            out.add(Preset.TensorSpec.norm(b + "attn_norm.weight", p.hidden()));
            if (qRank > 0) {
                out.add(Preset.TensorSpec.weight(b + "attn_q_a.weight", p.hidden(), qRank));
                out.add(Preset.TensorSpec.norm(b + "attn_q_a_norm.weight", qRank));
                out.add(Preset.TensorSpec.weight(b + "attn_q_b.weight", qRank, (long) heads * (nope + ropeDim)));
            } else {
                out.add(Preset.TensorSpec.weight(b + "attn_q.weight", p.hidden(), (long) heads * (nope + ropeDim)));
            }
            out.add(Preset.TensorSpec.weight(b + "attn_kv_a_mqa.weight", p.hidden(), kvRank + ropeDim));
            out.add(Preset.TensorSpec.norm(b + "attn_kv_a_norm.weight", kvRank));
            out.add(Preset.TensorSpec.experts(b + "attn_k_b.weight", nope, kvRank, heads));
            out.add(Preset.TensorSpec.experts(b + "attn_v_b.weight", kvRank, vDim, heads));
            out.add(Preset.TensorSpec.weight(b + "attn_output.weight", (long) heads * vDim, p.hidden()));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            String a = p.architecture() + ".";
            w.putUInt32(a + "attention.head_count", heads);
            w.putUInt32(a + "attention.head_count_kv", 1);
            if (qRank > 0) w.putUInt32(a + "attention.q_lora_rank", qRank);
            w.putUInt32(a + "attention.kv_lora_rank", kvRank);
            w.putUInt32(a + "attention.key_length", kvRank + ropeDim);
            w.putUInt32(a + "attention.value_length", kvRank);
            w.putUInt32(a + "attention.key_length_mla", nope + ropeDim);
            w.putUInt32(a + "attention.value_length_mla", vDim);
            w.putUInt32(a + "rope.dimension_count", ropeDim);
        }
    }
}
