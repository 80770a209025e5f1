package dev.ember.engine.safetensors;

import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.TensorType;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps every tensor of a checkpoint to its llama.cpp GGUF name through an {@link ArchTable} and
 * plans the few conversions llama.cpp's converter applies.
 *
 * <p><b>Experts.</b> llama.cpp stacks the per-expert matrices of a layer into one 3-D tensor
 * {@code blk.N.ffn_{gate,up,down}_exps.weight} of shape {@code [k, n, experts]}. HF checkpoints
 * store each expert separately, wherever the writer put it, so one contiguous 3-D view cannot be
 * made without copying. The plan is therefore a {@link TensorPlan.Pieces} of the expert matrices
 * in order: {@link HfCheckpoint#expert} hands out each expert as a zero-copy view, and
 * {@link HfCheckpoint#tensor} stacks them (one copy, at first use) for code that wants the 3-D
 * tensor; `ember convert` streams the pieces without any copy.
 *
 * transformers' fused expert tensors ({@code gate_up_proj} {@code [E, 2I, D]}) split the same
 * way: each expert's gate and up rows are contiguous, so every expert is still a view. GptOss
 * stores them transposed with gate and up interleaved ({@code [E, D, 2I]}); those are rearranged
 * element by element, as llama.cpp's converter does, and built once at first use.
 *
 * <p><b>Block-quantized weights.</b> FP8 and MXFP4 weights (DeepSeek's releases) are
 * dequantized at first use into BF16/F32 copies, scales read from their sibling tensors; see
 * {@link BlockDequant}. gpt-oss's MXFP4 experts as the Hub publishes them ({@code *_blocks} and
 * {@code *_scales}) stay MXFP4: their bytes are repacked into GGUF's block layout ({@link HubMxfp4}). Integer tables (DeepSeek-V4's {@code tid2eid}) become GGUF's I32.
 *
 * <p><b>Llama RoPE.</b> HF Llama rotates half-split pairs (NeoX); GGUF llama checkpoints have Q/K
 * rows permuted so that adjacent pairs rotate, and Ember's Llama family expects that. The planner
 * applies llama.cpp's permutation (a row gather, copied once at load) so an HF directory and the
 * GGUF converted from it hold the same tensors and give bit-identical results. The cost is one
 * copy of the Q and K matrices; reading the layout from metadata instead would avoid it but
 * would make HF Llama a different model from GGUF Llama for every consumer of the weights.
 */
final class TensorPlanner {
    /**
     * Layer tensors: transformers' {@code model.layers.N.}, DeepSeek's own {@code layers.N.}, BERT's
     * {@code [bert.]encoder.layer.N.}, nomic-bert's {@code encoder.layers.N.}.
     */
    private static final Pattern LAYER = Pattern.compile("(?:model\\.)?layers\\.(\\d+)\\.(.+)|(?:bert\\.)?encoder\\.layers?\\.(\\d+)\\.(.+)");

    private final ArchTable table;
    private final HfConfig config;
    private final Map<String, SafetensorsFile.Entry> source;
    private final int layers;
    /** GGUF name → plan; blocks in numeric order, like a llama.cpp file. */
    private final Map<String, TensorPlan> global = new LinkedHashMap<>();
    private final TreeMap<Integer, Map<String, TensorPlan>> blocks = new TreeMap<>();
    /** layer → GGUF stacked name → expert index → entry */
    private final Map<Integer, Map<String, TreeMap<Integer, SafetensorsFile.Entry>>> experts = new TreeMap<>();
    /** GGUF stacked name → index → entry, for the table's {@code stackedGlobals}. */
    private final Map<String, TreeMap<Integer, SafetensorsFile.Entry>> stackedGlobals = new LinkedHashMap<>();
    /** Scale tensors of block-quantized weights: read with their weight, never mapped on their own. */
    private final java.util.Set<String> scales = new java.util.HashSet<>();

    private TensorPlanner(ArchTable table, HfConfig config, Map<String, SafetensorsFile.Entry> source) {
        this.table = table;
        this.config = config;
        this.source = source;
        Long n = config.optionalInteger("num_hidden_layers", "n_layer"); // n_layer: nomic-bert's own config
        this.layers = Math.toIntExact(n != null ? n : config.integer("num_hidden_layers"));
    }

    static Map<String, TensorPlan> plan(ArchTable table, HfConfig config, Map<String, SafetensorsFile.Entry> source) {
        TensorPlanner p = new TensorPlanner(table, config, source);
        for (SafetensorsFile.Entry e : source.values()) {
            if (BlockDequant.isQuantized(e, source) && BlockDequant.scaleName(e, source) != null) p.scales.add(BlockDequant.scaleName(e, source));
            String hubScales = HubMxfp4.scalesOf(e.name());
            if (hubScales != null && source.containsKey(hubScales)) p.scales.add(hubScales);
        }
        for (SafetensorsFile.Entry e : source.values()) p.add(e);
        p.stackExperts();
        p.stackGlobals();
        p.ropeFreqs();
        List<String> computed = p.extraTensors();
        Map<String, TensorPlan> out = new LinkedHashMap<>();
        if (p.global.containsKey("token_embd.weight")) out.put("token_embd.weight", p.global.get("token_embd.weight"));
        if (p.global.containsKey("rope_freqs.weight")) out.put("rope_freqs.weight", p.global.get("rope_freqs.weight"));
        for (String extra : computed) out.put(extra, p.global.get(extra));
        p.blocks.values().forEach(out::putAll);
        out.putAll(p.global);
        return out;
    }

    private void add(SafetensorsFile.Entry e) {
        String name = e.name();
        if (name.endsWith("rotary_emb.inv_freq")) return; // recomputed from the config, as llama.cpp does
        if (scales.contains(name)) return;
        for (String skip : table.skipPrefixes()) if (name.startsWith(skip)) return;
        for (Map.Entry<String, String> st : table.stackedGlobals().entrySet()) {
            if (!name.startsWith(st.getKey())) continue;
            String[] parts = name.substring(st.getKey().length()).split("\\.");
            if (parts.length != 2 || !parts[1].equals("weight") || parts[0].isEmpty() || !parts[0].chars().allMatch(Character::isDigit)) throw unknown(e);
            stackedGlobals.computeIfAbsent(st.getValue(), k -> new TreeMap<>()).put(Integer.parseInt(parts[0]), e);
            return;
        }
        String globalName = table.globalTensors().get(name);
        if (globalName != null) {
            global.put(globalName, shifted(globalName, e));
            return;
        }
        Matcher m = LAYER.matcher(name);
        if (!m.matches()) throw unknown(e);
        boolean encoder = m.group(1) == null;
        int bid = number(m.group(encoder ? 3 : 1), "layer", e);
        String rest = m.group(encoder ? 4 : 2);
        if (bid >= layers) {
            if (table.skipExtraLayers()) return; // DeepSeek V3's multi-token-prediction block, unused for decoding
            throw new ModelLoadException(e.file() + ": tensor '" + name + "' belongs to layer " + bid + ", but config.json has num_hidden_layers = "
                    + layers + "; config.json does not match the weights");
        }
        String b = "blk." + bid + ".";
        Map<String, TensorPlan> block = blocks.computeIfAbsent(bid, k -> new LinkedHashMap<>());
        if (table.hasExperts() && rest.startsWith(table.expertPrefix())) {
            String[] parts = rest.substring(table.expertPrefix().length()).split("\\.");
            String gguf = parts.length == 3 && parts[2].equals("weight") ? table.expertProjs().get(parts[1]) : null;
            if (gguf == null || parts[0].isEmpty() || !parts[0].chars().allMatch(ch -> ch >= '0' && ch <= '9')) throw unknown(e);
            experts.computeIfAbsent(bid, k -> new LinkedHashMap<>()).computeIfAbsent(b + gguf, k -> new TreeMap<>())
                    .put(number(parts[0], "expert", e), e);
            return;
        }
        List<String> mxfp4 = table.mxfp4Experts().get(rest);
        if (mxfp4 != null) {
            HubMxfp4.plan(b, e, source, config, config.firstInteger("num_local_experts", "num_experts", "n_routed_experts"), mxfp4, block);
            return;
        }
        List<String> fused = table.fusedExperts().get(rest);
        if (fused != null) {
            if (table.fusedTransposed()) splitTransposedExperts(b, e, fused, block);
            else splitFusedExperts(b, e, fused, block);
            return;
        }
        if (table.splitKvB() && rest.equals("self_attn.kv_b_proj.weight")) {
            splitKvB(b, e, block);
            return;
        }
        String gguf = table.layerTensors().get(rest);
        if (gguf == null) throw unknown(e);
        String full = b + gguf;
        if (table.permuteQk() && (rest.startsWith("self_attn.q_proj.") || rest.startsWith("self_attn.k_proj."))) {
            long heads = config.integer("num_attention_heads");
            long kvHeads = config.integer("num_key_value_heads", heads);
            block.put(full, permuted(full, e, rest.startsWith("self_attn.q_proj.") ? heads : kvHeads));
        } else {
            block.put(full, shifted(full, e));
        }
    }

    /** {@link #direct}, plus the table's norm shift on norm weights (computed in float, stored F32: exact). */
    private TensorPlan shifted(String name, SafetensorsFile.Entry e) {
        TensorPlan plain = direct(name, e);
        float shift = table.normShift();
        if (shift == 0f || !e.name().endsWith("norm.weight")) return plain;
        return new TensorPlan.Computed(name, TensorType.F32, plain.shape(), (first, count, out) -> {
            plain.fillRows(first, count, out);
            for (int i = 0; i < count * plain.rowLength(); i++) out[i] += shift;
        });
    }

    /**
     * A layer or expert number from a tensor name (ASCII digits, already matched): one too large
     * for an int is a load error naming the tensor, not a NumberFormatException (fuzz finding).
     */
    private static int number(String digits, String what, SafetensorsFile.Entry e) {
        String trimmed = digits.replaceFirst("^0+(?=.)", "");
        if (trimmed.length() > 9 && (trimmed.length() > 10 || Long.parseLong(trimmed) > Integer.MAX_VALUE)) {
            throw new ModelLoadException(e.file() + ": tensor '" + e.name() + "' has " + what + " number " + digits + ", out of range");
        }
        return Integer.parseInt(trimmed);
    }

    private ModelLoadException unknown(SafetensorsFile.Entry e) {
        return new ModelLoadException(e.file() + ": tensor '" + e.name() + "' has no GGUF name in Ember's "
                + table.ggufArch() + " table (" + String.join("/", table.hfClasses())
                + "); the checkpoint has parts Ember does not know, or config.json names the wrong architecture");
    }

    private static long[] ggmlShape(long[] hf) {
        long[] s = new long[hf.length];
        for (int i = 0; i < hf.length; i++) s[i] = hf[hf.length - 1 - i];
        return s;
    }

    /**
     * A tensor used as stored, except that block-quantized weights (FP8, MXFP4) are dequantized
     * (see {@link BlockDequant}) and integer tables become I32.
     */
    private TensorPlan direct(String name, SafetensorsFile.Entry e) {
        if (BlockDequant.isQuantized(e, source)) {
            BlockDequant.Matrix q = quantized(e);
            return new TensorPlan.Computed(name, q.storedType(), ggmlShape(q.shape()), q::fillRows);
        }
        if (e.dtype().equals("I64") || e.dtype().equals("I32")) {
            return new TensorPlan.Integers(name, ggmlShape(e.shape()), e.data(), Dtypes.byteWidth(e.dtype()));
        }
        return TensorPlan.Pieces.of(name, Dtypes.tensorType(e), ggmlShape(e.shape()), e.data());
    }

    private BlockDequant.Matrix quantized(SafetensorsFile.Entry e) {
        return BlockDequant.of(e, source, fp8BlockSize());
    }

    /** {@code quantization_config.weight_block_size}, or null for DeepSeek's 128x128. */
    private long[] fp8BlockSize() {
        if (!(config.object("quantization_config").get("weight_block_size") instanceof List<?> l)) return null;
        if (l.size() != 2 || !(l.get(0) instanceof Long r) || !(l.get(1) instanceof Long c) || r <= 0 || c <= 0) {
            throw config.invalid("quantization_config", "weight_block_size must be two positive integers [rows, cols]");
        }
        return new long[] {r, c};
    }

    /**
     * transformers' fused expert tensor {@code [E, R, C]} (e.g. {@code gate_up_proj}: each
     * expert's gate rows, then its up rows) as the GGUF stacked tensors it holds: expert {@code e}
     * of part {@code j} is rows {@code e·R + j·R/parts ..} of the mapping, so each expert stays a
     * zero-copy view ({@link HfCheckpoint#expert}).
     */
    private void splitFusedExperts(String b, SafetensorsFile.Entry e, List<String> ggufNames, Map<String, TensorPlan> block) {
        long count = config.firstInteger("num_local_experts", "num_experts", "n_routed_experts");
        long[] s = e.shape();
        if (s.length != 3 || s[0] != count || s[1] % ggufNames.size() != 0) {
            throw new ModelLoadException(e.file() + ": fused expert tensor '" + e.name() + "' is " + Arrays.toString(s) + ", expected ["
                    + count + " experts, " + ggufNames.size() + " x rows, cols] (expert count from config.json)");
        }
        if (BlockDequant.isQuantized(e, source)) {
            throw new ModelLoadException(e.file() + ": fused expert tensor '" + e.name() + "' is " + e.dtype()
                    + "; quantized experts are read per expert (DeepSeek's layers.N.ffn.experts.E.w1/w2/w3 with .scale)");
        }
        TensorType type = Dtypes.tensorType(e);
        long rows = s[1] / ggufNames.size();
        long rowBytes = type.bytesFor(s[2]);
        for (int j = 0; j < ggufNames.size(); j++) {
            List<MemorySegment> parts = new ArrayList<>();
            for (long x = 0; x < count; x++) parts.add(e.data().asSlice((x * s[1] + j * rows) * rowBytes, rows * rowBytes));
            String name = b + ggufNames.get(j);
            block.put(name, new TensorPlan.Pieces(name, type, new long[] {s[2], rows, count}, parts));
        }
    }

    /**
     * transformers' GptOss expert tensors as llama.cpp's converter writes them: a weight
     * {@code [E, C, P·R]} (applied as {@code x @ W}) becomes P stacked tensors of GGML shape
     * {@code [C, R, E]}, part {@code j} taking columns {@code j, j + P, ...} transposed (P = 2 for
     * {@code gate_up_proj}: gate and up interleaved; 1 for {@code down_proj}); a bias
     * {@code [E, P·R]} becomes P tensors {@code [R, E]} the same way.
     */
    private void splitTransposedExperts(String b, SafetensorsFile.Entry e, List<String> ggufNames, Map<String, TensorPlan> block) {
        long count = config.firstInteger("num_local_experts", "num_experts", "n_routed_experts");
        long[] s = e.shape();
        int parts = ggufNames.size();
        if ((s.length != 3 && s.length != 2) || s[0] != count || s[s.length - 1] % parts != 0) {
            throw new ModelLoadException(e.file() + ": expert tensor '" + e.name() + "' is " + Arrays.toString(s) + ", expected ["
                    + count + " experts, (cols,) " + parts + " x rows] (expert count from config.json)");
        }
        if (BlockDequant.isQuantized(e, source)) {
            throw new ModelLoadException(e.file() + ": expert tensor '" + e.name() + "' is " + e.dtype() + "; only BF16/F16/F32 gpt-oss experts are supported");
        }
        TensorType type = Dtypes.tensorType(e);
        MemorySegment data = e.data();
        long width = s[s.length - 1];           // P·R: one source row
        long rows = width / parts;              // R
        long cols = s.length == 3 ? s[1] : 1;   // C: source rows per expert
        long elem = type.bytesFor(1);
        for (int j = 0; j < parts; j++) {
            int part = j;
            String name = b + ggufNames.get(j);
            if (s.length == 2) {
                block.put(name, new TensorPlan.Computed(name, type, new long[] {rows, count}, (first, n, out) -> {
                    float[] src = new float[Math.toIntExact(width)];
                    for (int x = 0; x < n; x++) {
                        Dequant.row(type, data, (first + x) * width * elem, src.length, src, 0);
                        for (int r = 0; r < rows; r++) out[Math.toIntExact(x * rows + r)] = src[Math.toIntExact(r * parts + part)];
                    }
                }));
                continue;
            }
            // GGUF row (expert x, output r) of length C is source column r·P + j of expert x's C rows.
            // Each source row is decoded only over the span the requested rows need.
            block.put(name, new TensorPlan.Computed(name, type, new long[] {cols, rows, count}, (first, n, out) -> {
                float[] src = new float[Math.toIntExact(Math.min(width, (long) n * parts))];
                for (int done = 0; done < n; ) {
                    long row = first + done;
                    long x = row / rows;
                    long r0 = row % rows;
                    int run = (int) Math.min(n - done, rows - r0); // rows left in this expert
                    for (long c = 0; c < cols; c++) {
                        Dequant.row(type, data, ((x * cols + c) * width + r0 * parts) * elem, run * parts, src, 0);
                        for (int i = 0; i < run; i++) out[Math.toIntExact((done + i) * cols + c)] = src[i * parts + part];
                    }
                    done += run;
                }
            }));
        }
    }

    /**
     * llama.cpp's {@code LlamaModel.permute}: within each head of {@code hd} rows, GGUF row
     * {@code 2i + j} is HF row {@code j * hd/2 + i}. Works for weights (units are rows) and
     * biases (units are elements).
     */
    private TensorPlan permuted(String name, SafetensorsFile.Entry e, long heads) {
        TensorType type = Dtypes.tensorType(e);
        long units = e.shape()[0];
        if (heads <= 0) {
            throw new ModelLoadException(e.file() + ": tensor '" + e.name() + "' needs a positive head count, but config.json gives " + heads
                    + "; check num_attention_heads / num_key_value_heads");
        }
        if (units == 0 || units % (2 * heads) != 0) {
            throw new ModelLoadException(e.file() + ": tensor '" + e.name() + "' has " + units + " rows, not a multiple of 2 x " + heads
                    + " heads; num_attention_heads / num_key_value_heads in config.json do not match the weights");
        }
        long unitBytes = e.data().byteSize() / units;
        long hd = units / heads;
        List<MemorySegment> parts = new ArrayList<>((int) units);
        for (long h = 0; h < heads; h++) {
            for (long i = 0; i < hd / 2; i++) {
                for (long j = 0; j < 2; j++) {
                    long src = h * hd + j * (hd / 2) + i;
                    parts.add(e.data().asSlice(src * unitBytes, unitBytes));
                }
            }
        }
        return new TensorPlan.Pieces(name, type, ggmlShape(e.shape()), parts);
    }

    /**
     * DeepSeek's {@code kv_b_proj} ({@code [heads * (nope + v), kv_lora]}) becomes llama.cpp's
     * {@code attn_k_b} (per head the nope rows transposed: GGML {@code [nope, kv_lora, heads]}) and
     * {@code attn_v_b} (per head the v rows: {@code [kv_lora, v, heads]}), the layout MLA's
     * absorbed decode multiplies with directly.
     */
    private void splitKvB(String b, SafetensorsFile.Entry e, Map<String, TensorPlan> block) {
        TensorType type = Dtypes.tensorType(e);
        long heads = config.integer("num_attention_heads");
        long nope = config.integer("qk_nope_head_dim");
        long v = config.integer("v_head_dim");
        // the shape is checked before it is indexed (fuzz finding: a 1-D kv_b_proj threw ArrayIndexOutOfBoundsException)
        if (e.shape().length != 2 || e.shape()[0] != heads * (nope + v)) {
            throw new ModelLoadException(e.file() + ": tensor '" + e.name() + "' is " + Arrays.toString(e.shape()) + ", expected ["
                    + heads * (nope + v) + ", kv_lora_rank] from num_attention_heads x (qk_nope_head_dim + v_head_dim) in config.json");
        }
        long lora = e.shape()[1];
        long rowBytes = type.bytesFor(lora);
        long elemBytes = type.bytesFor(1);
        MemorySegment data = e.data();
        block.put(b + "attn_k_b.weight", new TensorPlan.Computed(b + "attn_k_b.weight", type, new long[] {nope, lora, heads},
                (first, count, out) -> {
                    for (int r = 0; r < count; r++) {
                        long row = first + r;
                        long h = row / lora;
                        long c = row % lora;
                        for (int j = 0; j < nope; j++) {
                            long at = (h * (nope + v) + j) * rowBytes + c * elemBytes;
                            Dequant.row(type, data, at, 1, out, (int) (r * nope + j));
                        }
                    }
                }));
        List<MemorySegment> vParts = new ArrayList<>();
        for (long h = 0; h < heads; h++) vParts.add(data.asSlice((h * (nope + v) + nope) * rowBytes, v * rowBytes));
        block.put(b + "attn_v_b.weight", new TensorPlan.Pieces(b + "attn_v_b.weight", type, new long[] {lora, v, heads}, vParts));
    }

    private void stackExperts() {
        if (!table.hasExperts()) return;
        long count = config.firstInteger("num_local_experts", "num_experts", "n_routed_experts");
        experts.forEach((bid, byName) -> byName.forEach((name, byIndex) -> {
            SafetensorsFile.Entry first = byIndex.firstEntry().getValue();
            for (int x = 0; x < count; x++) {
                SafetensorsFile.Entry ex = byIndex.get(x);
                if (ex == null) {
                    throw new ModelLoadException(config.file().getParent() + ": layer " + bid + " has no expert " + x + " for " + name
                            + " (" + byIndex.size() + " of " + count + " experts found); a shard is missing or the expert count in config.json is wrong");
                }
                if (!Arrays.equals(ex.shape(), first.shape()) || !ex.dtype().equals(first.dtype())) {
                    throw new ModelLoadException(ex.file() + ": expert tensor '" + ex.name() + "' is " + ex.dtype() + " " + Arrays.toString(ex.shape())
                            + ", unlike expert 0 (" + first.dtype() + " " + Arrays.toString(first.shape()) + ")");
                }
            }
            if (byIndex.lastKey() >= count) {
                throw new ModelLoadException(byIndex.lastEntry().getValue().file() + ": expert " + byIndex.lastKey() + " exceeds the expert count "
                        + count + " in config.json");
            }
            long[] hf = first.shape();
            if (BlockDequant.isQuantized(first, source)) {
                blocks.get(bid).put(name, dequantizedExperts(name, byIndex));
                return;
            }
            List<MemorySegment> parts = new ArrayList<>();
            for (SafetensorsFile.Entry ex : byIndex.values()) parts.add(ex.data());
            blocks.get(bid).put(name, new TensorPlan.Pieces(name, Dtypes.tensorType(first), new long[] {hf[1], hf[0], count}, parts));
        }));
    }

    /**
     * Numbered matrices outside the layers (Gemma 3n's {@code altup_projections.K}) as one 3-D
     * tensor {@code [cols, rows, count]}, K in order, pieces of the mapping like stacked experts.
     */
    private void stackGlobals() {
        stackedGlobals.forEach((name, byIndex) -> {
            SafetensorsFile.Entry first = byIndex.firstEntry().getValue();
            List<MemorySegment> parts = new ArrayList<>();
            int expect = 0;
            for (Map.Entry<Integer, SafetensorsFile.Entry> x : byIndex.entrySet()) {
                SafetensorsFile.Entry ex = x.getValue();
                if (x.getKey() != expect++ || !Arrays.equals(ex.shape(), first.shape()) || !ex.dtype().equals(first.dtype()) || ex.shape().length != 2
                        || BlockDequant.isQuantized(ex, source)) {
                    throw new ModelLoadException(ex.file() + ": tensor '" + ex.name() + "' does not stack with " + first.name()
                            + " into " + name + " (indices from 0, one shape and type, unquantized)");
                }
                parts.add(ex.data());
            }
            long[] hf = first.shape();
            global.put(name, new TensorPlan.Pieces(name, Dtypes.tensorType(first), new long[] {hf[1], hf[0], byIndex.size()}, parts));
        });
    }

    /**
     * Per-expert FP8 or MXFP4 matrices as one dequantized stack (rows of expert 0, then expert 1,
     * ...), built once at first use: {@link HfCheckpoint#expert} then slices that copy.
     */
    private TensorPlan dequantizedExperts(String name, TreeMap<Integer, SafetensorsFile.Entry> byIndex) {
        List<BlockDequant.Matrix> mats = new ArrayList<>();
        for (SafetensorsFile.Entry ex : byIndex.values()) mats.add(quantized(ex));
        BlockDequant.Matrix first = mats.getFirst();
        for (BlockDequant.Matrix m : mats) {
            if (m.storedType() != first.storedType() || m.format() != first.format()) {
                throw new ModelLoadException(m.weight().file() + ": expert tensor '" + m.name() + "' is " + m.format() + " with "
                        + m.scale().dtype() + " scales, unlike expert 0 (" + first.format() + " with " + first.scale().dtype() + ")");
            }
        }
        long n = first.rows();
        return new TensorPlan.Computed(name, first.storedType(), new long[] {first.cols(), n, mats.size()}, (start, count, out) -> {
            int k = Math.toIntExact(first.cols());
            for (int r = 0; r < count; ) {
                long row = start + r;
                int x = Math.toIntExact(row / n);
                int run = (int) Math.min(count - r, n - row % n); // rows left in this expert
                mats.get(x).fillRows(row % n, run, out, r * k);
                r += run;
            }
        });
    }

    /** Llama 3.1's frequency-dependent scaling, as llama.cpp's LlamaModel.generate_extra_tensors computes it. */
    private void ropeFreqs() {
        Map<String, Object> rp = CommonKeys.ropeParameters(config);
        if (!"llama3".equals(rp.getOrDefault("rope_type", rp.get("type")))) return;
        double base = rp.get("rope_theta") instanceof Number n ? n.doubleValue() : config.has("rope_theta") ? config.real("rope_theta") : 10000.0;
        long dim = config.has("head_dim") ? config.integer("head_dim") : config.integer("hidden_size") / config.integer("num_attention_heads");
        double factor = num(rp, "factor", 8.0);
        double low = num(rp, "low_freq_factor", 1.0);
        double high = num(rp, "high_freq_factor", 4.0);
        double old = num(rp, "original_max_position_embeddings", 8192);
        float[] factors = new float[(int) (dim / 2)];
        for (int i = 0; i < factors.length; i++) {
            // torch computes the frequencies in float32: base ** (arange(0, dim, 2) / dim)
            float freq = (float) (1.0 / Math.pow(base, (float) (2 * i) / (float) dim));
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < old / high) factors[i] = 1f;
            else if (wavelen > old / low) factors[i] = (float) factor;
            else {
                double smooth = (old / wavelen - low) / (high - low);
                factors[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        global.put("rope_freqs.weight", new TensorPlan.Computed("rope_freqs.weight", TensorType.F32, new long[] {factors.length},
                (first, c, out) -> System.arraycopy(factors, 0, out, 0, factors.length)));
    }

    /**
     * The table's tensors computed from config.json (Phi-3's LongRoPE factor sets, as llama.cpp's
     * Phi3MiniModel.generate_extra_tensors writes them), as F32; their names in order.
     */
    private List<String> extraTensors() {
        Map<String, float[]> extra = table.extraTensors().compute(config);
        extra.forEach((name, values) -> global.put(name, vectorPlan(name, values)));
        return List.copyOf(extra.keySet());
    }

    private static TensorPlan vectorPlan(String name, float[] values) {
        return new TensorPlan.Computed(name, TensorType.F32, new long[] {values.length},
                (first, c, out) -> System.arraycopy(values, 0, out, 0, values.length));
    }

    private static double num(Map<String, Object> m, String key, double fallback) {
        return m.get(key) instanceof Number n ? n.doubleValue() : fallback;
    }
}
