package dev.ember.engine.synth;

import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.gguf.GgufWriter;
import dev.ember.engine.model.family.ModelFamilies;
import dev.ember.engine.tensor.Quantize;
import dev.ember.engine.tensor.TensorType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Random-weight GGUF models in the exact shape of real ones, for benchmarks: same tensor names,
 * shapes, types and metadata keys as llama.cpp's converter and {@code llama-quantize --pure}
 * would write, and a loadable byte-level BPE vocabulary, but weights drawn from a seeded normal
 * distribution (std 0.02) and norm weights of 1.0.
 *
 * <p>Matrices take the requested type, embeddings and output included; 1-D tensors (norms) stay
 * F32, as llama.cpp keeps them. The bytes depend only on (preset, type, seed), not on the thread
 * count: every tensor row has its own generator seeded from the seed, the tensor name and the row.
 */
public final class SyntheticModel {
    private SyntheticModel() {}

    /** What a preset and type produce. {@code parameters} counts every tensor element. */
    public record Summary(String preset, String architecture, TensorType type, int tensors, long parameters, long fileBytes) {}

    /** The preset names, for {@code --preset}. */
    public static List<String> presets() {
        return List.copyOf(PRESETS.keySet());
    }

    /** Each family declares its presets ({@link ModelFamilies#synthPresets}); a name must be unique. */
    private static final Map<String, Preset> PRESETS = byName(ModelFamilies.synthPresets());

    private static Map<String, Preset> byName(List<Preset> presets) {
        Map<String, Preset> m = new LinkedHashMap<>();
        for (Preset p : presets) {
            if (m.putIfAbsent(p.name(), p) != null) throw new IllegalStateException("two synthetic presets named '" + p.name() + "'");
        }
        return Collections.unmodifiableMap(m);
    }

    /** The types a synthetic model can be written in. */
    public static List<TensorType> types() {
        return Arrays.stream(TensorType.values()).filter(Quantize::canEncode).toList();
    }

    /** The tensor count, parameter count and file size, without writing anything. */
    public static Summary describe(String preset, TensorType type) {
        Preset p = preset(preset);
        return summary(p, type, plan(p, type, 0));
    }

    /** Writes the model with as many threads as there are processors. */
    public static Summary write(String preset, TensorType type, Path out, long seed) throws IOException {
        return write(preset, type, out, seed, Runtime.getRuntime().availableProcessors());
    }

    /** Writes the model to {@code out} (replaced when complete) on {@code threads} threads. */
    public static Summary write(String preset, TensorType type, Path out, long seed, int threads) throws IOException {
        return write(preset, type, out, seed, threads, null);
    }

    /**
     * As above, with the tokenizer ({@code tokenizer.*} metadata) copied from another GGUF, e.g. a real
     * vocabulary-only file, instead of the synthetic one; it must fit the preset's vocabulary size.
     */
    public static Summary write(String preset, TensorType type, Path out, long seed, int threads, Path vocabFrom) throws IOException {
        return write(preset, type, out, seed, threads, vocabFrom, null);
    }

    /**
     * As above, and with {@code pooling} (when not null) written as {@code {arch}.pooling_type}, as
     * llama.cpp's converter writes it for an embedding model: a decoder preset becomes a
     * Qwen3-Embedding-shaped model for embedding benchmarks.
     */
    public static Summary write(String preset, TensorType type, Path out, long seed, int threads, Path vocabFrom,
                                dev.ember.engine.model.Pooling pooling) throws IOException {
        Preset p = preset(preset);
        GgufWriter w = plan(p, type, seed, vocabFrom);
        if (pooling != null) w.putUInt32(p.architecture() + ".pooling_type", pooling.ggufValue());
        w.write(out, threads);
        return summary(p, type, w);
    }

    static Preset preset(String name) {
        Preset p = PRESETS.get(name);
        if (p == null) throw new IllegalArgumentException("unknown preset '" + name + "'; known presets: " + String.join(", ", presets()));
        return p;
    }

    /** The writer with all metadata and tensors described; nothing is generated until it writes. */
    static GgufWriter plan(Preset p, TensorType type, long seed) {
        return plan(p, type, seed, null);
    }

