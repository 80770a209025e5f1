package dev.ember.engine.model;

import dev.ember.engine.kernels.Kernels;
import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;

/**
 * The attention loop every attention kind shares: for one task (a batch row and the query heads
 * that read the same cached columns), score every visible cached row, softmax, and sum the
 * value rows weighted by the probabilities. Rows are decoded from the cache a run at a time (a
 * paged block, or whatever the source holds contiguously) into float scratch, then computed with
 * the given {@link Kernels}, so the reduction order is the same for every cache type and every
 * batch. The kind-specific part, how a query head scores a key row and where its output goes, is
 * a {@link Heads}; where the rows come from is a {@link Rows}.
 */
public final class CachedAttention {
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[][]{new float[1024], new float[4096]});

    private CachedAttention() {}

    /** A task's visible rows, in order. */
    public interface Rows {
        int count();

        /** How many rows from {@code t} (at most {@code max}) {@link #read} can decode at once. */
        int run(int t, int max);

        /** Decodes columns {@code [from, from + width)} of rows {@code t .. t + n)} into {@code dst}, {@code width} floats each. */
        void read(int t, int n, int from, int width, float[] dst);
    }

    /** The query heads of one task: the kind-specific scoring and where each head's output goes. */
    public interface Heads {
        int count();

        /** Head {@code g}'s logit for the key row at {@code key[off ..]} (already scaled). */
        float score(Kernels k, int g, float[] key, int off);

        /** Offset of head {@code g}'s output in {@code out}. */
        int outOffset(int g);
    }

    /**
     * Softmax attention over {@code keys} (columns {@code [keyFrom, keyFrom + keyWidth)} scored)
     * and {@code values} (columns {@code [valueFrom, valueFrom + valueWidth)} summed into
     * {@code out}); {@code sinks}, when not null, adds a per-head logit that takes probability
     * mass but has no value (index by head {@code g} from {@code sinkOff}).
     */
    public static void attend(Kernels k, Rows keys, int keyFrom, int keyWidth, Rows values, int valueFrom, int valueWidth,
                              Heads heads, float[] sinks, int sinkOff, float[] out) {
        int n = keys.count();
        int group = heads.count();
        float[][] buf = BUFFERS.get();
        float[] scores = buf[0].length >= group * n ? buf[0] : (buf[0] = new float[Math.max(group * n, buf[0].length * 2)]);
        int maxRun = Math.max(1, Math.min(n, 64));
        int rowBuf = maxRun * Math.max(keyWidth, valueWidth);
        float[] rows = buf[1].length >= rowBuf ? buf[1] : (buf[1] = new float[Math.max(rowBuf, buf[1].length * 2)]);
        for (int t = 0; t < n; ) {
            int run = keys.run(t, maxRun);
            keys.read(t, run, keyFrom, keyWidth, rows);
            for (int i = 0; i < run; i++) {
                for (int g = 0; g < group; g++) scores[g * n + t + i] = heads.score(k, g, rows, i * keyWidth);
            }
            t += run;
        }
        if (sinks == null) {
            for (int g = 0; g < group; g++) k.softmax(scores, g * n, n);
        } else {
            for (int g = 0; g < group; g++) k.softmax(scores, g * n, n, sinks[sinkOff + g]);
        }
        for (int t = 0; t < n; ) {
            int run = values.run(t, maxRun);
            values.read(t, run, valueFrom, valueWidth, rows);
            for (int i = 0; i < run; i++) {
                for (int g = 0; g < group; g++) k.axpy(scores[g * n + t + i], rows, i * valueWidth, out, heads.outOffset(g), valueWidth);
            }
            t += run;
        }
    }

    /**
     * Tile boundaries over the batch rows: a tile is up to {@code maxRows} consecutive rows of one
     * sequence at consecutive positions (a prompt chunk), which share each cache block they read;
     * a decode row is a tile of its own.
     */
    static int[] tiles(ForwardBatch batch, int rows, int maxRows) {
        int[] b = new int[rows + 1];
        int n = 0;
        for (int r = 0; r < rows; r++) {
            boolean cont = r > 0 && r - b[n - 1] < maxRows && batch.tables()[r] == batch.tables()[r - 1]
                    && batch.positions()[r] == batch.positions()[r - 1] + 1;
            if (!cont) b[n++] = r;
        }
        b[n] = rows;
        return java.util.Arrays.copyOf(b, n + 1);
    }

    /** Positions {@code 0 .. n)} of a sequence's paged key or value rows of one layer, read a block at a time. */
    public static Rows paged(KvBlockPool pool, int layer, BlockTable table, int n, boolean values) {
        return paged(pool, layer, table, 0, n, values);
    }

    /** Positions {@code lo .. n)} (a sliding window's visible rows), read a block at a time. */
    public static Rows paged(KvBlockPool pool, int layer, BlockTable table, int lo, int n, boolean values) {
        int bs = pool.blockSize();
        return new Rows() {
            @Override public int count() { return n - lo; }

            @Override public int run(int t, int max) { return Math.min(Math.min(max, n - lo - t), bs - (lo + t) % bs); }

            @Override
            public void read(int t, int count, int from, int width, float[] dst) {
                if (values) pool.readValues(layer, table.slot(lo + t), count, from, width, dst, 0);
                else pool.readKeys(layer, table.slot(lo + t), count, from, width, dst, 0);
            }
        };
    }
}
