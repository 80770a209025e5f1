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

    /**
     * DeepSeek-V4, one row per GGUF name (after {@code blk.N.}) with every HF spelling of it after
     * the layer prefix: DeepSeek's own names (which transformers' save_pretrained writes back,
     * under {@code model.layers.N.}; it writes the KV norm as {@code attn.norm}), then the
     * transformers module names. Experts are per expert ({@code ffn.experts.E.w1/w3/w2}) or
     * fused ({@code mlp.experts.gate_up_proj} / {@code down_proj}, see {@link #DEEPSEEK4}).
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

    /** HF spelling → GGUF name, from rows of {GGUF name, spelling, spelling, ...}. */
    private static Map<String, String> spellings(String[][] rows) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String[] row : rows) {
            for (int i = 1; i < row.length; i++) m.put(row[i], row[0]);
        }
        return Map.copyOf(m);
    }

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

    /**
     * Qwen3, also as Qwen3-Embedding ships it: saved from the bare {@code Qwen3Model} (its
     * {@code config.json} may still say Qwen3ForCausalLM), with names lacking the {@code model.}
     * prefix and no head (the embedding is tied).
     */
    static final ArchTable QWEN3 = new ArchTable("qwen3", List.of("Qwen3ForCausalLM", "Qwen3Model"),
            merge(NORMS, GQA, QK_NORM, DENSE_FFN), null, Map.of(), false, false, false, CommonKeys::translate,
            merge(ArchTable.TRANSFORMERS_GLOBALS, Map.of("embed_tokens.weight", "token_embd.weight", "norm.weight", "output_norm.weight")),
            List.of(), Map.of());

    static final ArchTable QWEN3MOE = new ArchTable("qwen3moe", List.of("Qwen3MoeForCausalLM"),
            merge(NORMS, GQA, QK_NORM, ROUTER), "mlp.experts.", SWIGLU_EXPERTS, false, false, false, Architectures::qwen3moeKeys);

    static final ArchTable DEEPSEEK2 = new ArchTable("deepseek2", List.of("DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM"),
            merge(NORMS, MLA, DENSE_FFN, ROUTER, DEEPSEEK_MOE), "mlp.experts.", SWIGLU_EXPERTS, false, true, true,
            Architectures::deepseek2Keys);

    /**
     * DeepSeek-V4 as llama.cpp's {@code deepseek4}. DeepSeek's multi-token-prediction block
     * ({@code mtp.*}) is dropped, as transformers and llama.cpp's default conversion do.
     */
    static final ArchTable DEEPSEEK4 = new ArchTable("deepseek4", List.of("DeepseekV4ForCausalLM"),
            spellings(DEEPSEEK4_NAMES), "ffn.experts.", MIXTRAL_EXPERTS, false, false, false, DeepseekV4Keys::translate,
            spellings(DEEPSEEK4_GLOBALS), List.of("mtp."),
            Map.of("mlp.experts.gate_up_proj", List.of("ffn_gate_exps.weight", "ffn_up_exps.weight"),
                    "mlp.experts.down_proj", List.of("ffn_down_exps.weight")));

    /** Gemma's four norms per block: before and after each branch. */
    private static final Map<String, String> GEMMA_NORMS = Map.of(
            "input_layernorm.weight", "attn_norm.weight",
            "post_attention_layernorm.weight", "post_attention_norm.weight",
            "pre_feedforward_layernorm.weight", "ffn_norm.weight",
            "post_feedforward_layernorm.weight", "post_ffw_norm.weight",
            "self_attn.o_proj.weight", "attn_output.weight");

    /** Gemma's output is tied: llama.cpp's converter skips lm_head (and so does Ember when a checkpoint stores it). */
    private static final Map<String, String> GEMMA_GLOBALS = Map.of(
            "model.embed_tokens.weight", "token_embd.weight",
            "model.norm.weight", "output_norm.weight");

    static final ArchTable GEMMA2 = new ArchTable("gemma2", List.of("Gemma2ForCausalLM"),
            merge(GEMMA_NORMS, GQA, DENSE_FFN), null, Map.of(), false, false, false, Architectures::gemma2Keys,
            GEMMA_GLOBALS, List.of("lm_head."), Map.of(), 1f);

    /** Gemma 3's text decoder; the multimodal class's language model is not mapped yet. */
    static final ArchTable GEMMA3 = new ArchTable("gemma3", List.of("Gemma3ForCausalLM"),
            merge(GEMMA_NORMS, GQA, QK_NORM, DENSE_FFN), null, Map.of(), false, false, false, Architectures::gemma3Keys,
            GEMMA_GLOBALS, List.of("lm_head."), Map.of(), 1f);

    /**
     * Phi-3 as llama.cpp's {@code phi3}: the fused {@code qkv_proj} stays fused as {@code attn_qkv}
     * and {@code gate_up_proj} (gate rows first) becomes {@code ffn_up}, as gguf-py maps them;
     * LongRoPE's factor sets become tensors (see {@link Phi3Keys}, {@link TensorPlanner}).
     */
    static final ArchTable PHI3 = new ArchTable("phi3", List.of("Phi3ForCausalLM"),
            merge(NORMS, Map.of(
                    "self_attn.qkv_proj.weight", "attn_qkv.weight",
                    "mlp.gate_up_proj.weight", "ffn_up.weight",
                    "mlp.down_proj.weight", "ffn_down.weight")),
            null, Map.of(), false, false, false, Phi3Keys::translate);

    /**
     * gpt-oss as llama.cpp's {@code gpt-oss}: the norm after attention is {@code post_attention_norm}
     * (llama.cpp's ATTN_POST_NORM, not ffn_norm), the sinks get a {@code .weight} suffix, and the
     * experts are transformers' transposed, gate/up-interleaved tensors, split and transposed as
     * convert_hf_to_gguf.py does (BF16/F32 only: the Hub's MXFP4 blocks are not read here).
     */
    static final ArchTable GPT_OSS = new ArchTable("gpt-oss", List.of("GptOssForCausalLM"),
            merge(GQA, QKV_BIAS, Map.of(
                    "input_layernorm.weight", "attn_norm.weight",
                    "post_attention_layernorm.weight", "post_attention_norm.weight",
                    "self_attn.o_proj.weight", "attn_output.weight",
                    "self_attn.sinks", "attn_sinks.weight",
                    "mlp.router.weight", "ffn_gate_inp.weight",
                    "mlp.router.bias", "ffn_gate_inp.bias",
                    "mlp.experts.down_proj_bias", "ffn_down_exps.bias")),
            null, Map.of(), false, false, false, Architectures::gptOssKeys,
            ArchTable.TRANSFORMERS_GLOBALS, List.of(),
            Map.of("mlp.experts.gate_up_proj", List.of("ffn_gate_exps.weight", "ffn_up_exps.weight"),
                    "mlp.experts.gate_up_proj_bias", List.of("ffn_gate_exps.bias", "ffn_up_exps.bias"),
                    "mlp.experts.down_proj", List.of("ffn_down_exps.weight")),
            0f, true);

    /** Gemma 3n's own layer tensors: AltUp, LAuReL and the per-layer input gate (gguf-py's tensor_mapping). */
    private static final Map<String, String> GEMMA3N_LAYER = Map.ofEntries(
            Map.entry("altup.correct_output_scale", "altup_correct_scale.weight"),
            Map.entry("altup.correction_coefs.weight", "altup_correct_coef.weight"),
            Map.entry("altup.prediction_coefs.weight", "altup_predict_coef.weight"),
            Map.entry("altup.modality_router.weight", "altup_router.weight"),
            Map.entry("altup.router_norm.weight", "altup_router_norm.weight"),
            Map.entry("laurel.linear_left.weight", "laurel_l.weight"),
            Map.entry("laurel.linear_right.weight", "laurel_r.weight"),
            Map.entry("laurel.post_laurel_norm.weight", "laurel_post_norm.weight"),
            Map.entry("per_layer_input_gate.weight", "inp_gate.weight"),
            Map.entry("per_layer_projection.weight", "proj.weight"),
            Map.entry("post_per_layer_input_norm.weight", "post_norm.weight"));

    /**
     * Gemma 3n's text decoder as llama.cpp's {@code gemma3n}: norms as stored (no shift), the
     * per-layer embedding table, projection and norm, and the AltUp projections stacked into
     * {@code altup_proj} / {@code altup_unembd_proj}. KV-shared layers have no K/V projections or
     * K norm in a transformers checkpoint, and none are written. The multimodal class's language
     * model is not mapped.
     */
    static final ArchTable GEMMA3N = new ArchTable("gemma3n", List.of("Gemma3nForCausalLM"),
            merge(GEMMA_NORMS, GQA, QK_NORM, DENSE_FFN, GEMMA3N_LAYER), null, Map.of(), false, false, false, Architectures::gemma3nKeys,
            merge(GEMMA_GLOBALS, Map.of(
                    "model.embed_tokens_per_layer.weight", "per_layer_token_embd.weight",
                    "model.per_layer_model_projection.weight", "per_layer_model_proj.weight",
                    "model.per_layer_projection_norm.weight", "per_layer_proj_norm.weight")),
            List.of("lm_head."), Map.of(), 0f,
            Map.of("model.altup_projections.", "altup_proj.weight", "model.altup_unembed_projections.", "altup_unembd_proj.weight"));

    /** BERT as llama.cpp's {@code bert} (BertModel's names; a {@code bert.} prefix is accepted, as the converter does). */
    static final ArchTable BERT = new ArchTable("bert", List.of("BertModel", "BertForMaskedLM"),
            Map.ofEntries(
                    Map.entry("attention.self.query.weight", "attn_q.weight"), Map.entry("attention.self.query.bias", "attn_q.bias"),
                    Map.entry("attention.self.key.weight", "attn_k.weight"), Map.entry("attention.self.key.bias", "attn_k.bias"),
                    Map.entry("attention.self.value.weight", "attn_v.weight"), Map.entry("attention.self.value.bias", "attn_v.bias"),
                    Map.entry("attention.output.dense.weight", "attn_output.weight"), Map.entry("attention.output.dense.bias", "attn_output.bias"),
                    Map.entry("attention.output.LayerNorm.weight", "attn_output_norm.weight"),
                    Map.entry("attention.output.LayerNorm.bias", "attn_output_norm.bias"),
                    Map.entry("intermediate.dense.weight", "ffn_up.weight"), Map.entry("intermediate.dense.bias", "ffn_up.bias"),
                    Map.entry("output.dense.weight", "ffn_down.weight"), Map.entry("output.dense.bias", "ffn_down.bias"),
                    Map.entry("output.LayerNorm.weight", "layer_output_norm.weight"), Map.entry("output.LayerNorm.bias", "layer_output_norm.bias")),
            null, Map.of(), false, false, false, Architectures::bertKeys,
            spellings(new String[][]{
                    {"token_embd.weight", "embeddings.word_embeddings.weight", "bert.embeddings.word_embeddings.weight"},
                    {"position_embd.weight", "embeddings.position_embeddings.weight", "bert.embeddings.position_embeddings.weight"},
                    {"token_types.weight", "embeddings.token_type_embeddings.weight", "bert.embeddings.token_type_embeddings.weight"},
                    {"token_embd_norm.weight", "embeddings.LayerNorm.weight", "bert.embeddings.LayerNorm.weight"},
                    {"token_embd_norm.bias", "embeddings.LayerNorm.bias", "bert.embeddings.LayerNorm.bias"}}),
            List.of("pooler.", "bert.pooler.", "embeddings.position_ids", "bert.embeddings.position_ids", "cls."), Map.of());

    /**
     * nomic-bert as llama.cpp's {@code nomic-bert}, from nomic's own tensor names, which are what
     * the Hub has and what transformers 5 saves its native {@code NomicBertModel} as: the fused
     * {@code Wqkv} stays fused as {@code attn_qkv}; {@code fc11} is up and {@code fc12} the gate, as
     * llama.cpp maps them. No biases.
     */
    static final ArchTable NOMIC_BERT = new ArchTable("nomic-bert", List.of("NomicBertModel"),
            Map.ofEntries(
                    Map.entry("attn.Wqkv.weight", "attn_qkv.weight"), Map.entry("attn.out_proj.weight", "attn_output.weight"),
                    Map.entry("mlp.fc11.weight", "ffn_up.weight"), Map.entry("mlp.fc12.weight", "ffn_gate.weight"),
                    Map.entry("mlp.fc2.weight", "ffn_down.weight"),
                    Map.entry("norm1.weight", "attn_output_norm.weight"), Map.entry("norm1.bias", "attn_output_norm.bias"),
                    Map.entry("norm2.weight", "layer_output_norm.weight"), Map.entry("norm2.bias", "layer_output_norm.bias")),
            null, Map.of(), false, false, false, Architectures::nomicBertKeys,
            spellings(new String[][]{
                    {"token_embd.weight", "embeddings.word_embeddings.weight"},
                    {"token_types.weight", "embeddings.token_type_embeddings.weight"},
                    {"token_embd_norm.weight", "emb_ln.weight"},
                    {"token_embd_norm.bias", "emb_ln.bias"}}),
            List.of("pooler.", "embeddings.position_ids", "embeddings.token_type_ids"), Map.of());

    static final List<ArchTable> ALL = List.of(LLAMA, MIXTRAL, QWEN2, QWEN3, QWEN3MOE, DEEPSEEK2, DEEPSEEK4, GEMMA2, GEMMA3, GEMMA3N, PHI3, GPT_OSS, BERT, NOMIC_BERT);

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

    /**
     * Gemma2Model.set_gguf_parameters: soft-capping and the window; Ember adds
     * {@code attention.scale} (query_pre_attn_scalar^-0.5, which llama.cpp derives from the model
     * size instead) and the sliding-window period read from {@code layer_types}.
     */
    private static void gemma2Keys(HfConfig c, GgufMetadata m) {
        CommonKeys.translate(c, m);
        String a = "gemma2.";
        if (c.has("attn_logit_softcapping")) m.f32(a + "attn_logit_softcapping", c.real("attn_logit_softcapping"));
        if (c.has("final_logit_softcapping")) m.f32(a + "final_logit_softcapping", c.real("final_logit_softcapping"));
        m.u32(a + "attention.sliding_window", c.integer("sliding_window"));
        if (c.has("query_pre_attn_scalar")) m.f32(a + "attention.scale", 1.0 / Math.sqrt(c.real("query_pre_attn_scalar")));
        long period = CommonKeys.slidingPeriod(c, 2);
        if (period != 2) m.u32(a + "attention.sliding_window_pattern", period);
        if (!c.string("hidden_activation", "gelu_pytorch_tanh").equals("gelu_pytorch_tanh")) {
            throw c.invalid("hidden_activation", "only gelu_pytorch_tanh is supported, as in llama.cpp");
        }
    }

    /**
     * Gemma3Model.set_gguf_parameters: the global layers' RoPE (rope_parameters.full_attention)
     * through the common keys, the sliding layers' base as {@code rope.freq_base_swa}; Ember adds
     * {@code attention.scale} and the period, as for Gemma 2.
     */
    @SuppressWarnings("unchecked")
    private static void gemma3Keys(HfConfig c, GgufMetadata m) {
        CommonKeys.translate(c, m);
        String a = "gemma3.";
        if (c.raw("attn_logit_softcapping") != null) throw c.invalid("attn_logit_softcapping", "Gemma 3 has none (as llama.cpp asserts)");
        if (c.raw("final_logit_softcapping") instanceof Number f) m.f32(a + "final_logit_softcapping", f.doubleValue());
        if (c.has("sliding_window")) m.u32(a + "attention.sliding_window", c.integer("sliding_window"));
        if (c.has("query_pre_attn_scalar")) m.f32(a + "attention.scale", 1.0 / Math.sqrt(c.real("query_pre_attn_scalar")));
        long period = CommonKeys.slidingPeriod(c, 6);
        if (period != 6) m.u32(a + "attention.sliding_window_pattern", period);
        Object local = c.raw("rope_parameters") instanceof Map<?, ?> rp && rp.get("sliding_attention") instanceof Map<?, ?> s
                ? ((Map<String, Object>) s).get("rope_theta") : c.raw("rope_local_base_freq");
        if (local instanceof Number n) m.f32(a + "rope.freq_base_swa", n.doubleValue());
        if (!c.string("hidden_activation", "gelu_pytorch_tanh").equals("gelu_pytorch_tanh")) {
            throw c.invalid("hidden_activation", "only gelu_pytorch_tanh is supported, as in llama.cpp");
        }
    }

    /**
     * GptOssModel.set_gguf_parameters: the window and the expert width; Ember adds the sliding
     * period read from {@code layer_types} and YaRN's {@code truncate}, written even when absent
     * (then true, transformers' default) because a gpt-oss file without the key means gpt-oss's
     * own {@code truncate: false} (see GptOss).
     */
    private static void gptOssKeys(HfConfig c, GgufMetadata m) {
        CommonKeys.translate(c, m);
        String a = "gpt-oss.";
        m.u32(a + "attention.sliding_window", c.integer("sliding_window"));
        m.u32(a + "expert_feed_forward_length", c.integer("intermediate_size"));
        long period = CommonKeys.slidingPeriod(c, 2);
        if (period != 2) m.u32(a + "attention.sliding_window_pattern", period);
        if (m.has(a + "rope.scaling.type") && !m.has(a + "rope.scaling.yarn_truncate")) m.bool(a + "rope.scaling.yarn_truncate", true);
        if (!c.bool("attention_bias", true)) throw c.invalid("attention_bias", "only true is supported (llama.cpp's gpt-oss requires the biases)");
    }

    /**
     * Gemma3NModel.set_gguf_parameters: Gemma 3's keys (final soft-cap, window, the sliding layers'
     * RoPE base), the AltUp and per-layer input sizes, the KV-shared layer count, the per-layer
     * activation sparsity as the normal quantile of each layer's target (negative infinity for a
     * dense layer) and the sliding pattern as a bool per layer. The query scale is 1, as llama.cpp
     * fixes it, so none is written.
     */
    @SuppressWarnings("unchecked")
    private static void gemma3nKeys(HfConfig c, GgufMetadata m) {
        CommonKeys.translate(c, m);
        String a = "gemma3n.";
        int layers = Math.toIntExact(c.integer("num_hidden_layers"));
        if (c.raw("final_logit_softcapping") instanceof Number f) m.f32(a + "final_logit_softcapping", f.doubleValue());
        m.u32(a + "attention.sliding_window", c.integer("sliding_window", 512));
        Object local = c.raw("rope_parameters") instanceof Map<?, ?> rp && rp.get("sliding_attention") instanceof Map<?, ?> sl
                ? ((Map<String, Object>) sl).get("rope_theta") : c.raw("rope_local_base_freq");
        m.f32(a + "rope.freq_base_swa", local instanceof Number n ? n.doubleValue() : 10000.0);
        long streams = c.integer("altup_num_inputs", 4);
        long active = c.integer("altup_active_idx", 0);
        if (streams < 2 || active < 0 || active >= streams) throw c.invalid("altup_active_idx", "must be below altup_num_inputs = " + streams);
        m.u32(a + "altup.active_idx", active);
        m.u32(a + "altup.num_inputs", streams);
        m.u32(a + "embedding_length_per_layer_input", c.integer("hidden_size_per_layer_input", 256));
        long shared = c.integer("num_kv_shared_layers", 15);
        if (shared < 0 || shared > layers) throw c.invalid("num_kv_shared_layers", "must be between 0 and num_hidden_layers = " + layers);
        m.u32(a + "attention.shared_kv_layers", shared);
        double[] multipliers = new double[layers];
        if (c.raw("activation_sparsity_pattern") instanceof List<?> pattern) {
            if (pattern.size() != layers) throw c.invalid("activation_sparsity_pattern", "has " + pattern.size() + " values for " + layers + " layers");
            for (int i = 0; i < layers; i++) {
                if (!(pattern.get(i) instanceof Number s) || !(s.doubleValue() >= 0 && s.doubleValue() < 1)) {
                    throw c.invalid("activation_sparsity_pattern", "value " + i + " is not a sparsity in [0, 1)");
                }
                multipliers[i] = dev.ember.engine.model.GaussianTopK.stdMultiplier((float) s.doubleValue());
            }
        } else { // Gemma3nTextConfig's default: the first 10 layers at 0.95 when there are more than 10
            for (int i = 0; i < layers; i++) multipliers[i] = dev.ember.engine.model.GaussianTopK.stdMultiplier(layers > 10 && i < 10 ? 0.95f : 0.0);
        }
        m.f32s(a + "activation_sparsity_scale", multipliers);
        boolean[] sliding = new boolean[layers];
        if (c.raw("layer_types") instanceof List<?> types) {
            if (types.size() != layers) throw c.invalid("layer_types", "has " + types.size() + " values for " + layers + " layers");
            for (int i = 0; i < layers; i++) {
                Object t = types.get(i);
                if (!"sliding_attention".equals(t) && !"full_attention".equals(t)) throw c.invalid("layer_types", "layer " + i + " is " + t);
                sliding[i] = "sliding_attention".equals(t);
            }
        } else { // Gemma3nTextConfig's default: every fifth layer full
            for (int i = 0; i < layers; i++) sliding[i] = (i + 1) % 5 != 0;
        }
        m.bools(a + "attention.sliding_window_pattern", sliding);
        if (!c.string("hidden_activation", "gelu_pytorch_tanh").equals("gelu_pytorch_tanh")) {
            throw c.invalid("hidden_activation", "only gelu_pytorch_tanh is supported, as in llama.cpp");
        }
        if (!c.bool("altup_correct_scale", true)) throw c.invalid("altup_correct_scale", "only true is supported, as in llama.cpp");
        if (c.bool("attention_bias", false)) throw c.invalid("attention_bias", "Gemma 3n has no attention biases");
    }

    /** BertModel.set_gguf_parameters: LayerNorm epsilon, bidirectional attention, token types; GELU only. */
    private static void bertKeys(HfConfig c, GgufMetadata m) {
        CommonKeys.translate(c, m);
        String a = "bert.";
        m.f32(a + "attention.layer_norm_epsilon", c.has("layer_norm_eps") ? c.real("layer_norm_eps") : 1e-12);
        m.bool(a + "attention.causal", false);
        m.u32("tokenizer.ggml.token_type_count", c.integer("type_vocab_size", 2));
        String act = c.string("hidden_act", "gelu");
        if (!act.equals("gelu")) throw c.invalid("hidden_act", "only 'gelu' (erf GELU, BERT's) is supported");
        String pos = c.string("position_embedding_type", "absolute");
        if (!pos.equals("absolute")) throw c.invalid("position_embedding_type", "only 'absolute' is supported");
    }

    /**
     * NomicBertModel.set_gguf_parameters: as BERT's, with RoPE (rope.freq_base) and SwiGLU only;
     * from transformers' config keys or nomic's own ({@code n_embd}, ..., as on the Hub), whose
     * checks and 8192 → 2048 context fix follow llama.cpp's converter.
     */
    private static void nomicBertKeys(HfConfig c, GgufMetadata m) {
        String a = "nomic-bert.";
        if (c.has("n_embd")) {
            m.u32(a + "block_count", c.integer("n_layer"));
            m.u32(a + "embedding_length", c.integer("n_embd"));
            m.u32(a + "feed_forward_length", c.integer("n_inner"));
            m.u32(a + "attention.head_count", c.integer("n_head"));
            long npos = c.integer("n_positions"), trained = c.integer("max_trained_positions", 2048);
            m.u32(a + "context_length", npos == 8192 && trained == 2048 ? 2048 : npos); // v1/v1.5 are trained for 2048
            m.f32(a + "rope.freq_base", c.has("rotary_emb_base") ? c.real("rotary_emb_base") : 1000.0);
            m.f32(a + "attention.layer_norm_epsilon", c.has("layer_norm_epsilon") ? c.real("layer_norm_epsilon") : 1e-12);
            if (!c.string("activation_function", "swiglu").equals("swiglu")) throw c.invalid("activation_function", "only 'swiglu' is supported");
            if (Boolean.TRUE.equals(c.raw("prenorm"))) throw c.invalid("prenorm", "only post-norm nomic-bert is supported");
            if (Boolean.TRUE.equals(c.raw("qkv_proj_bias")) || Boolean.TRUE.equals(c.raw("mlp_fc1_bias")) || Boolean.TRUE.equals(c.raw("mlp_fc2_bias"))) {
                throw c.invalid("qkv_proj_bias", "biases are not supported (nomic-embed-text v1/v1.5 have none)");
            }
            if (c.raw("rotary_emb_fraction") instanceof Number f && f.doubleValue() != 1.0) throw c.invalid("rotary_emb_fraction", "only 1.0 is supported");
            if (Boolean.TRUE.equals(c.raw("rotary_emb_interleaved"))) throw c.invalid("rotary_emb_interleaved", "only false (NeoX) is supported");
            if (c.raw("moe_every_n_layers") instanceof Long n && n > 0) throw c.invalid("moe_every_n_layers", "nomic-bert-moe is not supported");
        } else {
            CommonKeys.translate(c, m);
            m.f32(a + "attention.layer_norm_epsilon", c.has("layer_norm_eps") ? c.real("layer_norm_eps") : 1e-12);
        }
        m.bool(a + "attention.causal", false);
        m.u32("tokenizer.ggml.token_type_count", c.integer("type_vocab_size", 2));
        if (!m.asMap().containsKey(a + "rope.freq_base")) m.f32(a + "rope.freq_base", 1000.0); // NomicBertConfig's default theta
        String act = c.string("hidden_act", "silu");
        if (!act.equals("silu")) throw c.invalid("hidden_act", "only 'silu' (SwiGLU, nomic-embed-text's) is supported");
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
