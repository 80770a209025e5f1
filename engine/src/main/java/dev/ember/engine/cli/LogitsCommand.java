package dev.ember.engine.cli;

import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.Model;
import dev.ember.engine.runtime.LoadedModel;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * `ember logits`: the logits of every position of a token sequence, as little-endian float32,
 * row-major [tokens × vocab]. No tokenizer involved; this is for parity checks.
 */
final class LogitsCommand implements Main.Command {
    static final int CHUNK = 64;

    @Override
    public String usage() { return "logits --model PATH --tokens 1,2,3 --out FILE [--threads T] [--kv-cache-type f32|f16|bf16|q8_0]"; }

    @Override
    public int run(String[] argv, PrintStream out) throws Exception {
        Args a = new Args("logits", argv, 1, Set.of());
        Path modelPath = a.path("model");
        int[] tokens = a.intList("tokens");
        Path file = a.path("out");
        int threads = a.integer("threads", Runtime.getRuntime().availableProcessors());
        // F32 by default: these are the numbers parity checks compare with a reference.
        dev.ember.engine.api.KvCacheType type = a.cacheType(dev.ember.engine.api.KvCacheType.F32);
        a.rejectUnknown();
        try (LoadedModel lm = LoadedModel.open(modelPath, threads);
             OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            float[][] rows = allLogits(lm.model(), tokens, CHUNK, type);
            for (int p = 0; p < rows.length; p++) {
                for (int v = 0; v < rows[p].length; v++) {
                    if (!Float.isFinite(rows[p][v])) {
                        throw new IllegalStateException(modelPath + " produced a non-finite logit (" + rows[p][v] + " for token " + v + ") at position "
                                + p + ": its weights are likely corrupt or badly converted; check them with `ember info --model M --check-weights`");
                    }
                }
            }
            ByteBuffer buf = ByteBuffer.allocate(rows[0].length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float[] row : rows) {
                buf.clear();
                buf.asFloatBuffer().put(row);
                os.write(buf.array());
            }
            out.println("wrote " + tokens.length + " x " + lm.model().config().vocabSize() + " logits to " + file);
        }
        return 0;
    }

    /** Logits of every position, computed in chunks through the KV cache. */
    static float[][] allLogits(Model m, int[] tokens) {
        return allLogits(m, tokens, CHUNK);
    }

    /** As above, feeding the sequence in chunks of {@code chunk} tokens (1 = token-by-token decode). */
    static float[][] allLogits(Model m, int[] tokens, int chunk) {
        return allLogits(m, tokens, chunk, dev.ember.engine.api.KvCacheType.F32);
    }

    /** As above, with the KV cache stored in {@code type}. */
    static float[][] allLogits(Model m, int[] tokens, int chunk, dev.ember.engine.api.KvCacheType type) {
        int vocab = m.config().vocabSize();
        if (tokens.length == 0) throw new IllegalArgumentException("--tokens is empty");
        if (tokens.length > m.config().contextLength()) {
            throw new IllegalArgumentException(tokens.length + " tokens exceed the model's context length " + m.config().contextLength());
        }
        int bs = m.cacheBlockSize();
        KvBlockPool pool = KvBlockPool.forLayers(bs, (tokens.length + bs - 1) / bs + 1, m.cacheSpecs(), type, java.lang.foreign.Arena.ofAuto());
        BlockTable table = new BlockTable(pool);
        table.ensureCapacity(tokens.length);
        float[][] out = new float[tokens.length][];
        float[] logits = new float[chunk * vocab];
        for (int start = 0; start < tokens.length; start += chunk) {
            int n = Math.min(chunk, tokens.length - start);
            int[] rows = new int[n];
            for (int i = 0; i < n; i++) rows[i] = i;
            m.forward(ForwardBatch.ofSequence(tokens, start, n, start, table, rows), logits);
            table.setLength(start + n);
            for (int i = 0; i < n; i++) {
                out[start + i] = java.util.Arrays.copyOfRange(logits, i * vocab, (i + 1) * vocab);
            }
        }
        return out;
    }
}
