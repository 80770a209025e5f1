package dev.ember.engine.safetensors;

import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.tensor.TensorType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Experts in MXFP4 as openai/gpt-oss publishes them (config.json {@code quantization_config:
 * {quant_method: "mxfp4"}}), kept as GGUF's native MXFP4 instead of being dequantized: the two
 * formats share the block (32 elements, one E8M0 scale, 16 bytes of E2M1 codes) and differ only
 * in where the bytes sit, so the repack is exact and the weights stay at 4.25 bits.
 *
 * <p>The Hub layout, as transformers' {@code integrations/mxfp4.py} reads it
 * ({@code convert_moe_packed_tensors}): {@code X_blocks} U8 {@code [E, rows, cols/32, 16]} and
 * {@code X_scales} U8 {@code [E, rows, cols/32]}; row {@code r} is output {@code r} of the
 * projection; in block byte {@code k} the low nibble is element {@code 2k}, the high nibble element
 * {@code 2k + 1}; a scale byte {@code s} means {@code 2^(s - 127)}. {@code gate_up_proj_blocks}
 * interleaves the gate (even rows) and up (odd rows) outputs, as transformers' float
 * {@code gate_up_proj[..., ::2]} does.
 *
 * <p>GGUF MXFP4 ({@code block_mxfp4} in ggml-common.h): per block the scale byte, then 16 bytes
 * where byte {@code j} holds element {@code j} in its low nibble and element {@code j + 16} in its
 * high nibble (llama.cpp's converter, GptOssModel.transform_nibble_layout, does this shuffle); the
 * same scale byte, its codes stored doubled with the scale halved ({@link TensorType#MXFP4}).
 * Each stacked tensor's row {@code (expert x, output r)} of part {@code j} is Hub row
 * {@code r·parts + j} of expert {@code x}, as llama.cpp splits {@code blocks[:, ::2]} and
 * {@code blocks[:, 1::2]}.
 */
final class HubMxfp4 {
    static final String BLOCKS = "_blocks", SCALES = "_scales";
    private static final int BLOCK = 32, CODE_BYTES = 16;
    private static final List<String> SCALE_TYPES = List.of("U8", "F8_E8M0");

    private HubMxfp4() {}

    /** The scale tensor beside blocks tensor {@code name}, or null when {@code name} does not name blocks. */
    static String scalesOf(String name) {
        return name.endsWith(BLOCKS) ? name.substring(0, name.length() - BLOCKS.length()) + SCALES : null;
    }

    /**
     * Plans the blocks tensor {@code e} (all {@code experts} experts of one layer) and its scales as
     * the GGUF MXFP4 stacks {@code b + ggufNames[j]}, GGML shape {@code [cols, rows/parts, experts]}.
     */
    static void plan(String b, SafetensorsFile.Entry e, Map<String, SafetensorsFile.Entry> all, HfConfig config, long experts,
                     List<String> ggufNames, Map<String, TensorPlan> block) {
        Object method = config.object("quantization_config").get("quant_method");
        if (method != null && !"mxfp4".equals(method)) {
            throw new ModelLoadException(e.file() + ": tensor '" + e.name() + "' holds MXFP4 blocks, but config.json's quantization_config"
                    + " says quant_method \"" + method + "\"; the Hub's gpt-oss layout has \"mxfp4\"");
        }
        int parts = ggufNames.size();
        long[] s = e.shape();
        if (!e.dtype().equals("U8")) {
            throw new ModelLoadException(e.file() + ": MXFP4 blocks '" + e.name() + "' are " + e.dtype()
                    + "; they must be U8, two E2M1 codes per byte");
        }
        if (s.length != 4 || s[0] != experts || s[1] <= 0 || s[1] % parts != 0 || s[2] <= 0 || s[3] != CODE_BYTES) {
            throw new ModelLoadException(e.file() + ": MXFP4 blocks '" + e.name() + "' are " + Arrays.toString(s) + ", expected ["
                    + experts + " experts, " + (parts > 1 ? parts + " x " : "") + "rows, cols/32, 16] (one 16-byte block per 32 elements;"
                    + " the expert count comes from config.json)");
        }
        String scaleName = scalesOf(e.name());
        SafetensorsFile.Entry scales = all.get(scaleName);
        if (scales == null) {
            throw new ModelLoadException(e.file() + ": MXFP4 blocks '" + e.name() + "' have no scales '" + scaleName
                    + "' beside them; the checkpoint is incomplete");
        }
        long[] scaleShape = Arrays.copyOf(s, 3);
        if (!SCALE_TYPES.contains(scales.dtype()) || !Arrays.equals(scales.shape(), scaleShape)) {
            throw new ModelLoadException(scales.file() + ": MXFP4 scales '" + scaleName + "' are " + scales.dtype() + " "
                    + Arrays.toString(scales.shape()) + ", but blocks " + Arrays.toString(s) + " need U8 (E8M0) " + Arrays.toString(scaleShape)
                    + ": one scale per 32-element block");
        }
        long hubRows = s[1];
        long rows = hubRows / parts;
        int groups = Math.toIntExact(s[2]);
        long cols = (long) groups * BLOCK;
        // An expert's fused input projection (parts > 1: gate/up) maps hidden_size to the expert
        // width; its single output projection (down) maps back. Checked here so that a wrong
        // shape names the blocks tensor rather than a bias the family later finds mismatched.
        long hidden = config.integer("hidden_size");
        long width = config.firstInteger("moe_intermediate_size", "intermediate_size");
        long[] want = parts > 1 ? new long[] {width, hidden} : new long[] {hidden, width};
        if (rows != want[0] || cols != want[1]) {
            throw new ModelLoadException(e.file() + ": MXFP4 blocks '" + e.name() + "' " + Arrays.toString(s) + " hold " + rows + " x " + cols
                    + " matrices" + (parts > 1 ? " per part" : "") + ", but config.json (hidden_size " + hidden + ", intermediate_size " + width
                    + ") needs " + want[0] + " x " + want[1] + (parts > 1 ? " for each of the " + parts + " interleaved parts" : ""));
        }
        MemorySegment codes = e.data();
        MemorySegment scaleData = scales.data();
        for (int j = 0; j < parts; j++) {
            int part = j;
            String name = b + ggufNames.get(j);
            block.put(name, new TensorPlan.Repacked(name, TensorType.MXFP4, new long[] {cols, rows, experts}, (row, dst, at) -> {
                long hubRow = (row / rows) * hubRows + (row % rows) * parts + part;
                byte[] src = new byte[groups * CODE_BYTES];
                byte[] exps = new byte[groups];
                MemorySegment.copy(codes, ValueLayout.JAVA_BYTE, hubRow * src.length, src, 0, src.length);
                MemorySegment.copy(scaleData, ValueLayout.JAVA_BYTE, hubRow * groups, exps, 0, groups);
                byte[] out = new byte[groups * (1 + CODE_BYTES)];
                for (int g = 0; g < groups; g++) {
                    int o = g * (1 + CODE_BYTES);
                    int c = g * CODE_BYTES;
                    out[o] = exps[g];
                    for (int i = 0; i < CODE_BYTES; i++) {
                        out[o + 1 + i] = (byte) (nibble(src, c, i) | nibble(src, c, i + CODE_BYTES) << 4);
                    }
                }
                MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, at, out.length);
            }));
        }
    }

    /** The E2M1 code of element {@code i} of the Hub block at {@code src[c ..]}: byte i/2, low nibble for even i. */
    private static int nibble(byte[] src, int c, int i) {
        return (src[c + i / 2] >> (4 * (i & 1))) & 0xF;
    }
}
