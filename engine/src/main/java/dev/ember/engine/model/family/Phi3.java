package dev.ember.engine.model.family;

import dev.ember.engine.gguf.GgufWriter;
import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.safetensors.ArchTable;
import dev.ember.engine.synth.Preset;

import java.util.List;
import java.util.Map;

/**
 * Phi-3, Phi-3.5 and Phi-4-mini (llama.cpp's {@code phi3}): the {@link DenseFamily} decoder with
 * Q/K/V fused in {@code attn_qkv} and gate/up in {@code ffn_up}, NeoX RoPE on the first
 * {@code rope.dimension_count} dims of each head (Phi-4-mini rotates 3/4 of them), LongRoPE when
 * the file has {@code rope_factors_long}/{@code rope_factors_short} (see
 * {@link dev.ember.engine.model.RopeScaling#longFactors} for which set applies), and, as
 * transformers does, {@code attention.sliding_window} on every layer when it is > 0.
 */
final class Phi3 implements ModelFamily {
    @Override public List<String> architectures() { return List.of("phi3"); }

    @Override public List<ArchTable> hfTables() { return List.of(HF); }

    @Override public List<Preset> synthPresets() { return PRESETS; }

    @Override
    public Model load(WeightSource src, Compute compute) {
        return DenseFamily.build(src, compute, new DenseFamily.Variant(RopeLayout.NEOX, false, false, null, true));
    }

    // ---- Hugging Face checkpoints (HfCheckpoint, ember convert) ----

    /**
     * Phi-3 as llama.cpp's {@code phi3}: the fused {@code qkv_proj} stays fused as {@code attn_qkv}
     * and {@code gate_up_proj} (gate rows first) becomes {@code ffn_up}, as gguf-py maps them;
     * LongRoPE's factor sets become tensors (see {@link Phi3Keys}, the planner).
     */
    static final ArchTable HF = ArchTable.of("phi3", List.of("Phi3ForCausalLM"), Phi3Keys::translate)
            .layers(ArchTable.merge(HfNames.NORMS, Map.of(
                    "self_attn.qkv_proj.weight", "attn_qkv.weight",
                    "mlp.gate_up_proj.weight", "ffn_up.weight",
                    "mlp.down_proj.weight", "ffn_down.weight")))
            .extraTensors(Phi3Keys::factorTensors).build();

    // ---- synthetic models (ember synth) ----

    private static final List<Preset> PRESETS = List.of(
            // Phi-3-mini's shape (config.json of microsoft/Phi-3-mini-128k-instruct): MHA 32 x 96, fused
            // QKV and gate/up, LongRoPE from 4096 to 131072 (synthetic factor sets), window 262144.
            new Preset("phi3-mini", "phi3", 3072, 32, 131072, 10000, 1e-5, false, 0.02,
                    new SynthAttention(32, 32, 96, 4096, 262144), new SynthFeedForward(8192),
                    new Preset.Vocab(32064, "qwen2", 32000)),
            // phi3-tiny: GQA, 12 of 16 dims rotated (Phi-4-mini's 3/4), LongRoPE long factors (context
            // 256 > 32), a 48-token window shorter than most test prompts.
            new Preset("phi3-tiny", "phi3", 64, 2, 256, 10000, 1e-5, false, 0.02,
                    new SynthAttention(4, 2, 12, 32, 48), new SynthFeedForward(128),
                    new Preset.Vocab(512, "qwen2", 509)));

    /**
     * Phi-3's attention as llama.cpp's {@code phi3}: Q/K/V fused in {@code attn_qkv}, head size
     * hidden / heads, NeoX RoPE on the first {@code ropeDims} dims of each head, LongRoPE factor
     * sets ({@code rope_factors_long/short}, {@link #leadingTensors}) trained at {@code originalContext}
     * (0: no LongRoPE) with transformers' attention factor, and {@code attention.sliding_window}
     * (0: none). The synthetic long factors rise geometrically from 1 to context / original context
     * over the pairs, the short ones linearly from 1 to 1.25, roughly the shape of Phi-3-mini-128k's.
     */
    record SynthAttention(int heads, int kvHeads, int ropeDims, int originalContext, int window) implements Preset.Attention {
        @Override
        public void tensors(Preset p, int layer, List<Preset.TensorSpec> out) {
            String b = "blk." + layer + ".";
            long headDim = p.hidden() / heads;
            out.add(Preset.TensorSpec.norm(b + "attn_norm.weight", p.hidden()));
            out.add(Preset.TensorSpec.weight(b + "attn_qkv.weight", p.hidden(), (heads + 2L * kvHeads) * headDim));
            out.add(Preset.TensorSpec.weight(b + "attn_output.weight", heads * headDim, p.hidden()));
        }

        @Override
        public void leadingTensors(Preset p, List<Preset.TensorSpec> out) {
            if (originalContext == 0) return;
            out.add(factors(p, "rope_factors_long.weight", true));
            out.add(factors(p, "rope_factors_short.weight", false));
        }

        private Preset.TensorSpec factors(Preset p, String name, boolean longSet) {
            return new Preset.TensorSpec(name, new long[]{ropeDims / 2}, Preset.Init.COMPUTED, (first, count, out) -> {
                for (int i = 0; i < ropeDims / 2; i++) out[i] = factor(p, longSet, i);
            });
        }

        /** Factor {@code i} of the long or the short set. */
        private float factor(Preset p, boolean longSet, int i) {
            double t = ropeDims / 2 > 1 ? (double) i / (ropeDims / 2 - 1) : 0;
            double stretch = Math.max(1.0, (double) p.contextLength() / originalContext);
            return (float) (longSet ? Math.pow(stretch, t) : 1 + 0.25 * t);
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            String a = p.architecture() + ".";
            w.putUInt32(a + "attention.head_count", heads);
            w.putUInt32(a + "attention.head_count_kv", kvHeads);
            w.putUInt32(a + "rope.dimension_count", ropeDims);
            w.putUInt32(a + "attention.sliding_window", window);
            if (originalContext == 0) return;
            w.putUInt32(a + "rope.scaling.original_context_length", originalContext);
            double scale = (double) p.contextLength() / originalContext;
            w.putFloat32(a + "rope.scaling.attn_factor", scale <= 1 ? 1f : (float) Math.sqrt(1 + Math.log(scale) / Math.log(originalContext)));
        }
    }

    /** Phi-3's SwiGLU with gate and up fused in one {@code ffn_up} of twice the width, gate rows first. */
    record SynthFeedForward(int size) implements Preset.FeedForward {
        @Override
        public void tensors(Preset p, int layer, List<Preset.TensorSpec> out) {
            String b = "blk." + layer + ".";
            out.add(Preset.TensorSpec.norm(b + "ffn_norm.weight", p.hidden()));
            out.add(Preset.TensorSpec.weight(b + "ffn_up.weight", p.hidden(), 2L * size));
            out.add(Preset.TensorSpec.weight(b + "ffn_down.weight", size, p.hidden()));
        }

        @Override
        public void metadata(Preset p, GgufWriter w) {
            w.putUInt32(p.architecture() + ".feed_forward_length", size);
        }
    }
}
