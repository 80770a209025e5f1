package dev.ember.engine.safetensors;

import java.util.List;
import java.util.Map;

/**
 * One architecture family's translation from a Hugging Face checkpoint to llama.cpp's GGUF
 * conventions, as {@code convert_hf_to_gguf.py} does it: which transformers classes it serves,
 * the GGUF architecture string, per-layer tensor names, how experts are named, the one-off
 * tensor conversions, and the config keys.
 *
 * @param layerTensors  HF name after {@code model.layers.N.} → GGUF name after {@code blk.N.}
 * @param expertPrefix  HF per-expert prefix after {@code model.layers.N.}, e.g. {@code mlp.experts.}
 *                      (then {@code E.<proj>.weight}); null for dense families
 * @param expertProjs   HF per-expert projection name → GGUF stacked name (e.g. {@code w1} → {@code ffn_gate_exps})
 * @param permuteQk     Llama: permute Q/K rows from HF's half-split RoPE layout to GGUF's adjacent pairs
 * @param splitKvB      DeepSeek MLA: split {@code kv_b_proj} into {@code attn_k_b} (transposed) and {@code attn_v_b}
 * @param skipExtraLayers layers at or past {@code num_hidden_layers} are dropped (DeepSeek V3's MTP block)
 * @param globalTensors full HF name of a tensor outside the layers → its GGUF name
 * @param skipPrefixes  HF name prefixes that are not part of the decoding model (DeepSeek-V4's {@code mtp.} block)
 * @param fusedExperts  HF name after {@code model.layers.N.} of a tensor holding every expert ({@code [E, R, C]}) →
 *                      the GGUF stacked names its R rows split into, in order (transformers' {@code gate_up_proj})
 * @param normShift     added to every {@code *norm.weight} (Gemma's RMSNorm scales by 1 + w; GGUF stores 1 + w)
 * @param fusedTransposed the fused expert tensors are stored as the input multiplies them
 *                      ({@code x @ W}: {@code [E, C, parts x R]}, transformers' GptOss), their parts interleaved
 *                      on the last axis ({@code gate_up_proj[..., ::2]} is the gate); biases {@code [E, parts x R]} likewise
 * @param stackedGlobals HF prefix of numbered matrices outside the layers ({@code model.altup_projections.} then
 *                      {@code K.weight}) → the GGUF name of their 3-D stack {@code [cols, rows, count]}, as
 *                      llama.cpp's gemma3n converter stacks them
 */
record ArchTable(
        String ggufArch,
        List<String> hfClasses,
        Map<String, String> layerTensors,
        String expertPrefix,
        Map<String, String> expertProjs,
        boolean permuteQk,
        boolean splitKvB,
        boolean skipExtraLayers,
        ConfigTranslator config,
        Map<String, String> globalTensors,
        List<String> skipPrefixes,
        Map<String, List<String>> fusedExperts,
        float normShift,
        boolean fusedTransposed,
        Map<String, String> stackedGlobals) {

    ArchTable(String ggufArch, List<String> hfClasses, Map<String, String> layerTensors, String expertPrefix,
              Map<String, String> expertProjs, boolean permuteQk, boolean splitKvB, boolean skipExtraLayers, ConfigTranslator config,
              Map<String, String> globalTensors, List<String> skipPrefixes, Map<String, List<String>> fusedExperts, float normShift) {
        this(ggufArch, hfClasses, layerTensors, expertPrefix, expertProjs, permuteQk, splitKvB, skipExtraLayers, config,
                globalTensors, skipPrefixes, fusedExperts, normShift, false, Map.of());
    }

    /** With transposed fused experts (gpt-oss). */
    ArchTable(String ggufArch, List<String> hfClasses, Map<String, String> layerTensors, String expertPrefix,
              Map<String, String> expertProjs, boolean permuteQk, boolean splitKvB, boolean skipExtraLayers, ConfigTranslator config,
              Map<String, String> globalTensors, List<String> skipPrefixes, Map<String, List<String>> fusedExperts, float normShift,
              boolean fusedTransposed) {
        this(ggufArch, hfClasses, layerTensors, expertPrefix, expertProjs, permuteQk, splitKvB, skipExtraLayers, config,
                globalTensors, skipPrefixes, fusedExperts, normShift, fusedTransposed, Map.of());
    }

    /** With stacked global matrices (Gemma 3n). */
    ArchTable(String ggufArch, List<String> hfClasses, Map<String, String> layerTensors, String expertPrefix,
              Map<String, String> expertProjs, boolean permuteQk, boolean splitKvB, boolean skipExtraLayers, ConfigTranslator config,
              Map<String, String> globalTensors, List<String> skipPrefixes, Map<String, List<String>> fusedExperts, float normShift,
              Map<String, String> stackedGlobals) {
        this(ggufArch, hfClasses, layerTensors, expertPrefix, expertProjs, permuteQk, splitKvB, skipExtraLayers, config,
                globalTensors, skipPrefixes, fusedExperts, normShift, false, stackedGlobals);
    }

    ArchTable(String ggufArch, List<String> hfClasses, Map<String, String> layerTensors, String expertPrefix,
              Map<String, String> expertProjs, boolean permuteQk, boolean splitKvB, boolean skipExtraLayers, ConfigTranslator config,
              Map<String, String> globalTensors, List<String> skipPrefixes, Map<String, List<String>> fusedExperts) {
        this(ggufArch, hfClasses, layerTensors, expertPrefix, expertProjs, permuteQk, splitKvB, skipExtraLayers, config,
                globalTensors, skipPrefixes, fusedExperts, 0f);
    }

    /** The names every transformers causal LM uses outside its layers. */
    static final Map<String, String> TRANSFORMERS_GLOBALS = Map.of(
            "model.embed_tokens.weight", "token_embd.weight",
            "model.norm.weight", "output_norm.weight",
            "lm_head.weight", "output.weight");

    /** A family whose checkpoints use transformers' names outside the layers and store experts one by one. */
    ArchTable(String ggufArch, List<String> hfClasses, Map<String, String> layerTensors, String expertPrefix,
              Map<String, String> expertProjs, boolean permuteQk, boolean splitKvB, boolean skipExtraLayers, ConfigTranslator config) {
        this(ggufArch, hfClasses, layerTensors, expertPrefix, expertProjs, permuteQk, splitKvB, skipExtraLayers, config,
                TRANSFORMERS_GLOBALS, List.of(), Map.of());
    }

    /** Writes a family's GGUF metadata from config.json. */
    @FunctionalInterface
    interface ConfigTranslator {
        void translate(HfConfig config, GgufMetadata out);
    }

    boolean hasExperts() { return expertPrefix != null; }
}
