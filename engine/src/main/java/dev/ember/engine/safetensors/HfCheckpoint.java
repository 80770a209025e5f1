package dev.ember.engine.safetensors;

import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.model.family.ModelFamilies;
import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.tensor.WeightMatrix;
import dev.ember.engine.tokenizer.Tokenizer;
import dev.ember.engine.util.Json;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A Hugging Face model directory (config.json plus model.safetensors, whole or sharded through
 * model.safetensors.index.json, and optionally tokenizer.json / tokenizer_config.json) as a
 * {@link WeightSource}: tensors under llama.cpp's GGUF names and metadata under GGUF keys, exactly
 * as llama.cpp's {@code convert_hf_to_gguf.py} would write them, so every model family loads it
 * unchanged.
 *
 * <p>All shards are memory-mapped into one shared arena that lives until {@link #close()}. Tensors
 * stored the way GGUF stores them are views of the mapping; the few that llama.cpp's converter
 * rearranges (see {@link TensorPlanner}), FP8 and DeepSeek's MXFP4 weights, which are dequantized
 * (see {@link BlockDequant}), and gpt-oss's Hub MXFP4 experts, repacked as GGUF MXFP4 (see
 * {@link HubMxfp4}), are built once, on first use, into the same arena.
 */
public final class HfCheckpoint implements WeightSource, AutoCloseable {
    static final String INDEX = "model.safetensors.index.json";
    static final String SINGLE = "model.safetensors";

    private final Path dir;
    private final Arena arena;
    private final ArchTable table;
    private final Map<String, TensorPlan> plans;
    private final GgufMetadata metadata;
    private final Map<String, Object> metadataMap;
    private final Map<String, Tensor> built = new ConcurrentHashMap<>();
    /** Why tokenizer.json could not be translated, or null; the weights stay usable by token id. */
    private final ModelLoadException tokenizerProblem;

    private HfCheckpoint(Path dir, Arena arena, ArchTable table, Map<String, TensorPlan> plans, GgufMetadata metadata,
                         ModelLoadException tokenizerProblem) {
        this.dir = dir;
        this.tokenizerProblem = tokenizerProblem;
        this.arena = arena;
        this.table = table;
        this.plans = plans;
        this.metadata = metadata;
        this.metadataMap = metadata.asMap();
    }

