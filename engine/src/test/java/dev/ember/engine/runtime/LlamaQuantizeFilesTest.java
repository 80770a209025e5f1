package dev.ember.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.engine.cli.LogitsAccess;
import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.gguf.GgufTensorInfo;
import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.TensorType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Opt-in: files written by llama.cpp's {@code llama-quantize} load and run, and agree with the F16
 * model they were made from. Skipped unless the directory {@code -Dember.quant.dir} (or
 * {@code EMBER_QUANT_DIR}) holds {@code qwen3-f16.gguf} and {@code qwen3-TYPE.gguf}; the files are
 * about 0.3-1.2 GB each, so they are not made in CI. Make them with
 * {@code tools/quant/make_llama_quantize_files.sh DIR}.
 *
 * <p>Two checks per file: (1) every quantized matrix, dequantized by Ember, is within its type's
 * quantization error of the F16 original (relative RMS error below a per-type bound; a misread
 * layout gives about 1 or more); (2) all-position logits of a 16-token sequence are within a
 * multiple of the file's worst weight error of the F16 model's (random-weight models amplify weight
 * noise through 28 layers, so the bound is relative to the weight error, not absolute). The
 * measured figures are printed.
 */
class LlamaQuantizeFilesTest {
    private static final int[] TOKENS = {9707, 11, 1879, 4244, 264, 882, 1042, 279, 5562, 13, 576, 2003, 3040, 13, 151643, 785};
    /** Bound on a matrix's relative RMS dequantization error per stored type (theory for 2..8-bit grids on gaussian weights, with margin). */
    private static final Map<TensorType, Double> WEIGHT_BOUND = Map.ofEntries(
            Map.entry(TensorType.Q8_0, 0.01), Map.entry(TensorType.Q6_K, 0.04),
            Map.entry(TensorType.Q5_K, 0.07), Map.entry(TensorType.Q5_0, 0.07), Map.entry(TensorType.Q5_1, 0.07),
            Map.entry(TensorType.Q4_K, 0.13), Map.entry(TensorType.Q4_0, 0.13), Map.entry(TensorType.Q4_1, 0.13),
            Map.entry(TensorType.IQ4_NL, 0.13), Map.entry(TensorType.IQ4_XS, 0.13),
            Map.entry(TensorType.Q3_K, 0.28), Map.entry(TensorType.Q2_K, 0.55));
    /** This random 28-layer model turns weight noise into 2-4x larger logit noise (measured: Q2_K 2.0, Q3_K_M 2.1, Q4_K_M 3.3, Q5_K_M 3.7, IQ4_NL 3.8, IQ4_XS 3.9, Q4_1 3.9, Q5_0 4.1, Q5_1 4.2). */
    private static final double LOGIT_FACTOR = 6.0;
    private static float[][] f16Logits;

    private static Path dir() {
        String d = System.getProperty("ember.quant.dir", System.getenv("EMBER_QUANT_DIR"));
        return d == null ? null : Path.of(d);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_M", "Q5_K_M", "Q3_K_M", "Q2_K", "IQ4_XS", "IQ4_NL", "Q4_1", "Q5_0", "Q5_1", "Q6_K"})
    void llamaQuantizeFileAgreesWithF16(String ftype) {
        Path dir = dir();
        assumeTrue(dir != null, "set -Dember.quant.dir to run");
        Path f16 = dir.resolve("qwen3-f16.gguf"), q = dir.resolve("qwen3-" + ftype + ".gguf");
        assumeTrue(Files.exists(f16) && Files.exists(q), "no " + q);

        double worst = 0;
        Map<TensorType, double[]> perType = new TreeMap<>(); // type -> {max rel err, tensors}
        try (GgufFile a = GgufFile.open(f16); GgufFile b = GgufFile.open(q)) {
            for (GgufTensorInfo info : b.tensorInfos().values()) {
                if (!info.type().isQuantized()) continue;
                double rel = relError(a.tensor(info.name()), b.tensor(info.name()), info.shape());
                Double bound = WEIGHT_BOUND.get(info.type());
                assertTrue(bound != null && rel < bound, ftype + ": " + info.name() + " (" + info.type() + ") relative error " + rel + " > " + bound);
                perType.merge(info.type(), new double[] {rel, 1}, (x, y) -> new double[] {Math.max(x[0], y[0]), x[1] + y[1]});
                worst = Math.max(worst, rel);
            }
        }
        float[][] ref = f16Logits(f16);
        float[][] got;
        try (LoadedModel lm = LoadedModel.open(q, 2)) {
            got = LogitsAccess.allLogits(lm.model(), TOKENS);
        }
        double max = 0, sum = 0, sq = 0, refSq = 0, refSum = 0;
        long n = 0;
        int top1 = 0;
        for (int t = 0; t < TOKENS.length; t++) {
            int ra = 0, rb = 0;
            for (int v = 0; v < ref[t].length; v++) {
                double d = Math.abs(ref[t][v] - got[t][v]);
                max = Math.max(max, d);
                sum += d;
                sq += d * d;
                refSum += ref[t][v];
                refSq += (double) ref[t][v] * ref[t][v];
                n++;
                if (ref[t][v] > ref[t][ra]) ra = v;
                if (got[t][v] > got[t][rb]) rb = v;
            }
            if (ra == rb) top1++;
        }
        double refStd = Math.sqrt(refSq / n - (refSum / n) * (refSum / n));
        double relRms = Math.sqrt(sq / n) / refStd;
        StringBuilder types = new StringBuilder();
        perType.forEach((t, v) -> types.append(String.format(Locale.ROOT, " %s x%d (max rel err %.4f)", t, (int) v[1], v[0])));
        System.out.printf(Locale.ROOT, "%s:%s; logits max |diff| %.4f, mean |diff| %.4f, rel RMS %.4f (F16 logit std %.3f), top-1 agreement %d/%d%n",
                ftype, types, max, sum / n, relRms, refStd, top1, TOKENS.length);
        assertTrue(relRms < LOGIT_FACTOR * worst, ftype + ": logits relative RMS error " + relRms + " > " + LOGIT_FACTOR + " x worst weight error " + worst);
    }

    private static synchronized float[][] f16Logits(Path f16) {
        if (f16Logits == null) {
            try (LoadedModel lm = LoadedModel.open(f16, 2)) {
                f16Logits = LogitsAccess.allLogits(lm.model(), TOKENS);
            }
        }
        return f16Logits;
    }

    /** sqrt(Σ(q - f)²/ Σ f²) over every 4th row (a whole-model sweep reads 0.6 G elements otherwise). */
    private static double relError(Tensor f, Tensor q, long[] shape) {
        int k = (int) shape[0];
        long rows = 1;
        for (int d = 1; d < shape.length; d++) rows *= shape[d];
        float[] a = new float[k], b = new float[k];
        double err = 0, norm = 0;
        for (long r = 0; r < rows; r += 4) {
            Dequant.row(f.type(), f.data(), f.type().bytesFor(r * k), k, a, 0);
            Dequant.row(q.type(), q.data(), q.type().bytesFor(r * k), k, b, 0);
            for (int i = 0; i < k; i++) {
                double d = (double) b[i] - a[i];
                err += d * d;
                norm += (double) a[i] * a[i];
            }
        }
        return Math.sqrt(err / norm);
    }
}
