package dev.ember.engine.kv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * A radix tree over KV blocks, keyed by the token ids each block holds: the path from the root
 * spells a token prefix, and each node owns (one reference to) the block with that prefix's last
 * {@code blockSize} tokens' KV state. A new sequence looks up its prompt and starts from the
 * longest cached prefix instead of recomputing it.
 *
 * <p>Only full blocks are stored, so stored blocks are immutable and can be shared by any number
 * of sequences. A prompt whose next tokens match only part of a cached block gets a private copy
 * of that part (copy-on-write of the partial last block). Blocks that no sequence references any
 * more stay cached until the pool needs them; then unreferenced leaves go, least recently used
 * first. Not thread-safe: the scheduler owns it.
 */
public final class RadixPrefixCache {
    private final KvBlockPool pool;
    private final int blockSize;
    private final Node root = new Node(null, null, -1);
    private long clock;
    private int nodes;
    private long snapshotBytes;
    private java.util.function.ToLongFunction<Object> snapshotSizer = o -> 0;

    /** A tree node: the tokens of its block, the block, and children by their block's tokens. */
    public static final class Node {
        final Node parent;
        final int[] tokens;
        final int block;
        final Map<BlockKey, Node> children = new HashMap<>(2);
        long lastUsed;
        /** State beside the block that a model needs to resume after it (null when all state is in the block). */
        Object snapshot;

        public Object snapshot() { return snapshot; }

        Node(Node parent, int[] tokens, int block) {
            this.parent = parent;
            this.tokens = tokens;
            this.block = block;
        }
    }

    private record BlockKey(int[] tokens) {
        @Override public boolean equals(Object o) { return o instanceof BlockKey k && Arrays.equals(tokens, k.tokens); }
        @Override public int hashCode() { return Arrays.hashCode(tokens); }
    }

    /**
     * The result of a lookup: full shared blocks (each already retained for the caller), the node
     * of the last one (where the caller's own blocks will be inserted), and the tokens they cover.
     */
    public record Match(int[] blocks, Node node, int tokens) {
        /** The matched nodes' snapshots, root side first. */
        public java.util.List<Object> snapshots() {
            java.util.ArrayList<Object> out = new java.util.ArrayList<>();
            for (Node n = node; n != null && n.parent != null; n = n.parent) out.add(n.snapshot);
            java.util.Collections.reverse(out);
            return out;
        }
    }

    public RadixPrefixCache(KvBlockPool pool) {
        this.pool = pool;
        this.blockSize = pool.blockSize();
    }

    public Node root() { return root; }

    /** How to weigh block snapshots (their memory is bounded separately from the block pool). */
    public void setSnapshotSizer(java.util.function.ToLongFunction<Object> sizer) { this.snapshotSizer = sizer; }

    /** Bytes held by the snapshots of cached blocks. */
    public long snapshotBytes() { return snapshotBytes; }

    /** Cached blocks (each holds one pool reference). */
    public int size() { return nodes; }

    /**
     * The longest cached prefix of {@code tokens[0 .. limit)} in whole blocks. Each returned block
     * is retained for the caller, who releases it with its block table.
     */
    public Match match(int[] tokens, int limit) {
        Node node = root;
        List<Integer> blocks = new ArrayList<>();
        int pos = 0;
        long now = ++clock;
        while (pos + blockSize <= limit) {
            Node child = node.children.get(new BlockKey(Arrays.copyOfRange(tokens, pos, pos + blockSize)));
            if (child == null) break;
            child.lastUsed = now;
            pool.retain(child.block);
            blocks.add(child.block);
            node = child;
            pos += blockSize;
        }
        return new Match(blocks.stream().mapToInt(Integer::intValue).toArray(), node, pos);
    }