    /** True when {@code path} looks like an HF model directory (has config.json). */
    public static boolean isCheckpointDir(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve("config.json"));
    }

    /** Opens a model directory; errors name the file and what to do about it. */
    public static HfCheckpoint open(Path dir) {
        if (!Files.isDirectory(dir)) throw new ModelLoadException(dir + ": not a directory");
        HfConfig config = HfConfig.read(dir.resolve("config.json"));
        ArchTable table = ArchTable.forClass(ModelFamilies.hfTables(), config.architecture(), config);
        Arena arena = Arena.ofShared();
        try {
            Map<String, SafetensorsFile.Entry> entries = mapShards(dir, arena);
            Map<String, TensorPlan> plans = TensorPlanner.plan(table, config, entries);
            GgufMetadata meta = new GgufMetadata();
            meta.string("general.architecture", table.ggufArch());
            meta.string("general.name", dir.toAbsolutePath().normalize().getFileName().toString());
            table.config().translate(config, meta);
            SentenceTransformers.translate(dir, table.ggufArch(), meta);
            ModelLoadException tokenizerProblem = null;
            try {
                HfTokenizerJson.translate(dir, config, meta);
            } catch (ModelLoadException e) {
                tokenizerProblem = e;
            }
            return new HfCheckpoint(dir, arena, table, Collections.unmodifiableMap(plans), meta, tokenizerProblem);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Every tensor of every shard, by HF name; the index (when present) must agree with the shards. */
    private static Map<String, SafetensorsFile.Entry> mapShards(Path dir, Arena arena) {
        Path index = dir.resolve(INDEX);
        Map<String, SafetensorsFile.Entry> all = new LinkedHashMap<>();
        if (Files.isRegularFile(index)) {
            Map<String, String> weightMap = readIndex(index);
            Set<String> files = new LinkedHashSet<>(weightMap.values());
            Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
            List<String> missing = files.stream().filter(f -> !Files.isRegularFile(dir.resolve(f))).toList();
            if (!missing.isEmpty()) {
                throw new ModelLoadException(dir + ": " + missing.size() + " of " + files.size() + " shards listed in " + INDEX
                        + " are missing: " + String.join(", ", missing) + "; download every shard of the model");
            }
            for (String f : files) shards.put(f, SafetensorsFile.open(dir.resolve(f), arena));
            for (Map.Entry<String, String> w : weightMap.entrySet()) {
                SafetensorsFile.Entry e = shards.get(w.getValue()).entries().get(w.getKey());
                if (e == null) {
                    throw new ModelLoadException(dir.resolve(w.getValue()) + ": has no tensor '" + w.getKey() + "', which " + INDEX
                            + " says it holds; the shard and the index come from different downloads");
                }
                all.put(w.getKey(), e);
            }
            return all;
        }
        Path single = dir.resolve(SINGLE);
        if (Files.isRegularFile(single)) return SafetensorsFile.open(single, arena).entries();
        List<Path> any;
        try (Stream<Path> s = Files.list(dir)) {
            any = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            throw new ModelLoadException(dir + ": cannot list: " + e.getMessage(), e);
        }
        if (any.isEmpty()) {
            boolean bin = Files.isRegularFile(dir.resolve("pytorch_model.bin")) || Files.isRegularFile(dir.resolve("pytorch_model.bin.index.json"));
            throw new ModelLoadException(dir + ": no " + SINGLE + " or " + INDEX + (bin
                    ? "; this is a PyTorch .bin checkpoint: re-save it as safetensors (model.save_pretrained(dir, safe_serialization=True))"
                    : "; download the model's .safetensors files into this directory"));
        }
        if (any.size() > 1) {
            throw new ModelLoadException(dir + ": " + any.size() + " .safetensors files but no " + INDEX + "; download the index file too");
        }
        return SafetensorsFile.open(any.getFirst(), arena).entries();
    }

    private static Map<String, String> readIndex(Path index) {
        Object parsed;
        try {
            parsed = Json.parse(Files.readString(index, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ModelLoadException(index + ": cannot read: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(index + ": not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> m) || !(m.get("weight_map") instanceof Map<?, ?> wm) || wm.isEmpty()) {
            throw new ModelLoadException(index + ": has no \"weight_map\" object of tensor name -> shard file");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : wm.entrySet()) {
            if (!(e.getValue() instanceof String f) || f.contains("/") || f.contains("\\")) {
                throw new ModelLoadException(index + ": weight_map entry '" + e.getKey() + "' must name a shard file in the same directory");
            }
            out.put((String) e.getKey(), f);
        }
        return out;
    }

    @Override public String origin() { return dir.toString(); }

    @Override public boolean hasTensor(String name) { return plans.containsKey(name); }

    /**
     * The tensor under its GGUF name. Stored tensors are views of the mapping; stacked expert
     * tensors and llama.cpp's rearranged ones are built on first use (see {@link TensorPlanner}).
     */
    @Override
    public Tensor tensor(String name) {
        TensorPlan p = plans.get(name);
        if (p == null) throw new ModelLoadException(dir + ": missing tensor '" + name + "' (GGUF name; architecture " + table.ggufArch() + ")");
        return built.computeIfAbsent(name, n -> new Tensor(n, p.type(), p.shape(), p.bytes(arena)));
    }

    /**
     * Expert {@code e} of a stacked expert tensor ({@code blk.N.ffn_*_exps.weight}) as a matrix,
     * without stacking: a view of that expert's own stored tensor. Equal to
     * {@code tensor(name).slice(e)}, which for HF checkpoints copies every expert of the layer.
     */
    @Override
    public int expertCount(String name) {
        TensorPlan p = plans.get(name);
        if (p == null) throw new ModelLoadException(dir + ": missing tensor '" + name + "'");
        if (p.shape().length != 3) throw new IllegalArgumentException(name + " is not a 3-D expert tensor");
        return Math.toIntExact(p.shape()[2]);
    }

    @Override
    public WeightMatrix expert(String name, int e) {
        TensorPlan p = plans.get(name);
        if (p == null) throw new ModelLoadException(dir + ": missing tensor '" + name + "'");
        if (p.shape().length != 3) throw new IllegalArgumentException(name + " is not a 3-D expert tensor");
        int k = Math.toIntExact(p.shape()[0]);
        int n = Math.toIntExact(p.shape()[1]);
        if (e < 0 || e >= p.shape()[2]) throw new IndexOutOfBoundsException("expert " + e + " of " + p.shape()[2] + " in " + name);
        MemorySegment view = p.contiguousRows((long) e * n, n);
        if (view == null) return tensor(name).slice(e);
        return new WeightMatrix(name + "[" + e + "]", p.type(), n, k, view);
    }

    @Override public Map<String, Object> metadata() { return metadataMap; }

    /** The typed metadata, for writing a GGUF. */
    public GgufMetadata ggufMetadata() { return metadata; }

    /** Every tensor's plan under its GGUF name, in llama.cpp's file order (embedding, blocks, output). */
    public Map<String, TensorPlan> plans() { return plans; }

    @Override
    public java.util.List<TensorSummary> tensorSummaries() {
        return plans.entrySet().stream().map(e -> new TensorSummary(e.getKey(), e.getValue().type(), e.getValue().shape())).toList();
    }

    public Path directory() { return dir; }

    /** Why the directory's tokenizer.json cannot be used, or null when it can (or there is none). */
    public ModelLoadException tokenizerProblem() { return tokenizerProblem; }

    public boolean hasTokenizer() { return metadataMap.containsKey("tokenizer.ggml.tokens"); }

    /** The tokenizer described by tokenizer.json, or an exception when the directory has none. */
    public Tokenizer tokenizer() {
        if (tokenizerProblem != null) throw tokenizerProblem;
        if (!hasTokenizer()) throw new IllegalStateException(dir + " has no tokenizer.json; pass token ids instead of text");
        return HfTokenizerJson.build(this);
    }

    @Override
    public void close() {
        built.clear();
        arena.close();
    }
}
