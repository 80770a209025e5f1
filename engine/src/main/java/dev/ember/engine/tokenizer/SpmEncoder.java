package dev.ember.engine.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * SentencePiece BPE as llama.cpp runs it: the whole (space-escaped) text starts as one symbol per
 * code point, and the adjacent pair whose concatenation is the highest-scoring vocab token is
 * merged until no pair forms a token. Code points left without a token fall back to their UTF-8
 * bytes as {@code <0xNN>} tokens.
 *
 * <p>"Does left+right form a token" is answered from a table built once at load time: every token
 * split at every code point boundary whose two halves can be symbols. A half can be a symbol if it
 * is a token or a single code point (merged symbols are always tokens; unmerged ones are single
 * code points), so the table is complete and the merge loop never builds a string.
 */
final class SpmEncoder {
    private final Vocab vocab;
    private final int vocabSize;
    /** Piece id per BMP code point (-1: none); code points above the BMP go through the map. */
    private final int[] bmpPiece = new int[0x10000];
    private final Map<Integer, Integer> astralPiece = new HashMap<>();
    private final LongIntMap pairToToken;
    private final int[] byteToken = new int[256];

    SpmEncoder(Vocab vocab) {
        this.vocab = vocab;
        this.vocabSize = vocab.size();
        Arrays.fill(bmpPiece, -1);
        int nextExtra = vocabSize;
        // Single code point tokens first, so a code point's piece is its token when it has one.
        for (int id = 0; id < vocabSize; id++) {
            String t = vocab.text(id);
            if (t.codePointCount(0, t.length()) == 1 && vocab.id(t) == id) setPiece(t.codePointAt(0), id);
        }
        LongIntMap pairs = new LongIntMap(vocabSize * 4);
        for (int id = 0; id < vocabSize; id++) {
            String t = vocab.text(id);
            if (vocab.id(t) != id) continue; // shadowed duplicate text
            for (int k = t.offsetByCodePoints(0, 1); k < t.length(); k = t.offsetByCodePoints(k, 1)) {
                int l = halfPiece(t, 0, k);
                if (l == -2) continue;
                if (l == -1) setPiece(t.codePointAt(0), l = nextExtra++);
                int r = halfPiece(t, k, t.length());
                if (r == -2) continue;
                if (r == -1) setPiece(t.codePointAt(k), r = nextExtra++);
                pairs.put(LongIntMap.pair(l, r), id);
            }
        }
        this.pairToToken = pairs;
        int unk = -1;
        for (int id = 0; id < vocabSize; id++) {
            if (vocab.has(id, TokenAttr.UNKNOWN)) {
                unk = id;
                break;
            }
        }
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(String.format("<0x%02X>", b));
            if (id < 0 && b < 0x80) id = vocab.id(String.valueOf((char) b));
            byteToken[b] = id >= 0 ? id : unk;
        }
    }

    /** The piece of t[from, to): its token, -1 for a single code point without one yet, -2 for none. */
    private int halfPiece(String t, int from, int to) {
        int id = vocab.id(t, from, to);
        if (id >= 0) return id;
        if (t.offsetByCodePoints(from, 1) != to) return -2;
        int p = piece(t.codePointAt(from));
        return p >= 0 ? p : -1;
    }

    private void setPiece(int cp, int piece) {
        if (cp < 0x10000) bmpPiece[cp] = piece;
        else astralPiece.put(cp, piece);
    }

    private int piece(int cp) {
        if (cp < 0x10000) return bmpPiece[cp];
        Integer p = astralPiece.get(cp);
        return p == null ? -1 : p;
    }

    /** Encodes already space-escaped text (spaces as U+2581). */
    void encode(String text, IntList out) {
        int[] cps = text.codePoints().toArray();
        int n = cps.length;
        if (n == 0) return;
        int[] piece = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            piece[i] = piece(cps[i]);
            len[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        MergeQueue queue = new MergeQueue(2 * n);
        for (int i = 1; i < n; i++) offer(queue, piece, len, i - 1, i);
        while (!queue.isEmpty()) {
            int left = queue.topLeft();
            int right = queue.topRight();
            int size = queue.topSize();
            queue.pop();
            if (len[left] == 0 || len[right] == 0 || len[left] + len[right] != size) continue;
            piece[left] = pairToToken.get(LongIntMap.pair(piece[left], piece[right]));
            len[left] = size;
            len[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) offer(queue, piece, len, prev[left], left);
            if (next[left] >= 0) offer(queue, piece, len, left, next[left]);
        }
        for (int i = 0; i >= 0; i = next[i]) {
            int p = piece[i];
            if (p >= 0 && p < vocabSize) {
                out.add(p);
            } else {
                // Unmerged symbols are single code points; a code point without a token goes out as bytes.
                for (byte b : Character.toString(cps[i]).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                    int id = byteToken[b & 0xFF];
                    if (id >= 0) out.add(id);
                }
            }
        }
    }

    private void offer(MergeQueue queue, int[] piece, int[] len, int left, int right) {
        if (piece[left] < 0 || piece[right] < 0) return;
        int token = pairToToken.get(LongIntMap.pair(piece[left], piece[right]));
        if (token < 0) return;
        queue.push(MergeQueue.key(MergeQueue.descendingScore(vocab.score(token)), left), right, len[left] + len[right]);
    }
}
