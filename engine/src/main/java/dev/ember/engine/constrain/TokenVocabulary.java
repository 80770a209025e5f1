package dev.ember.engine.constrain;

import dev.ember.engine.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.Comparator;

/**
 * A model's vocabulary as constrained decoding sees it: the bytes each token writes (so byte-level
 * BPE, SentencePiece pieces and byte-fallback tokens are all just byte strings, and a token may end
 * in the middle of a UTF-8 character), which ids end generation, and a byte trie over all token
 * texts laid out in depth-first order. A mask is one walk of that trie beside the automaton, skipping
 * a whole subtree as soon as its prefix dies: the approach of llguidance's token trie, with the
 * subtree skip as a precomputed "end" index rather than pointers. Immutable, shared by every
 * constraint compiled for the model.
 */
public final class TokenVocabulary {
    private final int size;              // length of a logits row
    private final byte[][] bytes;        // per id; empty for control tokens
    private final int[] endOfGeneration; // sorted ids
    // the trie, nodes in depth-first (pre-)order
    final byte[] nodeByte;
    final int[] nodeDepth;
    final int[] nodeEnd;                 // first node after this node's subtree
    final int[] nodeTokenFrom;           // tokens ending here: sortedTokens[from .. from + count)
    final int[] nodeTokenCount;
    final int[] sortedTokens;
    final int maxDepth;

    private TokenVocabulary(int size, byte[][] bytes, int[] endOfGeneration) {
        this.size = size;
        this.bytes = bytes;
        this.endOfGeneration = endOfGeneration;
        Integer[] order = new Integer[bytes.length];
        int n = 0;
        for (int id = 0; id < bytes.length; id++) {
            if (bytes[id].length > 0 && Arrays.binarySearch(endOfGeneration, id) < 0) order[n++] = id;
        }
        order = Arrays.copyOf(order, n);
        Arrays.sort(order, Comparator.comparing((Integer id) -> bytes[id], Arrays::compareUnsigned).thenComparing(id -> id));
        sortedTokens = new int[n];
        int nodes = 0, depthMax = 0;
        byte[] prev = new byte[0];
        for (int k = 0; k < n; k++) {
            byte[] b = bytes[order[k]];
            nodes += b.length - lcp(prev, b);
            depthMax = Math.max(depthMax, b.length);
            prev = b;
        }
        nodeByte = new byte[nodes];
        nodeDepth = new int[nodes];
        nodeEnd = new int[nodes];
        nodeTokenFrom = new int[nodes];
        nodeTokenCount = new int[nodes];
        int[] nodeAtDepth = new int[depthMax + 1];
        int m = 0;
        prev = new byte[0];
        for (int k = 0; k < n; k++) {
            int id = order[k];
            sortedTokens[k] = id;
            byte[] b = bytes[id];
            for (int d = lcp(prev, b); d < b.length; d++) {
                nodeByte[m] = b[d];
                nodeDepth[m] = d + 1;
                nodeTokenFrom[m] = k;
                nodeAtDepth[d + 1] = m++;
            }
            int node = nodeAtDepth[b.length];
            if (nodeTokenCount[node] == 0) nodeTokenFrom[node] = k;
            nodeTokenCount[node]++;
            prev = b;
        }
        // subtree ends: the next node at the same or a smaller depth
        int[] stack = new int[depthMax + 2];
        int sp = 0;
        for (int k = 0; k < nodes; k++) {
            while (sp > 0 && nodeDepth[stack[sp - 1]] >= nodeDepth[k]) nodeEnd[stack[--sp]] = k;
            stack[sp++] = k;
        }
        while (sp > 0) nodeEnd[stack[--sp]] = nodes;
        maxDepth = depthMax;
    }

    private static int lcp(byte[] a, byte[] b) {
        int n = Math.min(a.length, b.length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    /** The vocabulary of {@code tokenizer} for a model whose logits rows have {@code modelVocab} entries (ids past the tokenizer's are never allowed). */
    public static TokenVocabulary of(Tokenizer tokenizer, int modelVocab) {
        int n = Math.min(modelVocab, tokenizer.vocabSize());
        byte[][] bytes = new byte[modelVocab][];
        int[] eog = new int[8];
        int eogCount = 0;
        for (int id = 0; id < modelVocab; id++) {
            bytes[id] = id < n && !tokenizer.isControl(id) ? tokenizer.tokenBytes(id) : new byte[0];
            if (id < n && tokenizer.isEndOfGeneration(id)) {
                if (eogCount == eog.length) eog = Arrays.copyOf(eog, eogCount * 2);
                eog[eogCount++] = id;
            }
        }
        return new TokenVocabulary(modelVocab, bytes, Arrays.copyOf(eog, eogCount));
    }

    /** For tests: a vocabulary of the given token texts (UTF-8) and end-of-generation ids. */
    static TokenVocabulary ofBytes(byte[][] bytes, int... endOfGeneration) {
        int[] eog = endOfGeneration.clone();
        Arrays.sort(eog);
        return new TokenVocabulary(bytes.length, bytes.clone(), eog);
    }

    public int size() { return size; }

    int trieNodes() { return nodeByte.length; }

    byte[] bytes(int id) { return bytes[id]; }

    int[] endOfGeneration() { return endOfGeneration; }

    boolean isEndOfGeneration(int id) { return Arrays.binarySearch(endOfGeneration, id) >= 0; }
}
