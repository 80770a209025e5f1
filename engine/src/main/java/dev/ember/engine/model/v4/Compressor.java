package dev.ember.engine.model.v4;

import dev.ember.engine.model.RmsNorm;
import dev.ember.engine.model.Rope;
import dev.ember.engine.tensor.WeightMatrix;

/**
 * DeepSeek-V4's gated pooling of every {@code ratio} tokens into one compressed entry of width
 * {@code width}. Per token: values {@code a = W_kv·h}, gate logits {@code z = W_gate·h + ape[p mod m]}.
 * Without overlap (HCA) an entry is the per-channel softmax(z)-weighted sum of its window's values.
 * With overlap (CSA) the projections are twice as wide and an entry pools 2m slots: the first
 * halves of the previous window's tokens and the second halves of its own; the first window's
 * previous slots weigh nothing. Entries are RMS-normalized and roped at their window's first
 * position. Only complete windows produce entries.
 */
record Compressor(WeightMatrix kv, WeightMatrix gate, float[] ape, RmsNorm norm, Rope rope, int ratio, int width, boolean overlap) {

    /** Floats per token of the projections: 2·width with overlap. */
    int projected() { return overlap ? 2 * width : width; }

    /**
     * Feeds one token's projections (already computed for the batch) at position {@code pos};
     * appends an entry to {@code state} when the token closes a window.
     */
    void append(dev.ember.engine.kernels.Kernels k, State state, float[] a, int aOff, float[] z, int zOff, int pos) {
        int cw = projected();
        int j = pos % ratio;
        if (j != state.pending) throw new IllegalStateException("compressor fed position " + pos + " after " + state.pending + " pending tokens");
        System.arraycopy(a, aOff, state.pendingValues, j * cw, cw);
        for (int c = 0; c < cw; c++) state.pendingGates[j * cw + c] = z[zOff + c] + ape[j * cw + c];
        state.pending++;
        if ((pos + 1) % ratio != 0) return;
        float[] entry = new float[width];
        int slots = overlap ? 2 * ratio : ratio;
        float[] w = new float[slots];
        for (int ch = 0; ch < width; ch++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int s = 0; s < slots; s++) {
                w[s] = gateAt(state, s, ch);
                max = Math.max(max, w[s]);
            }
            float sum = 0;
            for (int s = 0; s < slots; s++) {
                w[s] = w[s] == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(w[s] - max);
                sum += w[s];
            }
            float v = 0;
            for (int s = 0; s < slots; s++) if (w[s] != 0f) v += (w[s] / sum) * valueAt(state, s, ch);
            entry[ch] = v;
        }
        norm.apply(k, entry, 0, entry, 0, 1);
        rope.applyAt(entry, width - rope.rotDims(), 1, width, pos + 1 - ratio, false);
        state.entries.add(entry);
        if (overlap) {
            // This window's first halves become the next entry's "previous" slots.
            for (int t = 0; t < ratio; t++) {
                System.arraycopy(state.pendingValues, t * cw, state.prevValues, t * width, width);
                System.arraycopy(state.pendingGates, t * cw, state.prevGates, t * width, width);
            }
            state.hasPrevious = true;
        }
        state.pending = 0;
    }

    /** Slot {@code s} of the pooling window: with overlap, slots [0, m) are the previous window's first halves. */
    private float gateAt(State st, int s, int ch) {
        if (!overlap) return st.pendingGates[s * width + ch];
        if (s < ratio) return st.hasPrevious ? st.prevGates[s * width + ch] : Float.NEGATIVE_INFINITY;
        return st.pendingGates[(s - ratio) * 2 * width + width + ch];
    }

    private float valueAt(State st, int s, int ch) {
        if (!overlap) return st.pendingValues[s * width + ch];
        if (s < ratio) return st.prevValues[s * width + ch];
        return st.pendingValues[(s - ratio) * 2 * width + width + ch];
    }

    State newState() {
        return new State(ratio, projected(), width, 0);
    }

    /** State whose entries also keep the key-block layout (the indexer's keys, scored many at a time). */
    State newState(int keyBlock) {
        return new State(ratio, projected(), width, keyBlock);
    }

    /** One sequence's compressor state for one layer: the open window, the previous window's halves and the entries. */
    static final class State {
        final float[] pendingValues, pendingGates, prevValues, prevGates;
        int pending;
        boolean hasPrevious;
        final EntryList entries;

        State(int ratio, int projected, int width, int keyBlock) {
            pendingValues = new float[ratio * projected];
            pendingGates = new float[ratio * projected];
            prevValues = new float[ratio * width];
            prevGates = new float[ratio * width];
            entries = new EntryList(width, keyBlock);
        }

        private State(State o) {
            pendingValues = o.pendingValues.clone();
            pendingGates = o.pendingGates.clone();
            prevValues = o.prevValues.clone();
            prevGates = o.prevGates.clone();
            pending = o.pending;
            hasPrevious = o.hasPrevious;
            entries = o.entries.copy();
        }

        /** An independent copy, open window included (a sequence forked mid-window continues it). */
        State copy() {
            return new State(this);
        }

        /** Floats held for the open window and the overlap halves (the fixed part of the cache). */
        long fixedFloats() {
            return pendingValues.length * 2L + prevValues.length * 2L;
        }
    }
}
