package dev.ember.engine.kv;

import dev.ember.engine.api.KvCacheType;

import java.lang.foreign.Arena;
import java.util.List;

/**
 * The one object the scheduler asks about memory (vLLM v1's {@code KVCacheManager}): it owns the
 * block pool, the radix prefix cache and the snapshot budget, and knows from the model's
 * per-layer {@link LayerCacheSpec}s how a prefix is shared (whole blocks; a partial block copied
 * only when every layer is paged; block snapshots for layers with state beside the blocks).
 * Not thread-safe: the scheduler's thread owns it.
 */
public final class CacheManager implements AutoCloseable {
    private final List<LayerCacheSpec> specs;
    private final KvBlockPool pool;
    private final RadixPrefixCache cache;
    private final boolean allPaged;
    private final long snapshotBudget;
    private boolean prefixSharing = true;

    /**
     * How a sequence started: prompt tokens served from the prefix cache (whole blocks, and a copied
     * partially matching cached block), and tokens copied from a running sequence it forked from.
     */
    public record Admission(int cachedTokens, int forkedTokens) {
        public int startTokens() { return cachedTokens + forkedTokens; }
    }

    public CacheManager(List<LayerCacheSpec> specs, KvBlockPool pool, long snapshotBudget) {
        this.specs = List.copyOf(specs);
        this.pool = pool;
        this.cache = new RadixPrefixCache(pool);
        this.allPaged = this.specs.stream().noneMatch(s -> s instanceof SequenceStateSpec<?>);
        this.snapshotBudget = snapshotBudget;
        if (pool.layers() != this.specs.size()) throw new IllegalArgumentException("pool has " + pool.layers() + " layers, specs " + this.specs.size());
    }

    /** A cache of {@code budgetBytes} (blocks plus the per-token growth of state beside them) in an arena of its own. */
    public static CacheManager create(List<LayerCacheSpec> specs, KvCacheType type, int blockSize, long budgetBytes, long snapshotBudget) {
        int blocks = blocksWithin(specs, type, blockSize, budgetBytes);
        return new CacheManager(specs, KvBlockPool.forLayers(blockSize, blocks, specs, type, Arena.ofShared()), snapshotBudget);
    }

    /** Blocks of {@code blockSize} tokens that {@code budgetBytes} holds in {@code type} (at least 2). */
    public static int blocksWithin(List<LayerCacheSpec> specs, KvCacheType type, int blockSize, long budgetBytes) {
        long perToken = bytesPerToken(specs, type);
        return (int) Math.max(2, Math.min(Integer.MAX_VALUE, budgetBytes / (perToken * blockSize)));
    }

    /** Bytes the cache needs per token of context in {@code type}: paged rows, plus the average growth of state beside the blocks (floats). */
    public static long bytesPerToken(List<LayerCacheSpec> specs, KvCacheType type) {
        long b = KvBlockPool.bytesPerToken(keyWidths(specs), valueWidths(specs), type);
        double extra = 0;
        for (LayerCacheSpec s : specs) if (s instanceof SequenceStateSpec<?> st) extra += st.bytesPerToken();
        return Math.max(1, b + (long) Math.ceil(extra));
    }

    public static int[] keyWidths(List<LayerCacheSpec> specs) {
        return specs.stream().mapToInt(LayerCacheSpec::keyWidth).toArray();
    }

    public static int[] valueWidths(List<LayerCacheSpec> specs) {
        return specs.stream().mapToInt(LayerCacheSpec::valueWidth).toArray();
    }

    public KvBlockPool pool() { return pool; }
    public RadixPrefixCache cache() { return cache; }
    public int blockSize() { return pool.blockSize(); }
    public int numBlocks() { return pool.numBlocks(); }
    public int freeBlocks() { return pool.freeBlocks(); }
    public int cachedBlocks() { return cache.size(); }
    public long evictions() { return cache.evictions(); }

    public BlockTable newTable() { return new BlockTable(pool); }

    public int blocksFor(int tokens) {
        return (tokens + pool.blockSize() - 1) / pool.blockSize();
    }

    /** Turns prefix sharing on or off (off also forgets every cached block nobody uses). */
    public void setPrefixSharing(boolean on) {
        prefixSharing = on;
        if (!on) cache.clear();
    }

    public boolean prefixSharing() { return prefixSharing; }

    /**
     * Starts {@code table} (empty) for a sequence of {@code length} tokens: the longest cached
     * prefix of {@code tokens[0 .. limit)}, then a copy of a partially matching block when every
     * layer is paged, and room for a first chunk of at most {@code maxChunk} more tokens. Returns
     * null, holding nothing, when the pool cannot take that now.
     */
    public Admission admit(BlockTable table, int[] tokens, int length, int limit, int maxChunk) {
        RadixPrefixCache.Match m = prefixSharing ? cache.match(tokens, limit) : new RadixPrefixCache.Match(new int[0], cache.root(), 0);
        int need = blocksFor(m.tokens() + Math.min(length - m.tokens(), maxChunk)) - m.blocks().length;
        if (need > pool.freeBlocks()) {
            for (int b : m.blocks()) pool.release(b);
            return null;
        }
        table.adopt(m.blocks(), m.tokens());
        table.setSnapshotsWanted(prefixSharing && !allPaged);
        if (!allPaged && m.tokens() > 0) restore(table, m);
        table.prefixNode = m.node();
        table.publishedBlocks = m.blocks().length;
        int cached = m.tokens();
        // Copy-on-write of a partially matching block: its first tokens' rows are valid for us too.
        if (prefixSharing && allPaged && cached < limit) {
            RadixPrefixCache.Partial p = cache.partialMatch(m.node(), tokens, cached, limit);
            if (p != null) {
                pool.retain(p.block()); // keep it from being reused for our own new block
                if (table.ensureCapacity(cached + p.tokens())) {
                    pool.copySlots(p.block(), table.block(table.blockCount() - 1), p.tokens());
                    cached += p.tokens();
                    table.setLength(cached);
                }
                pool.release(p.block());
            }
        }
        return new Admission(cached, 0);
    }

