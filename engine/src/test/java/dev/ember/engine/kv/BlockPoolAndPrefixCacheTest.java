package dev.ember.engine.kv;

import dev.ember.engine.api.KvCacheType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool's free queue and the radix tree's eviction: O(1) per block, least recently released first. */
class BlockPoolAndPrefixCacheTest {
    static final int BS = 4;

    KvBlockPool pool(int blocks) {
        return new KvBlockPool(BS, blocks, new int[]{2}, new int[]{2}, KvCacheType.F32, Arena.ofAuto());
    }

    static int[] tokens(int n, int seed) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = seed * 1000 + i;
        return t;
    }

    /** Publishes a sequence of {@code blocks} full blocks and releases it; returns its table's blocks. */
    static int[] cacheSequence(KvBlockPool pool, RadixPrefixCache cache, int[] tokens) {
        BlockTable t = new BlockTable(pool);
        assertTrue(t.ensureCapacity(tokens.length));
        RadixPrefixCache.Node node = cache.root();
        int[] blocks = new int[tokens.length / BS];
        for (int b = 0; b < blocks.length; b++) {
            blocks[b] = t.block(b);
            node = cache.insert(node, tokens, b * BS, t.block(b), null);
        }
        t.release();
        return blocks;
    }

    @Test
    void cachedFreeBlocksAreReusedOnlyAfterUncachedOnesAndOldestFirst() {
        KvBlockPool pool = pool(6);
        RadixPrefixCache cache = new RadixPrefixCache(pool);
        int[] a = cacheSequence(pool, cache, tokens(8, 1)); // 2 blocks
        int[] b = cacheSequence(pool, cache, tokens(8, 2)); // 2 blocks
        assertEquals(6, pool.freeBlocks());
        assertEquals(4, pool.cachedFreeBlocks());
        // Two uncached blocks first: nothing is forgotten.
        pool.allocate();
        pool.allocate();
        assertEquals(4, cache.size());
        // Then a's tail (released first: a sequence frees its blocks last to first), then a's head, then b's.
        assertEquals(a[1], pool.allocate());
        assertEquals(3, cache.size());
        assertEquals(a[0], pool.allocate());
        assertEquals(2, cache.size());
        assertEquals(0, cache.cachedBlocks(tokens(8, 1), 8));
        assertEquals(2, cache.cachedBlocks(tokens(8, 2), 8));
        assertEquals(b[1], pool.allocate());
        assertEquals(b[0], pool.allocate());
        assertEquals(-1, pool.allocate());
        assertEquals(0, cache.size());
    }

    @Test
    void aMatchTakesCachedBlocksOutOfTheFreeQueue() {
        KvBlockPool pool = pool(4);
        RadixPrefixCache cache = new RadixPrefixCache(pool);
        int[] a = cacheSequence(pool, cache, tokens(8, 1));
        RadixPrefixCache.Match m = cache.match(tokens(8, 1), 8);
        assertEquals(8, m.tokens());
        assertEquals(1, pool.refCount(a[0]));
        assertEquals(2, pool.freeBlocks(), "matched blocks are in use");
        pool.allocate();
        pool.allocate();
        assertEquals(-1, pool.allocate(), "blocks in use are never reused");
        assertEquals(2, cache.size());
        for (int b : m.blocks()) pool.release(b);
        assertEquals(2, pool.freeBlocks());
    }

    @Test
    void forgettingABlockForgetsEverythingBelowIt() {
        KvBlockPool pool = pool(8);
        RadixPrefixCache cache = new RadixPrefixCache(pool);
        int[] t = tokens(16, 3);
        int[] blocks = cacheSequence(pool, cache, t); // 4 blocks in a chain
        assertEquals(4, cache.size());
        cache.forget(blocks[1]);
        assertEquals(1, cache.size(), "blocks 2 and 3 are unreachable without block 1");
        assertEquals(1, cache.cachedBlocks(t, 16));
        assertEquals(1, pool.cachedFreeBlocks());
        assertEquals(8, pool.freeBlocks());
        assertEquals(3, cache.evictions());
    }

    @Test
    void snapshotsAreTrimmedToTheirBudgetLeastRecentlyReleasedFirst() {
        KvBlockPool pool = pool(8);
        RadixPrefixCache cache = new RadixPrefixCache(pool);
        BlockSnapshot hundred = () -> 100;
        for (int seq = 0; seq < 3; seq++) {
            BlockTable table = new BlockTable(pool);
            table.ensureCapacity(BS);
            cache.insert(cache.root(), tokens(BS, seq), 0, table.block(0), new BlockSnapshot[]{hundred});
            table.release();
        }
        assertEquals(300, cache.snapshotBytes());
        cache.trimSnapshots(150);
        assertEquals(100, cache.snapshotBytes());
        assertEquals(0, cache.cachedBlocks(tokens(BS, 0), BS));
        assertEquals(0, cache.cachedBlocks(tokens(BS, 1), BS));
        assertEquals(1, cache.cachedBlocks(tokens(BS, 2), BS));
    }

    /**
     * Values stored head by head in a block read back exactly what whole-row storage gives, for
     * every cache type: a head's panel for part or all of a block, ranges that cut across heads,
     * and a copy-on-write prefix copy. Heads of 64 give Q8_0 whole blocks per panel; heads of 48
     * do not, so Q8_0 falls back to whole rows there.
     */
    @Test
    void valuesStoredHeadByHeadReadAsWholeRows() {
        for (KvCacheType type : KvCacheType.values()) {
            for (int head : new int[]{64, 48}) {
                int heads = 3, width = heads * head, bs = 8, blocks = 3;
                KvBlockPool rows = new KvBlockPool(bs, blocks, new int[]{0}, new int[]{width}, type, Arena.ofAuto());
                KvBlockPool panels = new KvBlockPool(bs, blocks, new int[]{0}, new int[]{width}, new int[]{head}, type, Arena.ofAuto());
                java.util.Random rnd = new java.util.Random(head);
                float[] row = new float[width];
                for (int slot = 0; slot < bs * 2; slot++) {
                    for (int i = 0; i < width; i++) row[i] = (float) rnd.nextGaussian();
                    rows.writeValue(0, slot, row, 0);
                    panels.writeValue(0, slot, row, 0);
                }
                rows.copySlots(1, 2, 5);
                panels.copySlots(1, 2, 5);
                int[][] reads = {{0, bs, head, head}, {bs, bs, 0, head}, {2 * bs, 5, 2 * head, head}, {3, 4, 10, head + 20}, {bs + 1, 6, 0, width}};
                for (int[] r : reads) {
                    float[] a = new float[r[1] * r[3]], b = new float[r[1] * r[3]];
                    rows.readValues(0, r[0], r[1], r[2], r[3], a, 0);
                    panels.readValues(0, r[0], r[1], r[2], r[3], b, 0);
                    assertTrue(java.util.Arrays.equals(a, b), type + " head " + head + " read " + java.util.Arrays.toString(r));
                    assertTrue(a[0] != 0f, "rows were written");
                }
            }
        }
    }

    /**
     * Keys stored in head panels (each head's keys of consecutive blocks back to back) read as
     * the whole-row pool's do, for every cache type: dimension-major columns of one head, of part
     * of one, and of a range across heads, whole blocks copied for copy-on-write, and rows. Q8_0
     * stores keys by row, so it takes no panels.
     */
    @Test
    void keysStoredInHeadPanelsReadAsWholeRows() {
        for (KvCacheType type : KvCacheType.values()) {
            int heads = 3, head = 64, width = heads * head, bs = 8, blocks = 4;
            KvBlockPool rows = new KvBlockPool(bs, blocks, new int[]{width}, new int[]{0}, type, Arena.ofAuto());
            KvBlockPool panels = new KvBlockPool(bs, blocks, new int[]{width}, new int[]{0}, new int[]{head}, new int[]{0}, type, Arena.ofAuto());
            java.util.Random rnd = new java.util.Random(7);
            float[] row = new float[width];
            for (int slot = 0; slot < bs * 3; slot++) {
                for (int i = 0; i < width; i++) row[i] = (float) rnd.nextGaussian();
                if (rows.columnKeys()) {
                    rows.writeKeyColumns(0, slot, row, 0);
                    panels.writeKeyColumns(0, slot, row, 0);
                } else {
                    rows.writeKey(0, slot, row, 0);
                    panels.writeKey(0, slot, row, 0);
                }
            }
            rows.copySlots(1, 3, 5);
            panels.copySlots(1, 3, 5);
            int[][] reads = {{0, head, head}, {bs, 0, head}, {2 * bs, 2 * head + 8, 32}, {3 * bs, 10, head + 20}, {bs, 0, width}};
            for (int[] r : reads) { // block start, first column, columns
                float[] a = new float[bs * r[2]], b = new float[bs * r[2]];
                rows.readKeyColumns(0, r[0], r[1], r[2], a);
                panels.readKeyColumns(0, r[0], r[1], r[2], b);
                assertTrue(java.util.Arrays.equals(a, b), type + " columns " + java.util.Arrays.toString(r));
                assertTrue(a[0] != 0f, "keys were written");
            }
            if (!rows.columnKeys()) {
                float[] a = new float[5 * width], b = new float[5 * width];
                rows.readKeys(0, bs + 2, 5, 0, width, a, 0);
                panels.readKeys(0, bs + 2, 5, 0, width, b, 0);
                assertTrue(java.util.Arrays.equals(a, b), type + " rows");
            }
        }
        // Rows stored through head panels (an element-wise type) read back as written.
        KvBlockPool panels = new KvBlockPool(4, 3, new int[]{12}, new int[]{0}, new int[]{4}, new int[]{0}, KvCacheType.F32, Arena.ofAuto());
        float[] row = new float[12];
        for (int i = 0; i < 12; i++) row[i] = i + 1;
        panels.writeKey(0, 5, row, 0);
        float[] back = new float[10];
        panels.readKeys(0, 5, 1, 1, 10, back, 0);
        assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOfRange(row, 1, 11), back), java.util.Arrays.toString(back));
    }

    @Test
    void releasingAFreeBlockFails() {
        KvBlockPool pool = pool(2);
        int b = pool.allocate();
        pool.release(b);
        assertThrows(IllegalStateException.class, () -> pool.release(b));
        assertThrows(IllegalStateException.class, () -> pool.retain(b));
    }
}