    static GgufWriter plan(Preset p, TensorType type, long seed, Path vocabFrom) {
        if (!Quantize.canEncode(type)) {
            throw new IllegalArgumentException("cannot write synthetic models as " + type + "; supported types: " + types());
        }
        GgufWriter w = new GgufWriter();
        if (vocabFrom != null) p = withVocabularyOf(p, vocabFrom);
        metadata(p, type, w, vocabFrom);
        for (Preset.TensorSpec t : p.tensors()) {
            // llama.cpp keeps 1-D tensors (norms, biases), routers, position and token-type
            // embeddings in F32 whatever the file type (its graph adds the last two to F32
            // activations directly). Hash-routing tables are I32, as llama.cpp's converter writes them.
            TensorType tt = t.init() == Preset.Init.COMPUTED_I32 ? TensorType.I32
                    : t.shape().length == 1 || t.init() == Preset.Init.ROUTER || keptInF32(t.name()) ? TensorType.F32 : type;
            if (t.shape()[0] % tt.blockSize() != 0) {
                throw new IllegalArgumentException("preset " + p.name() + ": tensor " + t.name() + " has rows of " + t.shape()[0]
                        + ", not a multiple of the " + tt + " block size " + tt.blockSize());
            }
            w.addTensor(t.name(), tt, t.shape(), rows(t, p, seed));
        }
        return w;
    }

    /** All metadata: general keys, the architecture's hyperparameters and the vocabulary. */
    static void metadata(Preset p, TensorType type, GgufWriter w) {
        metadata(p, type, w, null);
    }

    static void metadata(Preset p, TensorType type, GgufWriter w, Path vocabFrom) {
        w.putString("general.architecture", p.architecture());
        w.putString("general.type", "model");
        // llama.cpp special-cases a general.name containing "phi3" and then requires <s>, </s> and
        // <unk>, which the synthetic vocabulary lacks; spelled "phi 3", the file loads there too.
        w.putString("general.name", "ember synthetic " + p.name().replace("phi3", "phi 3"));
        w.putUInt32("general.file_type", fileType(type));
        if (type.isQuantized()) w.putUInt32("general.quantization_version", 2);
        p.metadata(w);
        if (vocabFrom == null) {
            SynthVocab.write(p.vocab(), w);
            return;
        }
        try (GgufFile v = GgufFile.open(vocabFrom)) {
            if (!v.has("tokenizer.ggml.tokens")) throw new IllegalArgumentException(vocabFrom + " has no tokenizer (tokenizer.ggml.tokens)");
            for (String key : v.metadata().keySet()) {
                if (key.startsWith("tokenizer.")) w.put(key, v.metadataType(key), v.metadataElementType(key), v.metadata().get(key));
            }
        }
    }

    /**
     * The preset with its embedding and output sized to a copied tokenizer: a model's rows must
     * match its vocabulary (a shorter vocabulary would let it sample ids nothing can decode).
     */
    private static Preset withVocabularyOf(Preset p, Path vocabFrom) {
        int tokens;
        try (GgufFile v = GgufFile.open(vocabFrom)) {
            if (!v.has("tokenizer.ggml.tokens")) throw new IllegalArgumentException(vocabFrom + " has no tokenizer (tokenizer.ggml.tokens)");
            tokens = v.getStringArray("tokenizer.ggml.tokens").length;
        }
        if (tokens == p.vocab().size()) return p;
        return new Preset(p.name(), p.architecture(), p.hidden(), p.layers(), p.contextLength(), p.ropeTheta(), p.rmsEps(), p.tiedEmbeddings(),
                p.initStd(), p.attention(), p.feedForward(), new Preset.Vocab(tokens, p.vocab().pre(), Math.min(p.vocab().specialBase(), tokens - 1)));
    }

    private static GgufWriter.FloatRows rows(Preset.TensorSpec t, Preset p, long seed) {
        int rowLength = Math.toIntExact(t.shape()[0]);
        if (t.init() == Preset.Init.ONES) return (first, count, out) -> Arrays.fill(out, 0, count * rowLength, 1f);
        if (t.values() != null) return t.values();
        long tensorSeed = Rng.mix(seed ^ Rng.mix(fnv1a(t.name())));
        double std = p.initStd();
        return (first, count, out) -> {
            Rng rng = new Rng(0);
            for (int r = 0; r < count; r++) {
                rng.reseed(Rng.rowSeed(tensorSeed, first + r));
                int base = r * rowLength;
                for (int j = 0; j < rowLength; j++) out[base + j] = (float) (std * rng.nextGaussian());
            }
        };
    }

    /** llama.cpp's llama_ftype for a file whose matrices are all {@code type}. */
    static int fileType(TensorType type) {
        int ft = type.llamaFileType();
        if (ft < 0) throw new IllegalArgumentException("no file type for " + type);
        return ft;
    }

    private static Summary summary(Preset p, TensorType type, GgufWriter w) {
        long params = 0;
        for (var t : w.tensorInfos()) params += Arrays.stream(t.shape()).reduce(1, Math::multiplyExact);
        return new Summary(p.name(), p.architecture(), type, w.tensorInfos().size(), params, w.fileSize());
    }

    private static long fnv1a(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** The tensors llama.cpp's converter writes as F32 beside the 1-D ones. */
    private static boolean keptInF32(String name) {
        return name.equals("position_embd.weight") || name.equals("token_types.weight");
    }
}
