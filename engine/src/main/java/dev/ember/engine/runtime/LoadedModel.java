package dev.ember.engine.runtime;

import dev.ember.engine.model.AtContext;

import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kernels.WorkerPool;
import dev.ember.engine.model.Compute;
import dev.ember.engine.model.GgufWeights;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.model.WeightSource;
import dev.ember.engine.model.family.ModelFamilies;
import dev.ember.engine.safetensors.HfCheckpoint;
import dev.ember.engine.tokenizer.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model opened from disk: the mapped file (a GGUF file, or a Hugging Face directory whose
 * safetensors shards are mapped), the model wired from it, its tokenizer (null for files without
 * one, e.g. benchmark models) and the worker pool it computes on.
 */
public final class LoadedModel implements AutoCloseable {
    private final GgufFile file; // null for a Hugging Face directory
    private final HfCheckpoint checkpoint; // null for a GGUF file
    private final Model model;
    private final WorkerPool pool;
    private volatile Tokenizer tokenizer; // built on first use: logits and bench need none

    private LoadedModel(GgufFile file, HfCheckpoint checkpoint, Model model, WorkerPool pool) {
        this.file = file;
        this.checkpoint = checkpoint;
        this.model = model;
        this.pool = pool;
    }

    /** Opens a GGUF model file, or a Hugging Face model directory, with a pool of {@code threads} workers. */
    public static LoadedModel open(Path path, int threads) {
        return open(path, threads, 0);
    }

    /**
     * {@link #open(Path, int)} for an engine that runs the model at {@code contextLength} tokens per
     * sequence (0: the trained context); see {@link AtContext}.
     */
    public static LoadedModel open(Path path, int threads, int contextLength) {
        if (!Files.exists(path)) throw new ModelLoadException(path + ": no such file; pass the path of a .gguf model file or a Hugging Face model directory");
        GgufFile file = null;
        HfCheckpoint checkpoint = null;
        WeightSource source;
        if (Files.isDirectory(path)) {
            checkpoint = HfCheckpoint.open(path);
            source = checkpoint;
        } else {
            file = GgufFile.open(path);
            source = new GgufWeights(file);
        }
        WorkerPool pool = new WorkerPool(threads);
        try {
            Model model = ModelFamilies.load(contextLength > 0 ? new AtContext(source, contextLength) : source, new Compute(Kernels.get(), pool));
            if (file != null) requireVocabularyCoversEmbedding(file, model.config().vocabSize());
            return new LoadedModel(file, checkpoint, model, pool);
        } catch (RuntimeException e) {
            pool.close();
            if (file != null) file.close();
            if (checkpoint != null) checkpoint.close();
            throw e;
        }
    }

    /**
     * A GGUF vocabulary shorter than the embedding would let the model sample ids the tokenizer
     * cannot decode, failing mid-generation; refuse such a file at load.
     */
    private static void requireVocabularyCoversEmbedding(GgufFile file, int embeddingRows) {
        Object tokens = file.metadata().get("tokenizer.ggml.tokens");
        if (tokens != null && tokens.getClass().isArray() && java.lang.reflect.Array.getLength(tokens) < embeddingRows) {
            throw new dev.ember.engine.model.ModelLoadException(file.path() + ": the vocabulary (tokenizer.ggml.tokens) has "
                    + java.lang.reflect.Array.getLength(tokens) + " tokens but the embedding has " + embeddingRows
                    + " rows; the file is inconsistent (reconvert it)");
        }
    }

    /** The GGUF file; throws for a Hugging Face directory (use {@link #source()}). */
    public GgufFile file() {
        if (file == null) throw new IllegalStateException(checkpoint.origin() + " is a Hugging Face directory, not a GGUF file");
        return file;
    }

    /** Tensors and metadata under GGUF names, whatever the format on disk. */
    public WeightSource source() { return file != null ? new GgufWeights(file) : checkpoint; }
    public Model model() { return model; }
    public WorkerPool pool() { return pool; }

    /** The tokenizer, or an exception explaining that this file has none. */
    public Tokenizer tokenizer() {
        Tokenizer t = tokenizer;
        if (t == null) {
            synchronized (this) {
                if (tokenizer == null) {
                    if (checkpoint != null) tokenizer = checkpoint.tokenizer();
                    else if (!hasTokenizer()) throw new IllegalStateException(file.path() + " has no tokenizer metadata; pass token ids instead of text");
                    else tokenizer = Tokenizer.fromGguf(file);
                }
                t = tokenizer;
            }
        }
        return t;
    }

    public boolean hasTokenizer() {
        if (checkpoint != null) return checkpoint.hasTokenizer();
        return file.has("tokenizer.ggml.model") && file.has("tokenizer.ggml.tokens");
    }

    @Override
    public void close() {
        pool.close();
        if (file != null) file.close();
        if (checkpoint != null) checkpoint.close();
    }
}
