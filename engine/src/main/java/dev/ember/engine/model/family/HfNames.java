package dev.ember.engine.model.family;

import java.util.Map;

/**
 * The Hugging Face → GGUF tensor-name fragments several families' {@link
 * dev.ember.engine.safetensors.ArchTable}s are composed from, following llama.cpp's
 * {@code convert_hf_to_gguf.py} (names from {@code gguf-py/gguf/tensor_mapping.py}): each maps an
 * HF suffix after {@code model.layers.N.} to a GGUF suffix after {@code blk.N.}. A fragment used
 * by one family only lives in that family's class; so do config checks, except Gemma's activation
 * check, which its three translators share.
 */
final class HfNames {
    private HfNames() {}

    static final Map<String, String> NORMS = Map.of(
            "input_layernorm.weight", "attn_norm.weight",
            "post_attention_layernorm.weight", "ffn_norm.weight",
            "self_attn.o_proj.weight", "attn_output.weight");

    static final Map<String, String> GQA = Map.of(
            "self_attn.q_proj.weight", "attn_q.weight",
            "self_attn.k_proj.weight", "attn_k.weight",
            "self_attn.v_proj.weight", "attn_v.weight");

    /** Q/K/V biases: always present in Qwen2, optional in Llama ({@code attention_bias}). */
    static final Map<String, String> QKV_BIAS = Map.of(
            "self_attn.q_proj.bias", "attn_q.bias",
            "self_attn.k_proj.bias", "attn_k.bias",
            "self_attn.v_proj.bias", "attn_v.bias",
            "self_attn.o_proj.bias", "attn_output.bias");

    static final Map<String, String> QK_NORM = Map.of(
            "self_attn.q_norm.weight", "attn_q_norm.weight",
            "self_attn.k_norm.weight", "attn_k_norm.weight");

    static final Map<String, String> DENSE_FFN = Map.of(
            "mlp.gate_proj.weight", "ffn_gate.weight",
            "mlp.up_proj.weight", "ffn_up.weight",
            "mlp.down_proj.weight", "ffn_down.weight");

    static final Map<String, String> ROUTER = Map.of("mlp.gate.weight", "ffn_gate_inp.weight");

    static final Map<String, String> SWIGLU_EXPERTS = Map.of(
            "gate_proj", "ffn_gate_exps.weight", "up_proj", "ffn_up_exps.weight", "down_proj", "ffn_down_exps.weight");

    /** Mixtral's w1/w3/w2 are gate/up/down (so are DeepSeek-V4's own names). */
    static final Map<String, String> MIXTRAL_EXPERTS = Map.of(
            "w1", "ffn_gate_exps.weight", "w3", "ffn_up_exps.weight", "w2", "ffn_down_exps.weight");

    /** Gemma's four norms per block: before and after each branch. */
    static final Map<String, String> GEMMA_NORMS = Map.of(
            "input_layernorm.weight", "attn_norm.weight",
            "post_attention_layernorm.weight", "post_attention_norm.weight",
            "pre_feedforward_layernorm.weight", "ffn_norm.weight",
            "post_feedforward_layernorm.weight", "post_ffw_norm.weight",
            "self_attn.o_proj.weight", "attn_output.weight");

    /** Gemma's output is tied: llama.cpp's converter skips lm_head (and so does Ember when a checkpoint stores it). */
    static final Map<String, String> GEMMA_GLOBALS = Map.of(
            "model.embed_tokens.weight", "token_embd.weight",
            "model.norm.weight", "output_norm.weight");

    /** Gemma's activation check, shared by its config translators. */
    static void requireGeluTanh(dev.ember.engine.safetensors.HfConfig c) {
        if (!c.string("hidden_activation", "gelu_pytorch_tanh").equals("gelu_pytorch_tanh")) {
            throw c.invalid("hidden_activation", "only gelu_pytorch_tanh is supported, as in llama.cpp");
        }
    }
}
