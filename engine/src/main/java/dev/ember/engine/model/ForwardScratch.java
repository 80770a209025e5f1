package dev.ember.engine.model;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Buffers that one forward pass's layers reuse: every layer of a pass has the same rows, so each
 * part's intermediate arrays (the FFN's gate and up, attention's queries, keys, values and
 * output) have the same sizes from layer to layer. Allocated per layer, a 512-token prefill of
 * qwen3-0.6b made about 700 MB of garbage per pass, every array zeroed by the JVM and most of
 * them humongous for G1, which a Spark executor's other tasks then pay for in collections.
 *
 * <p>A buffer is handed out again only at the exact size asked for, so code that reads an
 * array's length sees what it asked for. Its contents are whatever the last user left:
 * {@link #floats} is for outputs written in full (a matmul's), {@link #zeroed} for sums.
 * One pass runs on one calling thread and its parts run in order, so two parts that are live at
 * once only need different slots.
 *
 * <p>A model keeps the last pass's buffers for its next pass ({@link Spare}): made new for each
 * pass, they were fresh heap that no collection reclaimed between passes, so every pass faulted
 * in new pages (a scoring run spent about 7 % of its time clearing pages in the kernel).
 */
public final class ForwardScratch {
    /**
     * One model's kept buffers: a pass takes them (or new ones, when another pass holds them) and
     * gives them back when it ends, so concurrent passes never share a buffer.
     */
    public static final class Spare {
        private final AtomicReference<ForwardScratch> kept = new AtomicReference<>();

        /** Runs one pass with the kept buffers (new ones when another pass holds them), then keeps them. */
        public void pass(Consumer<ForwardScratch> body) {
            ForwardScratch s = kept.getAndSet(null);
            if (s == null) s = new ForwardScratch();
            try {
                body.accept(s);
            } finally {
                kept.set(s);
            }
        }
    }

    /** Names a buffer; each user holds its slots as constants. */
    public record Slot(String name) {}

    private final Map<Slot, float[]> buffers = new IdentityHashMap<>();

    /** A buffer of exactly {@code size} floats for {@code slot}, with undefined contents. */
    public float[] floats(Slot slot, int size) {
        float[] b = buffers.get(slot);
        if (b == null || b.length != size) buffers.put(slot, b = new float[size]);
        return b;
    }

    /**
     * A buffer of at least {@code size} floats for {@code slot}, with undefined contents: for a
     * part whose sizes vary within a pass (a mixture of experts runs its FFN once per expert, on
     * that expert's rows), and whose code reads only the rows it asked for. At exact sizes, each
     * expert's FFN made new gate and up arrays: qwen3moe-mini's prefill allocated about 3 GB/s.
     */
    public float[] floatsAtLeast(Slot slot, int size) {
        float[] b = buffers.get(slot);
        if (b == null || b.length < size) buffers.put(slot, b = new float[size]);
        return b;
    }

    /** {@link #floats}, filled with zeros. */
    public float[] zeroed(Slot slot, int size) {
        float[] b = buffers.get(slot);
        if (b == null || b.length != size) return floats(slot, size); // new: already zero
        java.util.Arrays.fill(b, 0f);
        return b;
    }
}