    /**
     * How many whole blocks of {@code tokens[0 .. limit)} are cached, without taking references
     * or counting as a use (for scheduling decisions that must not disturb the LRU order).
     */
    public int cachedBlocks(int[] tokens, int limit) {
        Node node = root;
        int blocks = 0;
        for (int pos = 0; pos + blockSize <= limit; pos += blockSize) {
            node = node.children.get(new BlockKey(Arrays.copyOfRange(tokens, pos, pos + blockSize)));
            if (node == null) break;
            blocks++;
        }
        return blocks;
    }

    /**
     * Among {@code node}'s children, the block whose tokens share the longest prefix with
     * {@code tokens[from .. limit)}, with that length; null when none shares a token. The caller
     * copies that many slots into a private block.
     */
    public Partial partialMatch(Node node, int[] tokens, int from, int limit) {
        Node best = null;
        int bestLen = 0;
        for (Node c : node.children.values()) {
            int n = 0;
            while (n < blockSize && from + n < limit && c.tokens[n] == tokens[from + n]) n++;
            if (n > bestLen) {
                bestLen = n;
                best = c;
            }
        }
        if (best == null) return null;
        best.lastUsed = ++clock;
        return new Partial(best.block, bestLen);
    }

    public record Partial(int block, int tokens) {}

    /**
     * Records that {@code block} holds the KV state of {@code tokens[from .. from + blockSize)}
     * following the prefix ending at {@code parent}. The cache takes its own reference. If an
     * equal block is already cached (another sequence computed the same prefix), that node is
     * returned and the caller's block is not adopted.
     */
    public Node insert(Node parent, int[] tokens, int from, int block) {
        return insert(parent, tokens, from, block, null);
    }

    /** As above, keeping {@code snapshot} with the block (see {@code Model.takeBlockSnapshot}). */
    public Node insert(Node parent, int[] tokens, int from, int block, Object snapshot) {
        int[] key = Arrays.copyOfRange(tokens, from, from + blockSize);
        BlockKey k = new BlockKey(key);
        Node existing = parent.children.get(k);
        if (existing != null) {
            existing.lastUsed = ++clock;
            return existing;
        }
        Node n = new Node(parent, key, block);
        n.snapshot = snapshot;
        if (snapshot != null) snapshotBytes += snapshotSizer.applyAsLong(snapshot);
        n.lastUsed = ++clock;
        pool.retain(block);
        parent.children.put(k, n);
        nodes++;
        return n;
    }

    /** Blocks that eviction could free now: cached blocks no sequence references. */
    public int evictableBlocks() {
        int count = 0;
        List<Node> stack = new ArrayList<>(root.children.values());
        while (!stack.isEmpty()) {
            Node n = stack.removeLast();
            if (pool.refCount(n.block) == 1) count++;
            stack.addAll(n.children.values());
        }
        return count;
    }

    /**
     * Frees up to {@code wanted} blocks by dropping unreferenced leaves, least recently used first
     * (a parent becomes a leaf once its children are gone). Returns how many were freed.
     */
    public int evict(int wanted) {
        if (wanted <= 0) return 0;
        PriorityQueue<Node> leaves = new PriorityQueue<>((a, b) -> Long.compare(a.lastUsed, b.lastUsed));
        List<Node> stack = new ArrayList<>(root.children.values());
        while (!stack.isEmpty()) {
            Node n = stack.removeLast();
            if (n.children.isEmpty()) {
                if (pool.refCount(n.block) == 1) leaves.add(n);
            } else {
                stack.addAll(n.children.values());
            }
        }
        int freed = 0;
        while (freed < wanted && !leaves.isEmpty()) {
            Node n = leaves.poll();
            n.parent.children.remove(new BlockKey(n.tokens));
            if (n.snapshot != null) snapshotBytes -= snapshotSizer.applyAsLong(n.snapshot);
            pool.release(n.block);
            nodes--;
            freed++;
            Node p = n.parent;
            if (p != root && p.children.isEmpty() && pool.refCount(p.block) == 1) leaves.add(p);
        }
        return freed;
    }

    /** Drops every unreferenced cached block (used when prefix sharing is switched off, and in tests). */
    public void clear() {
        evict(Integer.MAX_VALUE);
    }
}
