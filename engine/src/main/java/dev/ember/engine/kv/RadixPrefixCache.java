package dev.ember.engine.kv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A radix tree over KV blocks, keyed by the token ids each block holds: the path from the root
 * spells a token prefix, and each node names the block with that prefix's last {@code blockSize}
 * tokens' KV state. A new sequence looks up its prompt and starts from the longest cached prefix
 * instead of recomputing it.
 *
 * <p>Only full blocks are stored, so stored blocks are immutable and can be shared by any number
 * of sequences. A prompt whose next tokens match only part of a cached block gets a private copy
 * of that part (copy-on-write of the partial last block). The tree holds no references: a cached
 * block nobody uses is free in the {@link KvBlockPool}, in its least-recently-released queue, and
 * the pool tells the tree when it reuses one ({@link #forget}); the node and everything below it
 * leave the tree then. So eviction costs O(1) per block. Not thread-safe: the scheduler owns it.
 */
public final class RadixPrefixCache {
    private final KvBlockPool pool;
    private final int blockSize;
    private final Node root = new Node(null, null, -1, null);
    private final Node[] nodeOfBlock;
    private int nodes;
    private long snapshotBytes;
    private long evictions;

    /** A tree node: the tokens of its block, the block, its snapshot, and children by their block's tokens. */
    public static final class Node {
        final Node parent;
        final int[] tokens;
        final int block;
        final Map<BlockKey, Node> children = new HashMap<>(2);
        /** Per layer, what a layer with state beside the blocks needs to resume after this block (null entries for paged layers); null when no layer has such state. */
        final BlockSnapshot[] snapshot;
        boolean detached;

        Node(Node parent, int[] tokens, int block, BlockSnapshot[] snapshot) {
            this.parent = parent;
            this.tokens = tokens;
            this.block = block;
            this.snapshot = snapshot;
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
        /** Layer {@code layer}'s snapshots along the matched path, root side first. */
        public List<BlockSnapshot> snapshots(int layer) {
            List<BlockSnapshot> out = new ArrayList<>();
            for (Node n = node; n != null && n.parent != null; n = n.parent) out.add(n.snapshot[layer]);
            Collections.reverse(out);
            return out;
        }
    }

    public RadixPrefixCache(KvBlockPool pool) {
        this.pool = pool;
        this.blockSize = pool.blockSize();
        this.nodeOfBlock = new Node[pool.numBlocks()];
        pool.setEvictionListener(this::forget);
    }

    public Node root() { return root; }

    /** Bytes held by the snapshots of cached blocks. */
    public long snapshotBytes() { return snapshotBytes; }

    /** Cached blocks. */
    public int size() { return nodes; }

    /** Cached blocks forgotten so far (their blocks were reused or the snapshot budget was exceeded). */
    public long evictions() { return evictions; }

    /**
     * The longest cached prefix of {@code tokens[0 .. limit)} in whole blocks. Each returned block
     * is retained for the caller, who releases it with its block table.
     */
    public Match match(int[] tokens, int limit) {
        Node node = root;
        List<Integer> blocks = new ArrayList<>();
        int pos = 0;
        while (pos + blockSize <= limit) {
            Node child = node.children.get(new BlockKey(Arrays.copyOfRange(tokens, pos, pos + blockSize)));
            if (child == null) break;
            pool.retain(child.block);
            blocks.add(child.block);
            node = child;
            pos += blockSize;
        }
        return new Match(blocks.stream().mapToInt(Integer::intValue).toArray(), node, pos);
    }

    /**
     * How many whole blocks of {@code tokens[0 .. limit)} are cached, without taking references
     * (for scheduling decisions that must not disturb the LRU order).
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
        if (node.detached) return null;
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
        return best == null ? null : new Partial(best.block, bestLen);
    }

    public record Partial(int block, int tokens) {}

    /**
     * Records that {@code block} holds the KV state of {@code tokens[from .. from + blockSize)}
     * following the prefix ending at {@code parent}, with its snapshot (null when every layer is
     * paged). If an equal block is already cached (another sequence computed the same prefix),
     * that node is returned and the caller's block is not adopted.
     */
    public Node insert(Node parent, int[] tokens, int from, int block, BlockSnapshot[] snapshot) {
        int[] key = Arrays.copyOfRange(tokens, from, from + blockSize);
        BlockKey k = new BlockKey(key);
        Node existing = parent.children.get(k);
        if (existing != null) return existing;
        Node n = new Node(parent, key, block, snapshot);
        if (parent.detached) n.detached = true; // below a forgotten prefix: unreachable, keep nothing
        else {
            if (snapshot != null) for (BlockSnapshot s : snapshot) if (s != null) snapshotBytes += s.bytes();
            pool.markCached(block);
            nodeOfBlock[block] = n;
            nodes++;
        }
        parent.children.put(k, n);
        return n;
    }

    /** The pool reuses {@code block}: forget its node and everything below it (no longer reachable). */
    void forget(int block) {
        Node n = nodeOfBlock[block];
        if (n == null) return;
        n.parent.children.remove(new BlockKey(n.tokens));
        List<Node> stack = new ArrayList<>();
        stack.add(n);
        while (!stack.isEmpty()) {
            Node d = stack.removeLast();
            if (d.detached) continue;
            d.detached = true;
            nodeOfBlock[d.block] = null;
            pool.unmarkCached(d.block);
            if (d.snapshot != null) for (BlockSnapshot s : d.snapshot) if (s != null) snapshotBytes -= s.bytes();
            nodes--;
            evictions++;
            stack.addAll(d.children.values());
        }
    }

    /**
     * Forgets cached blocks that no sequence uses, least recently released first, until the
     * snapshots hold at most {@code budget} bytes or nothing unused is left.
     */
    public void trimSnapshots(long budget) {
        int b;
        while (snapshotBytes > budget && (b = pool.oldestCachedFree()) >= 0) forget(b);
    }

    /** Forgets every cached block no sequence uses (prefix sharing switched off, tests). */
    public void clear() {
        int b;
        while ((b = pool.oldestCachedFree()) >= 0) forget(b);
    }
}
