package dev.ember.engine.safetensors;

import dev.ember.engine.model.ModelLoadException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The translation tables, one per architecture family, following llama.cpp's
 * {@code convert_hf_to_gguf.py} (tensor names from {@code gguf-py/gguf/tensor_mapping.py}, keys
 * from {@code gguf-py/gguf/constants.py}). Families share fragments (every family has the same
 * norms and output projection) and add only what is theirs.
 */
final class Architectures {
    private Architectures() {}

    // ---- tensor-name fragments (HF suffix after model.layers.N. → GGUF suffix after blk.N.) ----

    private static final Map<String, String> NORMS = Map.of(
            "input_layernorm.weight", "attn_norm.weight",
            "post_attention_layernorm.weight", "ffn_norm.weight",
            "self_attn.o_proj.weight", "attn_output.weight");

    private static final Map<String, String> GQA = Map.of(
            "self_attn.q_proj.weight", "attn_q.weight",
            "self_attn.k_proj.weight", "attn_k.weight",
            "self_attn.v_proj.weight", "attn_v.weight");

    /** Q/K/V biases: always present in Qwen2, optional in Llama ({@code attention_bias}). */
    private static final Map<String, String> QKV_BIAS = Map.of(
            "self_attn.q_proj.bias", "attn_q.bias",
            "self_attn.k_proj.bias", "attn_k.bias",
            "self_attn.v_proj.bias", "attn_v.bias",
            "self_attn.o_proj.bias", "attn_output.bias");

    private static final Map<String, String> QK_NORM = Map.of(
            "self_attn.q_norm.weight", "attn_q_norm.weight",
            "self_attn.k_norm.weight", "attn_k_norm.weight");

    private static final Map<String, String> DENSE_FFN = Map.of(
            "mlp.gate_proj.weight", "ffn_gate.weight",
            "mlp.up_proj.weight", "ffn_up.weight",
            "mlp.down_proj.weight", "ffn_down.weight");

    private static final Map<String, String> ROUTER = Map.of("mlp.gate.weight", "ffn_gate_inp.weight");

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

    private static final Map<String, String> SWIGLU_EXPERTS = Map.of(
            "gate_proj", "ffn_gate_exps.weight", "up_proj", "ffn_up_exps.weight", "down_proj", "ffn_down_exps.weight");

    /** Mixtral's w1/w3/w2 are gate/up/down. */
    private static final Map<String, String> MIXTRAL_EXPERTS = Map.of(
            "w1", "ffn_gate_exps.weight", "w3", "ffn_up_exps.weight", "w2", "ffn_down_exps.weight");

    @SafeVarargs
    private static Map<String, String> merge(Map<String, String>... parts) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Map<String, String> p : parts) m.putAll(p);
        return Map.copyOf(m);
    }

    // ---- the tables ---------------------------------------------------------------------

    static final ArchTable LLAMA = new ArchTable("llama", List.of("LlamaForCausalLM", "MistralForCausalLM"),
            merge(NORMS, GQA, QKV_BIAS, DENSE_FFN), null, Map.of(), true, false, false, Architectures::llamaKeys);

    /** llama.cpp converts Mixtral to the llama architecture with stacked experts. */
    static final ArchTable MIXTRAL = new ArchTable("llama", List.of("MixtralForCausalLM"),
            merge(NORMS, GQA, Map.of("block_sparse_moe.gate.weight", "ffn_gate_inp.weight")),
            "block_sparse_moe.experts.", MIXTRAL_EXPERTS, true, false, false, Architectures::llamaKeys);

    static final ArchTable QWEN2 = new ArchTable("qwen2", List.of("Qwen2ForCausalLM"),
            merge(NORMS, GQA, QKV_BIAS, DENSE_FFN), null, Map.of(), false, false, false, CommonKeys::translate);

    static final ArchTable QWEN3 = new ArchTable("qwen3", List.of("Qwen3ForCausalLM"),
            merge(NORMS, GQA, QK_NORM, DENSE_FFN), null, Map.of(), false, false, false, CommonKeys::translate);

    static final ArchTable QWEN3MOE = new ArchTable("qwen3moe", List.of("Qwen3MoeForCausalLM"),
            merge(NORMS, GQA, QK_NORM, ROUTER), "mlp.experts.", SWIGLU_EXPERTS, false, false, false, Architectures::qwen3moeKeys);

    static final ArchTable DEEPSEEK2 = new ArchTable("deepseek2", List.of("DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM"),
            merge(NORMS, MLA, DENSE_FFN, ROUTER, DEEPSEEK_MOE), "mlp.experts.", SWIGLU_EXPERTS, false, true, true,
            Architectures::deepseek2Keys);

    static final List<ArchTable> ALL = List.of(LLAMA, MIXTRAL, QWEN2, QWEN3, QWEN3MOE, DEEPSEEK2);

    static ArchTable forClass(String hfClass, HfConfig config) {
        for (ArchTable t : ALL) if (t.hfClasses().contains(hfClass)) return t;
        throw new ModelLoadException(config.file() + ": unsupported architecture '" + hfClass + "' (supported: " + supported()
                + "); convert the model with llama.cpp's convert_hf_to_gguf.py if it supports it, or use a GGUF file");
    }

    static String supported() {
        TreeSet<String> s = new TreeSet<>();
        for (ArchTable t : ALL) s.addAll(t.hfClasses());
        return String.join(", ", s);
    }

    // ---- config translators -------------------------------------------------------------

    /** LlamaModel.set_gguf_parameters: vocab size and the rotated dimensions. */
    private static void llamaKeys(HfConfig c, GgufMetadata m) {
        CommonKeys.translate(c, m);
        String a = "llama.";
        m.u32(a + "vocab_size", c.integer("vocab_size"));
        long ropeDim = c.has("head_dim") ? c.integer("head_dim") : c.integer("hidden_size") / c.integer("num_attention_heads");
        m.u32(a + "rope.dimension_count", ropeDim);
    }

    /** Qwen2MoeModel.set_gguf_parameters, plus Qwen3-MoE's checks. */
    private static void qwen3moeKeys(HfConfig c, GgufMetadata m) {
        CommonKeys.translate(c, m);
        String a = "qwen3moe.";
        m.u32(a + "expert_feed_forward_length", c.integer("moe_intermediate_size"));
        if (c.has("shared_expert_intermediate_size")) m.u32(a + "expert_shared_feed_forward_length", c.integer("shared_expert_intermediate_size"));
        // llama.cpp's qwen3moe always renormalizes the top-k weights and does not write this key;
        // Ember writes it so a checkpoint with norm_topk_prob=false is not silently run as true.
        m.bool(a + "expert_weights_norm", c.bool("norm_topk_prob", true));
        if (c.integer("decoder_sparse_step", 1) != 1) {
            throw c.invalid("decoder_sparse_step", "only 1 (every layer MoE) is supported, as in llama.cpp");
        }
        if (c.raw("mlp_only_layers") instanceof List<?> l && !l.isEmpty()) {
            throw c.invalid("mlp_only_layers", "dense layers inside a Qwen3-MoE are not supported, as in llama.cpp");
        }
    }

    /** DeepseekV2Model.set_gguf_parameters: MLA as MQA with wide heads, MoE with shared experts. */
    private static void deepseek2Keys(HfConfig c, GgufMetadata m) {
        CommonKeys.translate(c, m);
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
}
