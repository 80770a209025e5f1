package dev.ember.engine.model.family;

import dev.ember.engine.model.Compute;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.safetensors.ArchTable;

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
}
