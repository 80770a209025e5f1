package dev.ember.engine.safetensors;

import dev.ember.engine.model.ModelLoadException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One architecture family's translation from a Hugging Face checkpoint to llama.cpp's GGUF
 * conventions, as {@code convert_hf_to_gguf.py} does it: which transformers classes it serves,
 * the GGUF architecture string, per-layer tensor names, how experts are named, the one-off
 * tensor conversions, and the config keys. Each family declares its tables beside its class
 * ({@code model.family}, {@link dev.ember.engine.model.family.ModelFamily#hfTables}); this
 * package only applies them ({@link TensorPlanner}, {@link HfCheckpoint}). Built with
 * {@link #of}: a table states only what its family does differently from a plain transformers
 * causal LM.
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
 * @param extraTensors  F32 vectors computed from config.json that the converter adds (Phi-3's LongRoPE factor sets)
 * @param mxfp4Experts  HF name after {@code model.layers.N.} of a tensor of every expert's MXFP4 blocks in the Hub's
 *                      layout ({@code X_blocks} {@code [E, parts x R, C/32, 16]} with {@code X_scales} beside it,
 *                      openai/gpt-oss's) → the GGUF stacked names its rows split into, interleaved (row
 *                      {@code r} goes to part {@code r % parts}); kept as GGUF MXFP4, see {@link HubMxfp4}
 */
public record ArchTable(
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
        Map<String, String> stackedGlobals,
        ExtraTensors extraTensors,
        Map<String, List<String>> mxfp4Experts) {

    /** The names every transformers causal LM uses outside its layers. */
    public static final Map<String, String> TRANSFORMERS_GLOBALS = Map.of(
            "model.embed_tokens.weight", "token_embd.weight",
            "model.norm.weight", "output_norm.weight",
            "lm_head.weight", "output.weight");

    /** Writes a family's GGUF metadata from config.json. */
    @FunctionalInterface
    public interface ConfigTranslator {
        void translate(HfConfig config, GgufMetadata out);
    }

    /** GGUF name → F32 values of the tensors computed from config.json, in the order they are written; empty for none. */
    @FunctionalInterface
    public interface ExtraTensors {
        Map<String, float[]> compute(HfConfig config);
    }

    /**
     * A table for the transformers classes {@code hfClasses}, converted to GGUF architecture
     * {@code ggufArch}, with config keys written by {@code config}; everything else starts as a
     * dense transformers causal LM (transformers' global names, no experts, no conversions).
     */
    public static Builder of(String ggufArch, List<String> hfClasses, ConfigTranslator config) {
        return new Builder(ggufArch, hfClasses, config);
    }

    boolean hasExperts() { return expertPrefix != null; }

    /** The table serving transformers class {@code hfClass} (config.json's first architecture), or an error listing the supported ones. */
    static ArchTable forClass(List<ArchTable> tables, String hfClass, HfConfig config) {
        for (ArchTable t : tables) if (t.hfClasses().contains(hfClass)) return t;
        TreeSet<String> supported = new TreeSet<>();
        for (ArchTable t : tables) supported.addAll(t.hfClasses());
        throw new ModelLoadException(config.file() + ": unsupported architecture '" + hfClass + "' (supported: " + String.join(", ", supported)
                + "); convert the model with llama.cpp's convert_hf_to_gguf.py if it supports it, or use a GGUF file");
    }

    /** What a family states about its checkpoints; each setter names one departure from the plain transformers layout. */
    public static final class Builder {
        private final String ggufArch;
        private final List<String> hfClasses;
        private final ConfigTranslator config;
        private Map<String, String> layerTensors = Map.of();
        private String expertPrefix;
        private Map<String, String> expertProjs = Map.of();
        private boolean permuteQk, splitKvB, skipExtraLayers, fusedTransposed;
        private Map<String, String> globalTensors = TRANSFORMERS_GLOBALS;
        private List<String> skipPrefixes = List.of();
        private Map<String, List<String>> fusedExperts = Map.of();
        private float normShift;
        private Map<String, String> stackedGlobals = Map.of();
        private ExtraTensors extraTensors = c -> Map.of();
        private Map<String, List<String>> mxfp4Experts = Map.of();

        private Builder(String ggufArch, List<String> hfClasses, ConfigTranslator config) {
            this.ggufArch = ggufArch;
            this.hfClasses = List.copyOf(hfClasses);
            this.config = config;
        }

        public Builder layers(Map<String, String> layerTensors) { this.layerTensors = Map.copyOf(layerTensors); return this; }

        /** Experts stored one by one under {@code prefix} ({@code E.<proj>.weight}), projections renamed by {@code projs}. */
        public Builder experts(String prefix, Map<String, String> projs) {
            this.expertPrefix = prefix;
            this.expertProjs = Map.copyOf(projs);
            return this;
        }

        /** Experts fused per layer ({@code [E, R, C]}), split into the listed GGUF stacks. */
        public Builder fusedExperts(Map<String, List<String>> fused) { this.fusedExperts = Map.copyOf(fused); return this; }

        /** The fused experts are transposed and their parts interleaved (gpt-oss). */
        public Builder fusedTransposed() { this.fusedTransposed = true; return this; }

        public Builder permuteQk() { this.permuteQk = true; return this; }

        public Builder splitKvB() { this.splitKvB = true; return this; }

        public Builder skipExtraLayers() { this.skipExtraLayers = true; return this; }

        /** The names outside the layers, replacing {@link #TRANSFORMERS_GLOBALS}. */
        public Builder globals(Map<String, String> globalTensors) { this.globalTensors = Map.copyOf(globalTensors); return this; }

        public Builder skip(String... prefixes) { this.skipPrefixes = List.of(prefixes); return this; }

        public Builder normShift(float shift) { this.normShift = shift; return this; }

        public Builder stackedGlobals(Map<String, String> stacked) { this.stackedGlobals = Map.copyOf(stacked); return this; }

        public Builder extraTensors(ExtraTensors extra) { this.extraTensors = extra; return this; }

        /** Experts fused per layer as the Hub's MXFP4 blocks and scales, their rows interleaved over the listed GGUF stacks. */
        public Builder mxfp4Experts(Map<String, List<String>> blocks) { this.mxfp4Experts = Map.copyOf(blocks); return this; }

        public ArchTable build() {
            return new ArchTable(ggufArch, hfClasses, layerTensors, expertPrefix, expertProjs, permuteQk, splitKvB, skipExtraLayers, config,
                    globalTensors, skipPrefixes, fusedExperts, normShift, fusedTransposed, stackedGlobals, extraTensors, mxfp4Experts);
        }
    }

    /** The union of name fragments, later ones winning (families compose their tables from shared fragments). */
    @SafeVarargs
    public static Map<String, String> merge(Map<String, String>... parts) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Map<String, String> p : parts) m.putAll(p);
        return Map.copyOf(m);
    }

    /** HF spelling → GGUF name, from rows of {GGUF name, spelling, spelling, ...}. */
    public static Map<String, String> spellings(String[][] rows) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String[] row : rows) {
            for (int i = 1; i < row.length; i++) m.put(row[i], row[0]);
        }
        return Map.copyOf(m);
    }
}
