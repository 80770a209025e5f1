package dev.ember.engine.runtime;

import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kernels.WorkerPool;
import dev.ember.engine.model.Compute;
import dev.ember.engine.model.GgufWeights;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.model.family.ModelFamilies;
import dev.ember.engine.tokenizer.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model opened from disk: the mapped file, the model wired from it, its tokenizer (null for
 * files without one, e.g. benchmark models) and the worker pool it computes on.
 */
public final class LoadedModel implements AutoCloseable {
    private final GgufFile file;
    private final Model model;
    private final WorkerPool pool;
    private volatile Tokenizer tokenizer; // built on first use: logits and bench need none

    private LoadedModel(GgufFile file, Model model, WorkerPool pool) {
        this.file = file;
        this.model = model;
        this.pool = pool;
    }

    /** Opens a GGUF model file with a pool of {@code threads} workers. */
    public static LoadedModel open(Path path, int threads) {
        if (!Files.exists(path)) throw new ModelLoadException(path + ": no such file; pass the path of a .gguf model file");
        if (Files.isDirectory(path)) {
            throw new ModelLoadException(path + ": is a directory; Hugging Face model directories are not supported yet, pass a .gguf file");
        }
        GgufFile file = GgufFile.open(path);
        WorkerPool pool = new WorkerPool(threads);
        try {
            Model model = ModelFamilies.load(new GgufWeights(file), new Compute(Kernels.get(), pool));
            return new LoadedModel(file, model, pool);
        } catch (RuntimeException e) {
            pool.close();
            file.close();
            throw e;
        }
    }

    public GgufFile file() { return file; }
    public Model model() { return model; }
    public WorkerPool pool() { return pool; }

    /** The tokenizer, or an exception explaining that this file has none. */
    public Tokenizer tokenizer() {
        Tokenizer t = tokenizer;
        if (t == null) {
            synchronized (this) {
                if (tokenizer == null) {
                    if (!hasTokenizer()) throw new IllegalStateException(file.path() + " has no tokenizer metadata; pass token ids instead of text");
                    tokenizer = Tokenizer.fromGguf(file);
                }
                t = tokenizer;
            }
        }
        return t;
    }

    public boolean hasTokenizer() {
        return file.has("tokenizer.ggml.model") && file.has("tokenizer.ggml.tokens");
    }

    @Override
    public void close() {
        pool.close();
        file.close();
    }
}