    /**
     * Whether a sequence can be forked from one that has computed {@code sourceComputed} positions
     * at {@code length}: any length within them when every layer is paged (rows are per position),
     * only exactly there when some layer keeps state beside the blocks (that state is the source's
     * as of its last position).
     */
    public boolean canFork(int sourceComputed, int length) {
        return allPaged ? length <= sourceComputed : length == sourceComputed;
    }

    /**
     * Starts {@code table} (empty) as a copy of {@code source}'s first {@code length} positions,
     * without computing them: the full blocks are shared, a partial last block is copied into a
     * block of its own, and per-layer state is copied. So a prompt that shares more with a running
     * sequence than the prefix cache holds (whole blocks only) is computed once: the shared prompt
     * of a classify row's choices, or of generate rows with the same prompt. Checks room for a
     * first chunk of at most {@code maxChunk} more of the sequence's {@code totalLength} tokens;
     * returns null, holding nothing, when the pool cannot take that now.
     */
    public Admission fork(BlockTable source, int length, BlockTable table, int totalLength, int maxChunk) {
        if (!canFork(source.length(), length)) throw new IllegalArgumentException("cannot fork at " + length + " from a sequence at " + source.length());
        int bs = pool.blockSize();
        int full = length / bs;
        if (blocksFor(length + Math.min(totalLength - length, maxChunk)) - full > pool.freeBlocks()) return null;
        int[] shared = new int[full];
        for (int i = 0; i < full; i++) {
            shared[i] = source.block(i);
            pool.retain(shared[i]);
        }
        table.adopt(shared, full * bs);
        if (length > full * bs) {
            table.ensureCapacity(length); // cannot fail: checked above
            pool.copySlots(source.block(full), table.block(full), length - full * bs);
            table.setLength(length);
        }
        if (!allPaged) table.copyStatesFrom(source);
        table.setSnapshotsWanted(source.snapshotsWanted());
        // The source's published blocks past the fork are not ours: hang our blocks under the node of our last shared one.
        RadixPrefixCache.Node node = source.prefixNode;
        int published = source.publishedBlocks;
        for (; node != null && published > full; published--) node = node.parent;
        table.prefixNode = node;
        table.publishedBlocks = node == null ? 0 : published;
        return new Admission(full * bs, length - full * bs); // the whole blocks are the cache's (the source published them)
    }

    private void restore(BlockTable table, RadixPrefixCache.Match m) {
        for (int l = 0; l < specs.size(); l++) {
            if (specs.get(l) instanceof SequenceStateSpec<?> spec) table.state(l, spec).restore(m.snapshots(l));
        }
    }

    /**
     * Makes room in {@code table} for positions below {@code newLength}, reusing cached blocks
     * nobody uses if needed. False, with nothing changed, when even that is not enough (the
     * scheduler then preempts).
     */
    public boolean reserve(BlockTable table, int newLength) {
        return table.ensureCapacity(newLength);
    }

    /**
     * Publishes the table's newly completed full blocks (positions below {@code computed}) to the
     * prefix cache, with their snapshots, and keeps the snapshots within their budget.
     */
    public void publish(BlockTable table, int[] tokens, int computed) {
        if (!prefixSharing || table.prefixNode == null) return;
        int bs = pool.blockSize();
        int full = computed / bs;
        while (table.publishedBlocks < full) {
            int index = table.publishedBlocks;
            table.prefixNode = cache.insert(table.prefixNode, tokens, index * bs, table.block(index), allPaged ? null : snapshots(table, index));
            table.publishedBlocks++;
        }
        if (!allPaged) cache.trimSnapshots(snapshotBudget);
    }

    private BlockSnapshot[] snapshots(BlockTable table, int block) {
        BlockSnapshot[] out = new BlockSnapshot[specs.size()];
        for (int l = 0; l < out.length; l++) {
            if (specs.get(l) instanceof SequenceStateSpec<?> spec) out[l] = table.state(l, spec).takeSnapshot(block);
        }
        return out;
    }

    /** Returns a sequence's blocks (its published ones stay cached until reused) and drops its state. */
    public void free(BlockTable table) {
        table.release();
    }

    /** Cached blocks nobody uses, as a snapshot-free prefix cache would count them (for tests). */
    public int cachedFreeBlocks() { return pool.cachedFreeBlocks(); }

    @Override
    public void close() {
        pool.close();
    }
}
