package dev.ember.engine.sched;

import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.kv.LayerCacheSpec;
import dev.ember.engine.kv.PagedKvSpec;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.Model;
import dev.ember.engine.model.ModelConfig;
import dev.ember.engine.model.RopeLayout;
import dev.ember.engine.model.RopeScaling;

import java.util.ArrayList;
import java.util.List;

/**
 * A model with no weights, for scheduler tests that run in milliseconds. Each row stores its
 * token and position in the cache and predicts {@code (Σ cached tokens at positions 0..pos) mod
 * vocab}, reading every earlier position back from its block table: a wrong prefix hit, a bad
 * copy-on-write or a block reused while still in use changes the output.
 */
final class FakeModel implements Model {
    static final int VOCAB = 97;
    final List<ForwardBatch> batches = new ArrayList<>();

    @Override
    public ModelConfig config() {
        return new ModelConfig("fake", VOCAB, 8, 1, 1, 1, 2, 2, 8, 1e-5f, 4096, 10000, 2, RopeLayout.NORMAL, RopeScaling.NONE);
    }

    @Override
    public List<LayerCacheSpec> cacheSpecs() { return List.of(new PagedKvSpec(1, 2, 2)); }

    @Override
    public void forward(ForwardBatch batch, float[] logits) {
        batches.add(batch);
        KvBlockPool pool = batch.tables()[0].pool();
        for (int r = 0; r < batch.size(); r++) {
            int slot = batch.tables()[r].slot(batch.positions()[r]);
            pool.writeKey(0, slot, new float[]{batch.tokens()[r], batch.positions()[r]}, 0);
            pool.writeValue(0, slot, new float[]{batch.tokens()[r], 0}, 0);
        }
        float[] row = new float[2];
        for (int i = 0; i < batch.logitRows().length; i++) {
            int r = batch.logitRows()[i];
            BlockTable table = batch.tables()[r];
            long sum = 0;
            for (int p = 0; p <= batch.positions()[r]; p++) {
                pool.readKeys(0, table.slot(p), 1, 0, 2, row, 0);
                if (row[1] != p) throw new IllegalStateException("position " + p + " holds the state of position " + row[1]);
                sum += (long) row[0];
            }
            java.util.Arrays.fill(logits, i * VOCAB, (i + 1) * VOCAB, 0f);
            logits[i * VOCAB + (int) (sum % VOCAB)] = 1f;
        }
    }

    /** What the model predicts after {@code tokens}, computed directly. */
    static int expectedNext(int[] tokens, int length) {
        long sum = 0;
        for (int i = 0; i < length; i++) sum += tokens[i];
        return (int) (sum % VOCAB);
    }

    @Override
    public String describe() { return "fake"; }
}
